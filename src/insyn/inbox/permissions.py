"""Who may do what in the inbox. Views and actions ask here.

Kommunikatörer and chefer work the cases of their units' accounts (answer, moderate, forward,
assign, move to the diarium); samordnare work every case. A handläggare works the cases
forwarded to them or to their unit: they read the case and draft the answer, which a
kommunikatör publishes. The routing table is the samordnare's.
"""

from __future__ import annotations

from insyn.registry.models import EDITOR_ROLES, Role, User

from .models import Case


def can_work(user: User, case: Case) -> bool:
    return user.is_authenticated and (user.is_samordnare or user.covers_unit(case.account.unit, *EDITOR_ROLES))


def can_draft(user: User, case: Case) -> bool:
    if not user.is_authenticated:
        return False
    if can_work(user, case) or case.assignee_id == user.pk:
        return True
    unit = case.forwarded_to_unit
    return unit is not None and user.covers_unit(unit, Role.HANDLAGGARE)


def can_edit_routes(user: User) -> bool:
    return user.is_authenticated and user.is_samordnare
