from __future__ import annotations

from .actions import has_acknowledged


def insyn(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "policy_pending": not has_acknowledged(user),
        "can_read_eventlog": user.is_superuser or user.has_role("samordnare", "granskare"),
    }
