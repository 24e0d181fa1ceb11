"""The inbox's background work: one step the worker runs after capture and triage.

``worker_step`` opens cases for new triage results on every round; reminders, escalations
and supervision reminders run at most once a minute per process (they are cheap, but there
is no need to ask every two seconds). All of it is idempotent and safe with several workers
(see sweeps.py).
"""

from __future__ import annotations

import time

from .sweeps import escalate_overdue, open_cases_pending, send_reminders, send_supervision_reminders

SLOW_EVERY = 60.0
_last_slow = 0.0


def worker_step(*, force: bool = False) -> int:
    """Returns how much changed (0 when idle)."""
    global _last_slow
    changed = open_cases_pending()
    if force or time.monotonic() - _last_slow >= SLOW_EVERY:
        _last_slow = time.monotonic()
        changed += send_reminders() + escalate_overdue() + send_supervision_reminders()
    return changed
