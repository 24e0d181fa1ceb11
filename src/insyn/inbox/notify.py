"""E-mail from the inbox: forwarded questions, drafts, reminders, escalations, supervision.

Mail is sent after the transaction commits (never for a change that rolled back) and a mail
server that fails does not undo the change: ``robust`` on-commit callbacks log the error.
Mails carry a link and the deadline, never the resident's text: the text stays in Insyn,
where reads are controlled.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.registry.models import Account, Role, User

from .models import Case


def mail_on_commit(subject: str, body: str, recipients: Iterable[str]) -> None:
    to = sorted({r for r in recipients if r})
    if not to:
        return

    def send() -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)

    transaction.on_commit(send, robust=True)


def case_url(case: Case) -> str:
    return f"{settings.SITE_URL}{reverse('inbox_case', args=[case.pk])}"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _case_line(case: Case) -> str:
    return (f"- {case.account.name}, {case.item.get_kind_display().lower()} "
            f"{_('från')} {case.item.author_name or _('okänd')}, {_('svar senast')} {_when(case.due_at)}: {case_url(case)}")


def case_workers(case: Case) -> list[str]:
    """Who is reminded about a case: its assignee, else the account's communicators."""
    if case.assignee_id and case.assignee.email:
        return [case.assignee.email]
    account = case.account
    return [u.email for u in [account.responsible, *account.administrators.all()] if u.email and u.is_active]


def samordnare_emails(account: Account) -> list[str]:
    people = User.objects.filter(is_active=True, memberships__role=Role.SAMORDNARE).exclude(email="").distinct()
    return [u.email for u in people] or [account.organisation.kansli_email]


def forwarded(case: Case, recipients: list[User], note: str, actor: User) -> None:
    body = "\n".join([
        _("Hej!"), "",
        _("%(actor)s har skickat en fråga från %(account)s till dig, eftersom du är den som kan svara bäst.")
        % {"actor": actor, "account": case.account.name}, "",
        *([_("Meddelande:"), note, ""] if note else []),
        _("Skriv ett utkast till svar i Insyn; kommunikatören publicerar det."),
        f"{_('Svar senast')}: {_when(case.due_at)}",
        case_url(case),
    ])
    mail_on_commit(_("Insyn: en fråga har vidarebefordrats till dig"), body, [u.email for u in recipients])


def draft_ready(case: Case, actor: User) -> None:
    if case.forwarded_by is None:
        return
    body = "\n".join([
        _("Hej!"), "",
        _("%(actor)s har skrivit ett utkast till svar. Granska och publicera det i Insyn.") % {"actor": actor},
        f"{_('Svar senast')}: {_when(case.due_at)}",
        case_url(case),
    ])
    mail_on_commit(_("Insyn: utkast till svar är klart"), body, [case.forwarded_by.email])


def reminders(recipient: str, cases: list[Case]) -> None:
    body = "\n".join([
        _("Hej!"), "",
        _("De här frågorna behöver svar snart:"), "",
        *[_case_line(c) for c in cases],
    ])
    mail_on_commit(_("Insyn: %(n)d ärenden behöver svar snart") % {"n": len(cases)}, body, [recipient])


def escalations(recipient: str, cases: list[Case], *, immediate: bool = False) -> None:
    intro = (_("De här inläggen behöver en person genast (möjligt barnpornografibrott eller liknande):")
             if immediate else _("Svarstiden har gått ut för de här ärendena:"))
    body = "\n".join([_("Hej!"), "", intro, "", *[_case_line(c) for c in cases]])
    subject = (_("Insyn: inlägg som behöver granskas genast") if immediate
               else _("Insyn: %(n)d ärenden har passerat svarstiden") % {"n": len(cases)})
    mail_on_commit(subject, body, [recipient])


def supervision_due(account: Account, due_at) -> None:
    recipients = [u.email for u in [account.responsible, *account.administrators.all()] if u.email and u.is_active]
    body = "\n".join([
        _("Hej!"), "",
        _("Det är dags för tillsyn av %(account)s: inläggen ska gås igenom minst en gång i veckan "
          "(lagen om elektroniska anslagstavlor, 4 §). Tillsynen skulle ha gjorts senast %(when)s.")
        % {"account": account.name, "when": _when(due_at)}, "",
        f"{settings.SITE_URL}{reverse('inbox_supervise', args=[account.pk])}",
    ])
    mail_on_commit(_("Insyn: dags för tillsyn av %(account)s") % {"account": account.name}, body, recipients)
