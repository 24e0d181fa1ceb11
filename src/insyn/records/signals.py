"""Signals other apps use to take part in gallring without records importing them.

``item_content_disposed`` is sent inside each gallring batch's transaction, after the
archive rows of ``item_ids`` have been emptied. A receiver empties its own copies of those
items' content (case notes, drafts, cached text) in the same transaction, writes no content
anywhere, and raises only to abort the batch (which then rolls back and is retried by the
next run).
"""

from django.dispatch import Signal

# Sent with: run (GallringRun), item_ids (list[int]), record_class (str).
item_content_disposed = Signal()
