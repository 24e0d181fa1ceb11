"""Every change to the organisation, the register of accounts and the policy.

Each action validates, writes, appends its event to the chain in the same transaction and
schedules follow-up work (e-mail to kommunkansliet) on commit. Views, the admin, commands and
the API call these; nothing else writes these models.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.eventlog import log
from insyn.lib.policy import PolicyError, parse_policy, render_template

from . import permissions
from .models import (
    Account,
    AccountDecision,
    Authority,
    Membership,
    Organisation,
    Platform,
    PolicyAcknowledgement,
    PolicyVersion,
    Role,
    Status,
    Unit,
    User,
)
from .platforms import normalise
from .policy import current_policy, current_policy_version


class PolicyNotAcknowledged(PermissionError):
    """The user has not acknowledged the guidelines in force (R8)."""

    def __str__(self) -> str:
        return _("Du behöver bekräfta att du har läst de gällande riktlinjerna innan du arbetar med konton.")


# ---------------------------------------------------------------- organisation and people


@transaction.atomic
def create_organisation(name: str, kansli_email: str, *, website: str = "", actor=None) -> Organisation:
    org = Organisation.objects.create(name=name, kansli_email=kansli_email, website=website)
    log.append("organisation.created", actor=actor, obj=org, data={"name": name, "kansli_email": kansli_email})
    return org


@transaction.atomic
def create_authority(
    organisation: Organisation, name: str, kind: str, diarium_prefix: str, *, org_number: str = "",
    privacy_contact_email: str = "", actor=None,
) -> Authority:
    authority = Authority(
        organisation=organisation, name=name, kind=kind, diarium_prefix=diarium_prefix,
        org_number=org_number, privacy_contact_email=privacy_contact_email,
    )
    authority.full_clean()
    authority.save()
    log.append("authority.created", actor=actor, obj=authority,
               data={"name": name, "kind": kind, "diarium_prefix": diarium_prefix})
    return authority


@transaction.atomic
def create_unit(
    authority: Authority, name: str, kind: str, *, parent: Unit | None = None,
    handles_confidential: bool = False, actor=None,
) -> Unit:
    if parent is not None and parent.authority_id != authority.pk:
        raise ValidationError(_("En underenhet måste höra till samma myndighet som sin överordnade enhet."))
    unit = Unit.objects.create(
        authority=authority, name=name, kind=kind, parent=parent, handles_confidential=handles_confidential
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    log.append("unit.created", actor=actor, obj=unit, data={
        "name": name, "kind": kind, "authority": authority.pk, "parent": parent.pk if parent else None,
        "handles_confidential": handles_confidential,
    })
    return unit


@transaction.atomic
def create_person(
    username: str, *, first_name: str = "", last_name: str = "", email: str = "", phone: str = "",
    title: str = "", password: str | None = None, actor=None,
) -> User:
    user = User(username=username, first_name=first_name, last_name=last_name, email=email, phone=phone, title=title)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    log.append("person.created", actor=actor, obj=user, data={"username": username, "email": email})
    return user


@transaction.atomic
def grant_role(user: User, unit: Unit, role: str, *, actor=None) -> Membership:
    if role not in Role.values:
        raise ValidationError(_("Okänd roll."))
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if created:
        log.append("role.granted", actor=actor, obj=membership, data={"user": user.pk, "unit": unit.pk, "role": role})
    return membership


@transaction.atomic
def revoke_role(membership: Membership, *, actor=None) -> None:
    data = {"user": membership.user_id, "unit": membership.unit_id, "role": membership.role}
    log.append("role.revoked", actor=actor, obj=membership, data=data)
    membership.delete()


@transaction.atomic
def set_crisis_mode(actor: User, organisation: Organisation, *, on: bool) -> Organisation:
    """Crisis mode (1.3 kriskommunikation): every response deadline is capped by the policy's
    crisis rule while it is on — for new cases and, through the signal, for open ones."""
    permissions.require(actor.is_samordnare)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.crisis_mode == on:
        return organisation
    organisation.crisis_mode = on
    organisation.save(update_fields=["crisis_mode"])
    log.append("organisation.crisis_mode", actor=actor, obj=organisation, data={"on": on})
    from .signals import crisis_mode_changed

    crisis_mode_changed.send(sender=Organisation, organisation=organisation, on=on, actor=actor)
    return organisation


# ---------------------------------------------------------------- policy (R8, R13)


@transaction.atomic
def load_policy(source: str, *, actor=None) -> PolicyVersion:
    """Put a policy text in force. The same text again is a no-op; a changed text needs a new version."""
    try:
        policy = parse_policy(source)
    except PolicyError as exc:
        raise ValidationError(_("Riktlinjefilen är felaktig: %(error)s") % {"error": exc}) from exc
    existing = PolicyVersion.objects.filter(sha256=policy.sha256).first()
    if existing is None:
        if PolicyVersion.objects.filter(version=policy.version).exists():
            raise ValidationError(
                _("Riktlinjefilen har ändrats men har kvar versionen %(version)s. Ge den ett nytt versionsnummer.")
                % {"version": policy.version}
            )
        existing = PolicyVersion.objects.create(
            version=policy.version, title=policy.title, sha256=policy.sha256, source=source
        )
        log.append("policy.loaded", actor=actor, obj=existing, data={"version": policy.version, "sha256": policy.sha256})
    if not existing.is_current:
        PolicyVersion.objects.filter(is_current=True).update(is_current=False)
        existing.is_current = True
        existing.save(update_fields=["is_current"])
        log.append("policy.in_force", actor=actor, obj=existing, data={"version": existing.version})
    return existing


def load_policy_file(path: str | Path | None = None, *, actor=None) -> PolicyVersion:
    return load_policy(Path(path or settings.POLICY_FILE).read_text(encoding="utf-8"), actor=actor)


def has_acknowledged(user: User) -> bool:
    version = current_policy_version()
    return version is None or PolicyAcknowledgement.objects.filter(user=user, policy=version).exists()


def require_acknowledged(user: User) -> None:
    if not has_acknowledged(user):
        raise PolicyNotAcknowledged()


@transaction.atomic
def acknowledge_policy(user: User) -> PolicyAcknowledgement:
    version = current_policy_version()
    if version is None:
        raise ValidationError(_("Inga riktlinjer är i kraft."))
    ack, created = PolicyAcknowledgement.objects.get_or_create(user=user, policy=version)
    if created:
        log.append("policy.acknowledged", actor=user, obj=ack, data={"version": version.version})
    return ack


# ---------------------------------------------------------------- accounts (R1–R14, R27)

ACCOUNT_FIELDS = (
    "name", "handle", "url", "external_id", "purpose", "target_group", "message", "response_rule",
    "confidential_justification",
)


def _validate(account: Account, administrators: list[User]) -> None:
    errors: dict[str, list[str]] = {}
    try:
        account.handle, account.url = normalise(account.platform, account.handle, account.url)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field in ("purpose", "target_group", "message", "name"):
        if not (getattr(account, field) or "").strip():
            errors.setdefault(field, []).append(_("Fältet måste fyllas i."))
    if account.unit.authority_id != account.authority_id:
        errors.setdefault("unit", []).append(_("Enheten hör inte till myndigheten."))
    policy = current_policy()
    if account.response_rule not in policy.response_rules:
        errors.setdefault("response_rule", []).append(_("Okänd svarstidsregel."))
    if account.platform == Platform.FACEBOOK_GROUP:
        page = account.official_page
        if page is None:
            errors.setdefault("official_page", []).append(
                _("En Facebookgrupp måste kunna nås från kommunens officiella Facebooksida (R3). Välj sidan.")
            )
        elif page.platform != Platform.FACEBOOK_PAGE or page.organisation_id != account.organisation_id:
            errors.setdefault("official_page", []).append(_("Den officiella sidan måste vara en av organisationens Facebooksidor."))
    elif account.official_page_id:
        account.official_page = None
    if account.unit.handles_confidential and not account.confidential_justification.strip():
        errors.setdefault("confidential_justification", []).append(
            _("Enheten hanterar mycket sekretessuppgifter (socialtjänst, vård och omsorg). "
              "Riktlinjerna avråder från konton här; skriv en motivering för beslutet (R27).")
        )
    if not account.responsible.email:
        errors.setdefault("responsible", []).append(_("Den ansvariga personen måste ha en e-postadress."))
    for admin in administrators:
        if not (admin.works_in(account.unit) or admin.is_samordnare):
            errors.setdefault("administrators", []).append(
                _("%(name)s har ingen roll i enheten och kan inte vara administratör.") % {"name": admin}
            )
    duplicate = Account.objects.filter(platform=account.platform, handle__iexact=account.handle).exclude(
        status=Status.AVSLUTAT).exclude(pk=account.pk)
    if account.handle and duplicate.exists():
        errors.setdefault("handle", []).append(_("Kontot finns redan i förteckningen."))
    if errors:
        raise ValidationError(errors)


def _locked(account: Account) -> Account:
    """The account's current row, locked for this transaction: never act on a stale copy."""
    return Account.objects.select_for_update().select_related("unit", "authority", "organisation").get(pk=account.pk)


def _notify_kansli(account: Account, subject: str, body: str) -> None:
    recipient = account.organisation.kansli_email

    def send() -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])

    transaction.on_commit(send)


def _account_summary(account: Account) -> str:
    return "\n".join([
        f"{_('Konto')}: {account.name} ({account.get_platform_display()})",
        f"{_('Adress')}: {account.url}",
        f"{_('Myndighet')}: {account.authority.name}",
        f"{_('Enhet')}: {account.unit.name}",
        f"{_('Ansvarig')}: {account.responsible} <{account.responsible.email}> {account.responsible.phone}",
        f"{_('Status')}: {account.get_status_display()}",
        f"{settings.SITE_URL}/register/{account.pk}/",
    ])


@transaction.atomic
def register_account(
    actor: User, *, unit: Unit, platform: str, name: str, handle: str, url: str, purpose: str,
    target_group: str, message: str, responsible: User, administrators: list[User],
    response_rule: str = "", official_page: Account | None = None, confidential_justification: str = "",
    external_id: str = "",
) -> Account:
    """Report a new presence (R4): a föreslaget account; a draft while it has < 2 administrators (R12)."""
    require_acknowledged(actor)
    permissions.require(permissions.can_register_in(actor, unit))
    account = Account(
        organisation=unit.authority.organisation, authority=unit.authority, unit=unit, platform=platform,
        name=name, handle=handle, url=url, purpose=purpose, target_group=target_group, message=message,
        responsible=responsible, response_rule=response_rule or current_policy().default_rule,
        official_page=official_page, confidential_justification=confidential_justification,
        external_id=external_id,
    )
    _validate(account, administrators)
    account.is_draft = len(set(administrators)) < 2
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ValidationError({"handle": [_("Kontot finns redan i förteckningen.")]}) from exc
    account.administrators.set(administrators)
    log.append("account.registered", actor=actor, obj=account, data={
        "platform": platform, "handle": account.handle, "url": account.url, "unit": unit.pk,
        "administrators": sorted(a.pk for a in administrators), "draft": account.is_draft,
    })
    _notify_kansli(
        account,
        _("Nytt konto i sociala medier anmält: %(name)s") % {"name": account.name},
        _("Ett nytt konto har anmälts till förteckningen (riktlinjerna 2.1).") + "\n\n" + _account_summary(account),
    )
    return account


@transaction.atomic
def register_account_from_cli(
    *, unit: Unit, platform: str, handle: str, url: str, name: str, external_id: str, text: str,
) -> Account:
    """A first installation from the command line: the account is registered as active so
    capture can start at once. The register flags what is missing (decisions, administrators,
    purpose) until someone completes it in the register."""
    account = Account(
        organisation=unit.authority.organisation, authority=unit.authority, unit=unit, platform=platform,
        name=name, handle=handle, url=url, external_id=external_id, purpose=text, target_group=text, message=text,
        responsible=_cli_user(), response_rule=current_policy().default_rule, status=Status.AKTIVT, is_draft=True,
        confidential_justification=text if unit.handles_confidential else "",
    )
    account.handle, account.url = normalise(platform, handle, url)
    if Account.objects.filter(platform=platform, handle__iexact=account.handle).exclude(status=Status.AVSLUTAT).exists():
        raise ValidationError({"handle": [_("Kontot finns redan i förteckningen.")]})
    account.save()
    log.append("account.registered_cli", actor="cli", obj=account, data={
        "platform": platform, "handle": account.handle, "url": account.url, "external_id": external_id, "unit": unit.pk,
    })
    return account


def _cli_user() -> User:
    """The service identity that owns entries made from the command line until a person takes over."""
    user, created = User.objects.get_or_create(
        username="insyn-cli", defaults={"first_name": "Insyn", "last_name": "(kommandoraden)", "email": "insyn-cli@localhost"})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def update_account(actor: User, account: Account, *, administrators: list[User] | None = None, **changes) -> Account:
    require_acknowledged(actor)
    permissions.require(permissions.can_edit(actor, account))
    if account.status == Status.AVSLUTAT:
        raise ValidationError(_("Ett avslutat konto kan inte ändras."))
    account = _locked(account)
    before = {f: getattr(account, f) for f in ACCOUNT_FIELDS + ("responsible_id", "official_page_id")}
    for field, value in changes.items():
        if field not in ACCOUNT_FIELDS + ("responsible", "official_page"):
            raise ValueError(f"field {field} cannot be changed here")
        setattr(account, field, value)
    admins = list(administrators) if administrators is not None else list(account.administrators.all())
    _validate(account, admins)
    account.is_draft = len(set(admins)) < 2
    if account.is_draft and account.status in (Status.BESLUTAT, Status.AKTIVT, Status.AVVECKLAS):
        raise ValidationError({"administrators": [_("Ett beslutat eller aktivt konto måste ha minst två administratörer (R12).")]})
    account.save()
    if administrators is not None:
        account.administrators.set(admins)
    after = {f: getattr(account, f) for f in before}
    changed = {f: {"from": before[f], "to": after[f]} for f in before if before[f] != after[f]}
    if administrators is not None:
        changed["administrators"] = sorted(a.pk for a in admins)
    log.append("account.updated", actor=actor, obj=account, data={"changes": changed})
    return account


@transaction.atomic
def decide(
    actor: User, account: Account, to_status: str, *, decided_by: User, decision_date: date,
    mandate: str, anchoring: str, note: str = "",
) -> AccountDecision:
    """Move an account one step in its workflow, recording the decision (R6, R11, R14)."""
    require_acknowledged(actor)
    permissions.require(permissions.can_decide(actor, account))
    account = _locked(account)
    errors: dict[str, list[str]] = {}
    if to_status not in account.allowed_transitions():
        raise ValidationError(
            _("Kontot kan inte gå från %(from)s till %(to)s.")
            % {"from": account.get_status_display(), "to": Status(to_status).label}
        )
    if not decided_by.covers_unit(account.unit, Role.CHEF):
        errors["decided_by"] = [_("Beslutet ska fattas av en chef för enheten (riktlinjerna 2.2).")]
    if not mandate.strip():
        errors["mandate"] = [_("Beskriv chefens uppdrag.")]
    if not anchoring.strip():
        errors["anchoring"] = [_("Beskriv hur beslutet är förankrat i ledningen.")]
    if decision_date > timezone.localdate():
        errors["decision_date"] = [_("Beslutsdatum kan inte ligga i framtiden.")]
    if to_status in (Status.BESLUTAT, Status.AKTIVT) and account.is_draft:
        errors["__all__"] = [_("Kontot måste ha minst två administratörer innan det kan beslutas eller öppnas (R12).")]
    if to_status == Status.AVSLUTAT and account.status == Status.AVVECKLAS and not account.farewell_published_at:
        errors["__all__"] = [_("Publicera avskedsinlägget innan kontot avslutas (riktlinjerna 2.4).")]
    if errors:
        raise ValidationError(errors)
    decision = AccountDecision.objects.create(
        account=account, from_status=account.status, to_status=to_status, decided_by=decided_by,
        decision_date=decision_date, mandate=mandate, anchoring=anchoring, note=note, recorded_by=actor,
    )
    previous = account.status
    account.status = to_status
    account.save(update_fields=["status", "updated_at"])
    log.append("account.decided", actor=actor, obj=account, data={
        "from": previous, "to": to_status, "decided_by": decided_by.pk, "decision_date": decision_date.isoformat(),
        "mandate": mandate, "anchoring": anchoring, "note": note, "decision": decision.pk,
    })
    from .signals import account_status_changed

    account_status_changed.send(sender=Account, account=account, from_status=previous, to_status=to_status, actor=actor)
    if to_status == Status.AVSLUTAT:
        _notify_kansli(
            account,
            _("Konto i sociala medier avslutat: %(name)s") % {"name": account.name},
            _("Kontot har avslutats (riktlinjerna 2.4).") + "\n\n" + _account_summary(account),
        )
    return decision


@transaction.atomic
def confirm_sender_checklist(actor: User, account: Account, *, logo_shown: bool, unit_shown: bool) -> Account:
    require_acknowledged(actor)
    permissions.require(permissions.can_edit(actor, account))
    account = _locked(account)
    account.logo_shown, account.unit_shown = logo_shown, unit_shown
    account.sender_checked_at, account.sender_checked_by = timezone.now(), actor
    account.save(update_fields=["logo_shown", "unit_shown", "sender_checked_at", "sender_checked_by", "updated_at"])
    log.append("account.sender_checked", actor=actor, obj=account, data={"logo_shown": logo_shown, "unit_shown": unit_shown})
    return account


def info_text(account: Account) -> str:
    """The R13 text for this account, generated from the policy in force."""
    policy = current_policy()
    responsible = account.responsible
    return render_template(policy.info_text, {
        "konto": account.name,
        "myndighet": account.authority.name,
        "enhet": account.unit.name,
        "svarstid": policy.rule_description(account.response_rule),
        "ansvarig": str(responsible),
        "kontakt": responsible.email,
        "webbplats": account.organisation.website or account.organisation.name,
    })


def farewell_text(account: Account, closing_date: date | None = None) -> str:
    policy = current_policy()
    return render_template(policy.farewell_text, {
        "konto": account.name,
        "myndighet": account.authority.name,
        "datum": (closing_date or timezone.localdate()).strftime("%-d/%-m %Y"),
        "webbplats": account.organisation.website or account.organisation.name,
    })


@transaction.atomic
def mark_info_text_published(actor: User, account: Account, *, url: str = "") -> Account:
    require_acknowledged(actor)
    permissions.require(permissions.can_edit(actor, account))
    account = _locked(account)
    version = current_policy_version()
    account.info_text_policy = version
    account.info_text_published_at = timezone.now()
    account.info_text_url = url
    account.save(update_fields=["info_text_policy", "info_text_published_at", "info_text_url", "updated_at"])
    log.append("account.info_text_published", actor=actor, obj=account, data={
        "policy": version.version if version else None, "url": url, "text": info_text(account),
    })
    return account


@transaction.atomic
def mark_farewell_published(actor: User, account: Account, *, url: str = "") -> Account:
    require_acknowledged(actor)
    permissions.require(permissions.can_edit(actor, account))
    account = _locked(account)
    if account.status != Status.AVVECKLAS:
        raise ValidationError(_("Avskedsinlägget publiceras när kontot avvecklas."))
    account.farewell_published_at = timezone.now()
    account.farewell_url = url
    account.save(update_fields=["farewell_published_at", "farewell_url", "updated_at"])
    log.append("account.farewell_published", actor=actor, obj=account, data={"url": url})
    return account
