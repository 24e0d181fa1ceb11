"""Facebook Pages through the Graph API: ``client`` (``FacebookPage``: polling and the
moderation verbs), ``normalise`` (the pure normaliser, webhooks included), ``webhooks``
(Meta's signature check), and the parts Instagram shares: ``graph`` (the Graph HTTP layer)
and ``payload`` (pure readers of Graph JSON and Messenger events)."""

from __future__ import annotations

from .client import FacebookPage
from .graph import GRAPH_VERSION
from .normalise import normalise
from .webhooks import verify_signature

__all__ = ["GRAPH_VERSION", "FacebookPage", "normalise", "verify_signature"]
