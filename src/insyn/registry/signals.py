"""Signals the apps above the registry listen to (the registry imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that turns an organisation's crisis mode on or off;
# kwargs: organisation, on, actor. The inbox re-computes the deadlines of open cases.
crisis_mode_changed = Signal()

# Sent inside the transaction of ``actions.decide`` after an account's status changed;
# kwargs: account, from_status, to_status, actor. Snapshots take the final one on closing (R14).
account_status_changed = Signal()
