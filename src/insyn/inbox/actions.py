"""Every change to a case: assigning, answering, moderating, forwarding, drafting, moving to
the diarium, closing, and the weekly supervision of accounts.

Each action checks who may act, writes, appends a ``CaseEvent`` and an entry to the event chain
in the same transaction, and sends e-mail on commit. The worker's sweeps (opening cases,
reminders, escalation) are in ``sweeps.py`` and re-exported here.

Platform calls (R15, R19, R26) follow one protocol, so a failure or a retry is always safe:

1. ``_begin`` commits a ``PlatformAction`` row under the form's idempotency key *before* the
   call. A key that is already ``done`` is never sent again; a second request while one is in
   flight is refused.
2. The call runs outside any transaction. A failure marks the row ``failed`` (the platform
   certainly did nothing) or ``unclear`` (it may have), chains ``inbox.platform_failed``
   and leaves the case exactly as it was; the person sees the reason in Swedish.
3. Retrying an ``unclear`` publication re-sends the same idempotency key where the platform
   honours one (Mastodon) and otherwise first polls the account and looks for our text in
   the thread (Graph), so a reply is never published twice.
4. Success is recorded in one transaction: the row is ``done`` and the case changes together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.archive.models import Item, ItemStateChange
from insyn.capture.platforms.base import NotFound
from insyn.eventlog import log
from insyn.lib.hashing import sha256_hex
from insyn.registry import permissions as registry_permissions
from insyn.registry.actions import require_acknowledged
from insyn.registry.models import Account, Role, Unit, User
from insyn.registry.policy import current_policy
from insyn.triage.vocab import MODERATION

from . import notify, permissions, replies
from .models import (
    Case,
    CaseEvent,
    CaseState,
    Decision,
    PlatformAction,
    Restriction,
    Route,
    Supervision,
)
from .platform import (
    IDEMPOTENT_PLATFORMS,
    ActionFailed,
    archive_before_moderating,
    archive_published,
    client_for,
    connection_for,
    explain,
    find_published,
)
from .sweeps import (
    SUPERVISED_STATUSES,
    escalate_overdue,
    open_cases_pending,
    send_reminders,
    send_supervision_reminders,
    supervision_due_at,
)

# A PlatformAction still "pending" after this long was interrupted (a crashed process).
IN_FLIGHT = timedelta(minutes=2)
MAX_REPLY_LENGTH = 8000
PUBLISHING = (PlatformAction.Kind.REPLY, PlatformAction.Kind.NOTIFY_AUTHOR)


@dataclass
class Outcome:
    """What an action did, and what went wrong afterwards without undoing it."""

    action: PlatformAction | None = None
    warnings: list[str] = field(default_factory=list)
    already_done: bool = False
    diarienummer: str = ""


# ---------------------------------------------------------------- helpers


def _locked(case: Case) -> Case:
    return (Case.objects.select_for_update(of=("self",))
            .select_related("item", "account__unit", "account__authority", "account__organisation", "assignee",
                            "forwarded_to_unit", "forwarded_by", "version", "triage")
            .get(pk=case.pk))


def _require_work(actor: User, case: Case) -> None:
    require_acknowledged(actor)
    registry_permissions.require(permissions.can_work(actor, case))


def _event(case: Case, kind: str, actor: User | None, note: str = "", **data) -> CaseEvent:
    return CaseEvent.objects.create(case=case, at=timezone.now(), actor=actor, kind=kind, note=note, data=data)


def _chain(kind: str, actor: User | None, case: Case, **data) -> None:
    log.append(kind, actor=actor, obj=case, data={"item": case.item_id, "account": case.account_id, **data})


def _close(case: Case, state: str) -> None:
    case.state, case.closed_at = state, timezone.now()


def _save(case: Case) -> None:
    case.save()


def _decide(case: Case, actor: User, outcome: str, **overrides) -> Decision:
    labels = {
        "needs_answer": case.needs_answer, "topic": case.topic or "ovrigt", "moderation": list(case.moderation),
        "sensitive": list(case.sensitive), "wrong_authority": case.wrong_authority,
    }
    labels.update(overrides)
    return Decision.objects.create(case=case, version_id=case.version_id, actor=actor, outcome=outcome,
                                   model_version=case.triage.model_version if case.triage_id else "", **labels)


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise ValidationError(_("Ärendet är redan avslutat (%(state)s).") % {"state": case.get_state_display().lower()})


# ---------------------------------------------------------------- assigning and closing


@transaction.atomic
def assign_case(actor: User, case: Case, assignee: User) -> Case:
    """Make ``assignee`` responsible for the case (a kommunikatör, chef or samordnare who may
    work it)."""
    case = _locked(case)
    _require_work(actor, case)
    _require_open(case)
    if not (assignee.is_active and permissions.can_work(assignee, case)):
        raise ValidationError(_("%(name)s kan inte arbeta med ärenden för %(account)s.")
                              % {"name": assignee, "account": case.account.name})
    previous = case.assignee_id
    case.assignee = assignee
    if case.state == CaseState.NY:
        case.state = CaseState.TILLDELAD
    _save(case)
    _event(case, CaseEvent.Kind.ASSIGNED, actor, data={"assignee": assignee.pk, "previous": previous})
    _chain("inbox.assigned", actor, case, assignee=assignee.pk)
    return case


@transaction.atomic
def close_no_action(actor: User, case: Case, *, note: str = "") -> Case:
    """Nothing needs doing: no answer, no removal (the decision teaches triage too)."""
    case = _locked(case)
    _require_work(actor, case)
    _require_open(case)
    _close(case, CaseState.INGEN_ATGARD)
    _save(case)
    _event(case, CaseEvent.Kind.NO_ACTION, actor, note=note.strip()[:2000])
    _decide(case, actor, Decision.Outcome.NO_ACTION, needs_answer=False, moderation=[])
    _chain("inbox.no_action", actor, case)
    return case


def _bulk(actor: User, cases: Iterable[Case], run: Callable[[Case], object]) -> tuple[int, list[str]]:
    done, errors = 0, []
    for case in cases:
        try:
            run(case)
        except ValidationError as exc:
            errors.append(f"#{case.pk}: {' '.join(exc.messages)}")
        except PermissionError as exc:  # PermissionDenied and PolicyNotAcknowledged
            errors.append(f"#{case.pk}: {exc}")
        else:
            done += 1
    return done, errors


def bulk_assign(actor: User, cases: Iterable[Case], assignee: User) -> tuple[int, list[str]]:
    return _bulk(actor, cases, lambda c: assign_case(actor, c, assignee))


def bulk_no_action(actor: User, cases: Iterable[Case]) -> tuple[int, list[str]]:
    return _bulk(actor, cases, lambda c: close_no_action(actor, c))


# ---------------------------------------------------------------- forwarding (R18)


def route_for(case: Case) -> Route | None:
    return (Route.objects.select_related("unit", "handler")
            .filter(organisation_id=case.account.organisation_id, topic=case.topic).first())


def handlers_in(unit: Unit) -> list[User]:
    """People who can take a forwarded question in ``unit``: its handläggare."""
    people = User.objects.filter(is_active=True, memberships__role=Role.HANDLAGGARE).distinct()
    return [u for u in people if u.covers_unit(unit, Role.HANDLAGGARE)]


@transaction.atomic
def forward_case(actor: User, case: Case, *, unit: Unit, handler: User | None = None, note: str = "",
                 topic: str = "") -> Case:
    """Send the question to the unit (and handläggare) best placed to answer; they are told by
    e-mail and draft the answer, which a kommunikatör publishes."""
    case = _locked(case)
    _require_work(actor, case)
    _require_open(case)
    if unit.authority.organisation_id != case.account.organisation_id:
        raise ValidationError({"unit": _("Enheten hör inte till organisationen.")})
    if handler is not None and not (handler.is_active and handler.works_in(unit)):
        raise ValidationError({"handler": _("%(name)s arbetar inte i %(unit)s.") % {"name": handler, "unit": unit}})
    case.state, case.forwarded_to_unit, case.forwarded_by = CaseState.VIDAREBEFORDRAD, unit, actor
    case.assignee = handler
    if topic and topic != case.topic:
        case.topic = topic
    _save(case)
    note = note.strip()[:4000]
    _event(case, CaseEvent.Kind.FORWARDED, actor, note=note, unit=unit.pk, unit_name=unit.name,
           handler=handler.pk if handler else None)
    _decide(case, actor, Decision.Outcome.FORWARDED, needs_answer=True, moderation=[])
    _chain("inbox.forwarded", actor, case, unit=unit.pk, handler=handler.pk if handler else None)
    notify.forwarded(case, [handler] if handler else handlers_in(unit), note, actor)
    return case


@transaction.atomic
def save_draft(actor: User, case: Case, text: str) -> Case:
    """The handläggare's answer, for a kommunikatör to publish."""
    case = _locked(case)
    require_acknowledged(actor)
    registry_permissions.require(permissions.can_draft(actor, case))
    _require_open(case)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Skriv ett utkast.")})
    if len(text) > MAX_REPLY_LENGTH:
        raise ValidationError({"text": _("Utkastet är för långt.")})
    case.draft_text, case.draft_by, case.draft_at = text, actor, timezone.now()
    _save(case)
    _event(case, CaseEvent.Kind.DRAFTED, actor, note=text)
    _chain("inbox.drafted", actor, case)
    notify.draft_ready(case, actor)
    return case


# ---------------------------------------------------------------- platform protocol


def _begin(case: Case, *, kind: str, key: str, target: str, text: str, actor: User,
           allow_closed: bool = False) -> tuple[PlatformAction, str]:
    """Commit the action row before calling the platform. Returns it with its status before
    this attempt (``unclear`` for one interrupted while in flight)."""
    if not key or len(key) > 100:
        raise ValidationError(_("Formuläret saknar sin nyckel. Ladda om sidan och försök igen."))
    with transaction.atomic():
        case = _locked(case)
        now = timezone.now()
        action = PlatformAction.objects.select_for_update().filter(key=key).first()
        if action is not None:
            if action.case_id != case.pk or action.kind != kind:
                raise ValidationError(_("Formuläret har redan använts för något annat. Ladda om sidan."))
            previous = action.status
            if previous == PlatformAction.Status.DONE:
                return action, previous
            if previous == PlatformAction.Status.PENDING:
                if action.updated_at > now - IN_FLIGHT:
                    raise ValidationError(_("Åtgärden pågår redan. Vänta en stund och ladda om sidan."))
                previous = PlatformAction.Status.UNCLEAR
            if previous == PlatformAction.Status.FAILED:
                action.text, action.target_platform_id = text, target  # nothing went out: safe to change
            action.status, action.attempts, action.actor = PlatformAction.Status.PENDING, action.attempts + 1, actor
            action.save()
            return action, previous
        if not allow_closed:
            _require_open(case)
        busy = PlatformAction.objects.filter(case=case, kind=kind, status=PlatformAction.Status.PENDING,
                                             updated_at__gt=now - IN_FLIGHT).exists()
        if busy:
            raise ValidationError(_("Någon annan håller just nu på med samma åtgärd i ärendet. "
                                    "Vänta en stund och ladda om sidan."))
        action = PlatformAction.objects.create(case=case, kind=kind, key=key, target_platform_id=target, text=text,
                                               actor=actor, attempts=1)
        return action, ""


def _mark_failed(action: PlatformAction, failure: ActionFailed, actor: User) -> None:
    status = PlatformAction.Status.UNCLEAR if failure.unclear else PlatformAction.Status.FAILED
    with transaction.atomic():
        PlatformAction.objects.filter(pk=action.pk).update(status=status, error=str(failure)[:2000],
                                                           error_detail=failure.detail[:4000], updated_at=timezone.now())
        log.append("inbox.platform_failed", actor=actor, obj=action.case, data={
            "kind": action.kind, "key": action.key, "status": status, "detail": failure.detail[:500],
        })
    action.status, action.error, action.error_detail = status, str(failure), failure.detail


def _target_item(case: Case, platform_id: str) -> Item:
    if platform_id == case.item.platform_id:
        return case.item
    return Item.objects.filter(account_id=case.account_id, platform_id=platform_id).first() or case.item


def _send(client, account: Account, target: Item, text: str, key: str) -> str:
    if target.kind == "message" and hasattr(client, "send_message"):
        return client.send_message(target.author_id, text)  # Messenger: the Send API, not a comment
    return client.reply(target.platform_id, text, idempotency_key=key)


def _call(action: PlatformAction, previous: str, actor: User, call: Callable) -> tuple[str | None, Item | None]:
    """Run one platform call for ``action`` (see the module docstring). Returns the platform's
    id of what was created and, for publications, its archived item."""
    case = action.case
    account = case.account
    try:
        connection = connection_for(account)
    except ActionFailed as failure:
        _mark_failed(action, failure, actor)
        raise
    client = client_for(connection)
    target = _target_item(case, action.target_platform_id)
    try:
        if (action.kind in PUBLISHING and previous == PlatformAction.Status.UNCLEAR
                and account.platform not in IDEMPOTENT_PLATFORMS):
            found = find_published(connection, text=action.text, target=target, since=action.created_at)
            if found is not None:
                return found.platform_id, found
        try:
            result = call(client, target)
        except Exception as exc:
            failure = explain(exc, account, action.kind)  # re-raises what is not a platform error
            _mark_failed(action, failure, actor)
            raise failure from exc
        published = None
        if action.kind in PUBLISHING and result:
            published = archive_published(connection, client, platform_id=result, text=action.text, target=target,
                                          kind="message" if target.kind == "message" else "reply")
        return result, published
    finally:
        client.http.close()


def _done(action: PlatformAction, result: str | None, published: Item | None) -> None:
    PlatformAction.objects.filter(pk=action.pk).update(
        status=PlatformAction.Status.DONE, result_platform_id=result or "", published_item=published,
        finished_at=timezone.now(), updated_at=timezone.now(), error="")
    action.status, action.result_platform_id, action.published_item = PlatformAction.Status.DONE, result or "", published


# ---------------------------------------------------------------- answering (R15, R16, R28)


def _check_text(text: str, *, field_name: str = "text", allow: tuple[str, ...] = ()) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field_name: _("Skriv ett svar.")})
    if len(text) > MAX_REPLY_LENGTH:
        raise ValidationError({field_name: _("Svaret är för långt (högst %(n)d tecken).") % {"n": MAX_REPLY_LENGTH}})
    holes = replies.unfilled(text, allow=allow)
    if holes:
        raise ValidationError({field_name: _("Fyll i eller ta bort %(holes)s innan svaret publiceras.")
                               % {"holes": ", ".join(holes)}})
    return text


def answer_case(actor: User, case: Case, text: str, *, key: str, confirm: bool = False,
                wrong_authority: str = "") -> Outcome:
    """Publish ``text`` as the authority's reply to the case's item and close the case.

    ``key`` (from the form) makes a retry safe; ``confirm`` is needed where Insyn recommends
    not answering (personal attacks, privacy violations); ``wrong_authority`` records that the
    answer sent the person to another authority (R28)."""
    _require_work(actor, case)
    text = _check_text(text)
    if case.recommends_no_answer and not confirm:
        raise ValidationError({"confirm": _("Insyn rekommenderar att inte svara på personangrepp eller inlägg som "
                                            "kränker någons integritet. Kryssa i rutan om du ändå vill svara.")})
    policy = current_policy()
    if wrong_authority and wrong_authority not in policy.authorities:
        raise ValidationError({"authority": _("Okänd myndighet.")})
    action, previous = _begin(case, kind=PlatformAction.Kind.REPLY, key=key, target=case.item.platform_id,
                              text=text, actor=actor)
    if action.status == PlatformAction.Status.DONE:
        return Outcome(action=action, already_done=True)
    result, published = _call(action, previous, actor,
                              lambda client, target: _send(client, case.account, target, action.text, key))
    with transaction.atomic():
        case = _locked(case)
        _done(action, result, published)
        if case.is_open:
            _close(case, CaseState.BESVARAD)
            _save(case)
        _event(case, CaseEvent.Kind.ANSWERED, actor, note=action.text, action=action.key, platform_id=result or "",
               item=published.pk if published else None)
        _decide(case, actor, Decision.Outcome.ANSWERED, needs_answer=True, moderation=[],
                wrong_authority=wrong_authority or "")
        _chain("inbox.answered", actor, case, action=action.key, platform_id=result or "",
               published_item=published.pk if published else None)
    return Outcome(action=action)


def _publish_extra(actor: User, case: Case, text: str, *, key: str, target: Item, kind: str) -> Outcome:
    """A publication that does not close the case: the answer after a move to the diarium,
    a message to the author of a removed post."""
    action, previous = _begin(case, kind=kind, key=key, target=target.platform_id, text=text, actor=actor,
                              allow_closed=True)
    if action.status == PlatformAction.Status.DONE:
        return Outcome(action=action, already_done=True)
    result, published = _call(action, previous, actor,
                              lambda client, t: _send(client, case.account, t, action.text, key))
    with transaction.atomic():
        _done(action, result, published)
        event = CaseEvent.Kind.AUTHOR_NOTIFIED if kind == PlatformAction.Kind.NOTIFY_AUTHOR else CaseEvent.Kind.ANSWERED
        _event(case, event, actor, note=action.text, action=action.key, platform_id=result or "",
               item=published.pk if published else None)
        _chain("inbox.author_notified" if kind == PlatformAction.Kind.NOTIFY_AUTHOR else "inbox.answered",
               actor, case, action=action.key, platform_id=result or "", published_item=published.pk if published else None)
    return Outcome(action=action)


def retry_action(actor: User, action: PlatformAction) -> Outcome:
    """Try a failed or unclear publication again with its own key (never twice published)."""
    case = Case.objects.select_related("item", "account__unit", "account__organisation").get(pk=action.case_id)
    _require_work(actor, case)
    if action.kind not in PUBLISHING:
        raise ValidationError(_("Den här åtgärden görs om från sitt eget formulär."))
    if action.kind == PlatformAction.Kind.REPLY and case.is_open:
        return answer_case(actor, case, action.text, key=action.key, confirm=True)
    return _publish_extra(actor, case, action.text, key=action.key, target=_target_item(case, action.target_platform_id),
                          kind=action.kind)


# ---------------------------------------------------------------- moderating (R19, R31)


def _removal_call(how: str) -> Callable:
    def call(client, target: Item) -> None:
        if how == "hide":
            archive_before_moderating(target.account, client, target.platform_id)
            client.set_hidden(target.platform_id, True)
            return None
        try:
            # Where the platform cannot list a removed item again (a rejected YouTube
            # comment), its current text and replies are archived first.
            archive_before_moderating(target.account, client, target.platform_id)
            client.delete(target.platform_id)
        except NotFound:
            return None  # already gone (perhaps by our own timed-out first attempt): the aim is met
        return None

    return call


def _check_basis(legal_basis: str) -> dict[str, str]:
    basis = current_policy().legal_bases.get(legal_basis)
    if basis is None:
        raise ValidationError({"legal_basis": _("Välj en rättslig grund ur riktlinjerna.")})
    return basis


def _record_removal(actor: User, case: Case, action: PlatformAction, *, how: str, legal_basis: str, reason: str) -> None:
    """The removal as a state change by Insyn (the archived copy stays), in the caller's
    transaction."""
    item = Item.objects.select_for_update().get(pk=case.item_id)
    state = Item.State.HIDDEN if how == "hide" else Item.State.REMOVED_BY_US
    now = timezone.now()
    ItemStateChange.objects.create(item=item, state=state, previous_state=item.state, seen_at=now,
                                   source=ItemStateChange.Source.INSYN, actor=actor, reason=reason,
                                   legal_basis=legal_basis)
    if item.state != Item.State.REMOVED_BY_US:
        Item.objects.filter(pk=item.pk).update(state=state, state_changed_at=now)
    _done(action, None, None)
    _event(case, CaseEvent.Kind.HIDDEN if how == "hide" else CaseEvent.Kind.DELETED, actor, note=reason,
           legal_basis=legal_basis, action=action.key)
    # The chain proves the reason without holding it: free text may quote the removed comment,
    # and the chain is never gallrad. The reason itself is on the state change and the trail.
    _chain("inbox.hidden" if how == "hide" else "inbox.deleted", actor, case, legal_basis=legal_basis,
           reason_sha256=sha256_hex(reason), action=action.key)


def _remove(actor: User, case: Case, *, how: str, key: str, legal_basis: str, reason: str,
            after: Callable[[Case], None] | None = None) -> PlatformAction:
    kind = PlatformAction.Kind.HIDE if how == "hide" else PlatformAction.Kind.DELETE
    action, previous = _begin(case, kind=kind, key=key, target=case.item.platform_id, text="", actor=actor)
    if action.status == PlatformAction.Status.DONE:
        return action
    _call(action, previous, actor, _removal_call(how))
    with transaction.atomic():
        case = _locked(case)
        _record_removal(actor, case, action, how=how, legal_basis=legal_basis, reason=reason)
        if after is not None:
            after(case)
    return action


def moderate_case(actor: User, case: Case, *, how: str, legal_basis: str, reason: str = "", key: str,
                  notify_text: str = "") -> Outcome:
    """Hide or delete the item on the platform with a legal basis from the policy; the
    archived copy stays. ``notify_text`` (from the "borttaget" template) goes to the author."""
    _require_work(actor, case)
    if how not in ("hide", "delete"):
        raise ValidationError({"how": _("Välj om inlägget ska döljas eller tas bort.")})
    basis = _check_basis(legal_basis)
    reason = (reason or "").strip()[:2000] or basis["label"]
    if case.item.kind == Item.Kind.MESSAGE:
        raise ValidationError(_("Ett direktmeddelande syns inte för andra och kan inte döljas eller tas bort. "
                                "Flytta det till diariet om det innehåller känsliga uppgifter."))
    if notify_text:
        notify_text = _check_text(notify_text.replace("{grund}", basis["label"].lower()), field_name="notify_text")

    def close(locked: Case) -> None:
        if locked.is_open:
            _close(locked, CaseState.BORTTAGEN)
            _save(locked)
        labels = [legal_basis] if legal_basis in MODERATION else list(locked.moderation)
        _decide(locked, actor, Decision.Outcome.HIDDEN if how == "hide" else Decision.Outcome.DELETED,
                needs_answer=False, moderation=labels, legal_basis=legal_basis)

    already = PlatformAction.objects.filter(key=f"{key}:remove", status=PlatformAction.Status.DONE).exists()
    if not already:
        _require_open(case)
    action = _remove(actor, case, how=how, key=f"{key}:remove", legal_basis=legal_basis, reason=reason, after=close)
    outcome = Outcome(action=action, already_done=already)
    if notify_text:
        target = case.item if how == "hide" else _parent(case)
        if target is None:
            outcome.warnings.append(_("Meddelandet till författaren skickades inte: inlägget har inget att svara på "
                                      "när det är borttaget."))
        else:
            try:
                _publish_extra(actor, case, notify_text, key=f"{key}:notify", target=target,
                               kind=PlatformAction.Kind.NOTIFY_AUTHOR)
            except (ActionFailed, ValidationError) as exc:
                outcome.warnings.append(_("Inlägget är borttaget, men meddelandet till författaren kunde inte skickas: "
                                          "%(error)s") % {"error": _message(exc)})
    return outcome


def _parent(case: Case) -> Item | None:
    item = case.item
    if not item.parent_platform_id:
        return None
    return Item.objects.filter(account_id=item.account_id, platform_id=item.parent_platform_id).first()


def _message(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


# ---------------------------------------------------------------- moving to the diarium (R26)


def _register_document():
    try:
        from insyn.records.actions import register_document
    except ImportError as exc:
        raise ActionFailed(_("Diariet finns inte i den här installationen ännu, så inlägget kan inte flyttas dit."),
                           detail=str(exc)) from exc
    return register_document


def _precheck_registration(actor: User, case: Case, *, handler: User | None, sekretess: bool,
                           osl_reference: str) -> None:
    """What the diarium would refuse, checked before anything is removed from the platform."""
    from insyn.records import permissions as records_permissions

    authority = case.account.authority
    if not records_permissions.can_register(actor, authority, case.item):
        raise ValidationError(_("Du kan inte registrera handlingar hos %(authority)s. Be en registrator eller en "
                                "kommunikatör för kontot.") % {"authority": authority.name})
    if sekretess and not osl_reference.strip():
        raise ValidationError({"osl_reference": _("Ange vilken sekretessbestämmelse som gäller (t.ex. OSL 26 kap. 1 §).")})
    if handler is not None and not (handler.is_active and records_permissions.works_for(handler, authority)):
        raise ValidationError({"handler": _("Handläggaren har ingen roll hos %(authority)s.") % {"authority": authority.name}})


def move_to_diarium(actor: User, case: Case, *, removal: str, subject: str, key: str, sekretess: bool = True,
                    osl_reference: str = "", legal_basis: str = "kanslig_information", handler: User | None = None,
                    answer_text: str = "") -> Outcome:
    """Stop the conversation: remove the item from the platform, register it in the diarium
    with restricted access and a sekretess marking, and tell the person how their matter
    continues (the "eget_arende" template with the diarienummer).

    Steps are separately safe: a removal that succeeded is recorded at once; the registration
    is made once (a retry finds the restriction); the answer may fail without undoing the rest
    and is retried from the case page."""
    _require_work(actor, case)
    register_document = _register_document()
    restriction = Restriction.objects.filter(item_id=case.item_id).first()
    outcome = Outcome(already_done=restriction is not None)
    is_message = case.item.kind == Item.Kind.MESSAGE
    if restriction is None:
        _require_open(case)
        if removal not in ("delete", "hide", "none") or (removal == "none" and not is_message):
            raise ValidationError({"removal": _("Ett inlägg med känsliga uppgifter får inte ligga kvar: välj om det "
                                                "ska tas bort eller döljas.")})
        subject = (subject or "").strip()
        if not subject:
            raise ValidationError({"subject": _("Skriv en ärendemening för registreringen.")})
        basis = _check_basis(legal_basis)
        _precheck_registration(actor, case, handler=handler, sekretess=sekretess, osl_reference=osl_reference)
        if answer_text:
            answer_text = _check_text(answer_text, field_name="answer_text", allow=("diarienummer",))
        if removal != "none":
            _remove(actor, case, how=removal, key=f"{key}:remove", legal_basis=legal_basis,
                    reason=_("Känsliga uppgifter flyttade till diariet (%(basis)s)") % {"basis": basis["label"]})
        with transaction.atomic():
            case = _locked(case)
            item = case.item
            registration = register_document(
                actor, authority=case.account.authority, item=item,
                received_or_drawn_up=timezone.localtime(case.received_at).date(),
                counterpart=item.author_name or _("okänd avsändare"), subject=subject[:500], sekretess=sekretess,
                osl_reference=osl_reference.strip()[:200], handler=handler)
            restriction = Restriction.objects.create(
                item=item, case=case, diarienummer=registration.diarienummer, registration_id=registration.pk,
                sekretess=sekretess, osl_reference=osl_reference.strip()[:200], handler=handler, created_by=actor)
            if case.is_open:
                _close(case, CaseState.DIARIEFORD)
            if handler is not None:
                case.assignee = handler
            _save(case)
            _event(case, CaseEvent.Kind.MOVED_TO_DIARIUM, actor, note=registration.diarienummer,
                   diarienummer=registration.diarienummer, registration=registration.pk, removal=removal,
                   handler=handler.pk if handler else None, sekretess=sekretess)
            _decide(case, actor, Decision.Outcome.DIARIUM, needs_answer=True, moderation=[])
            _chain("inbox.moved_to_diarium", actor, case, diarienummer=registration.diarienummer,
                   registration=registration.pk, removal=removal, legal_basis=legal_basis, sekretess=sekretess)
    if answer_text:
        text = answer_text.replace("{diarienummer}", restriction.diarienummer)
        target = case.item if removal in ("hide", "none") or is_message else _parent(case)
        if target is None:
            outcome.warnings.append(_("Svaret publicerades inte: det borttagna inlägget har inget att svara på. "
                                      "Kontakta personen på annat sätt."))
        else:
            try:
                outcome.action = _publish_extra(actor, case, text, key=f"{key}:reply", target=target,
                                                kind=PlatformAction.Kind.REPLY).action
            except (ActionFailed, ValidationError) as exc:
                outcome.warnings.append(_("Inlägget är registrerat (dnr %(dnr)s), men svaret kunde inte publiceras: "
                                          "%(error)s") % {"dnr": restriction.diarienummer, "error": _message(exc)})
    outcome.diarienummer = restriction.diarienummer
    return outcome


# ---------------------------------------------------------------- routing table (R18)


@transaction.atomic
def set_route(actor: User, *, topic: str, unit: Unit | None, handler: User | None = None) -> Route | None:
    """Set (or with no unit, remove) the routing of one topic for the actor's organisation."""
    registry_permissions.require(permissions.can_edit_routes(actor))
    require_acknowledged(actor)
    from .models import TOPICS

    if topic not in TOPICS:
        raise ValidationError({"topic": _("Okänt ämne.")})
    organisation = _organisation_of(actor)
    if unit is None:
        Route.objects.filter(organisation=organisation, topic=topic).delete()
        log.append("inbox.route_removed", actor=actor, object_type="inbox.route", object_id=topic, data={"topic": topic})
        return None
    if unit.authority.organisation_id != organisation.pk:
        raise ValidationError({"unit": _("Enheten hör inte till organisationen.")})
    if handler is not None and not handler.works_in(unit):
        raise ValidationError({"handler": _("%(name)s arbetar inte i %(unit)s.") % {"name": handler, "unit": unit}})
    route, _created = Route.objects.update_or_create(organisation=organisation, topic=topic, defaults={
        "unit": unit, "handler": handler, "updated_by": actor})
    log.append("inbox.route_set", actor=actor, obj=route,
               data={"topic": topic, "unit": unit.pk, "handler": handler.pk if handler else None})
    return route


def _organisation_of(user: User):
    from insyn.registry.models import Organisation

    membership = next(iter(user.memberships_cached()), None)
    if membership is not None:
        return membership.unit.authority.organisation
    return Organisation.objects.order_by("pk").first()


# ---------------------------------------------------------------- weekly supervision (R31)


@transaction.atomic
def record_supervision(actor: User, account: Account, *, items_from: datetime, items_to: datetime,
                       note: str = "") -> Supervision:
    """Record that ``actor`` went through the account's incoming items from–to (BBS-lagen 4 §)."""
    require_acknowledged(actor)
    registry_permissions.require(registry_permissions.can_edit(actor, account))
    now = timezone.now()
    if items_to > now + timedelta(minutes=5):
        raise ValidationError({"items_to": _("Tillsynen kan inte omfatta framtiden.")})
    if items_from > items_to:
        raise ValidationError({"items_from": _("Början måste vara före slutet.")})
    items = Item.objects.filter(account=account, direction=Item.Direction.INKOMMEN,
                                inkommen_at__gte=items_from, inkommen_at__lte=items_to)
    first = items.order_by("inkommen_at", "id").first()
    last = items.order_by("-inkommen_at", "-id").first()
    supervision = Supervision.objects.create(
        account=account, reviewer=actor, reviewed_at=now, items_from=items_from, items_to=items_to,
        item_count=items.count(), first_item=first, last_item=last, note=note.strip()[:2000])
    log.append("inbox.supervised", actor=actor, obj=account, data={
        "supervision": supervision.pk, "from": items_from.isoformat(), "to": items_to.isoformat(),
        "items": supervision.item_count, "first_item": first.pk if first else None, "last_item": last.pk if last else None,
    })
    return supervision


__all__ = [
    "ActionFailed", "Outcome", "answer_case", "assign_case", "bulk_assign", "bulk_no_action", "close_no_action",
    "escalate_overdue", "forward_case", "moderate_case", "move_to_diarium", "open_cases_pending", "record_supervision",
    "retry_action", "route_for", "save_draft", "send_reminders", "send_supervision_reminders", "set_route",
    "SUPERVISED_STATUSES", "supervision_due_at",
]
