"""Who may do what with requests for records and the GDPR pages. Views and actions ask here.

- See a request (it names its requester): people with a role in its unit or above, the
  registratorer of its authority, and its handläggare. Other units see nothing (404).
- Register a request: anyone with a role in the unit that receives it (everyone at an
  authority must accept a request), or a registrator of the authority.
- Handle it (select items, review, decide, hand out, close): the handläggare, the authority's
  registratorer, and handläggare/chefer/registratorer in the unit. Granskare only read.
- Read an item's content during review: as everywhere, ``records.access`` and
  ``inbox.access`` decide for content under sekretess; the read is logged.
- GDPR: the record of processing follows the account (``registry.permissions.can_view``); the
  data-subject export is for registratorer and samordnare, over the accounts they can see;
  the log search is for granskare only (R29).
"""

from __future__ import annotations

from insyn.registry.models import Role, Unit, User

from .models import Request

HANDLING_ROLES = (Role.HANDLAGGARE, Role.CHEF, Role.REGISTRATOR)


def _registrator_of(user: User, authority_id: int) -> bool:
    return any(m.role == Role.REGISTRATOR and m.unit.authority_id == authority_id for m in user.memberships_cached())


def can_view_request(user: User, request: Request) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (request.handler_id == user.pk or user.covers_unit(request.unit)
            or _registrator_of(user, request.authority_id))


def can_handle_request(user: User, request: Request) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (request.handler_id == user.pk or _registrator_of(user, request.authority_id)
            or user.covers_unit(request.unit, *HANDLING_ROLES))


def can_register_request(user: User, unit: Unit) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return _registrator_of(user, unit.authority_id) or user.covers_unit(unit)


def registerable_units(user: User):
    """The units in which ``user`` may register a request."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    from django.db.models import Q

    q = Q(pk__in=[])
    for path in user.unit_paths():
        q |= Q(path__startswith=path)
    registrator_of = [m.unit.authority_id for m in user.memberships_cached() if m.role == Role.REGISTRATOR]
    if registrator_of:
        q |= Q(authority_id__in=registrator_of)
    return Unit.objects.filter(q).select_related("authority").order_by("authority__name", "path")


def can_export_data_subject(user: User) -> bool:
    return getattr(user, "is_authenticated", False) and (
        user.is_samordnare or user.has_role(Role.REGISTRATOR))


def can_search_log(user: User) -> bool:
    """Granskare, and only granskare: not samordnare, not superusers by that alone (R29)."""
    return getattr(user, "is_authenticated", False) and user.has_role(Role.GRANSKARE)
