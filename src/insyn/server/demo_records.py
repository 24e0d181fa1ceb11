"""The records features in `insyn demo` (issue 6), so a newcomer sees each one without setting
it up by hand: a recorded gallring decision, a request for records a few days old with items
selected, a saved snapshot made by the worker (and, from the demo organisation, one account
whose snapshot is overdue), and an e-archive delivery built by the worker.

Everything goes through the apps' actions, so the demo's event chain is a real one. The parts
that need archive items wait until capture has brought some in: the demo command calls
`advance()` every few seconds until it returns True. Each step checks whether it was done
already, so a restarted demo does not repeat it. Slow work (snapshot PDFs, packages) is queued
to the worker; nothing here blocks start-up.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from insyn.archive.models import Item
from insyn.records import actions as records_actions
from insyn.records.earchive import actions as earchive_actions
from insyn.records.earchive.models import Delivery
from insyn.records.models import GallringDecision
from insyn.records.snapshots import actions as snapshot_actions
from insyn.records.snapshots.models import Snapshot
from insyn.records.utlamnande import actions as utlamnande_actions
from insyn.records.utlamnande.models import Request
from insyn.registry.demo import ORG_NAME
from insyn.registry.models import Account, Authority, Platform, Unit, User

GALLRING_NOTE = "Demo: generellt gallringsbeslut för handlingar av tillfällig eller ringa betydelse."
REQUEST_DESCRIPTION = "Kommentarer och meddelanden som kommit in till kommunens Facebooksida de senaste dagarna."
REQUEST_ITEMS = 3
# The request came in this many days ago, so its age (TF 2 kap. 15 §: skyndsamt) shows.
REQUEST_AGE_DAYS = 3
# How long to wait for a post in which triage found personal data (so the review page has masks
# to suggest) before selecting posts without.
WAIT_FOR_PERSONAL_DATA = timedelta(minutes=5)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _facebook_page() -> Account:
    return Account.objects.get(organisation__name=ORG_NAME, platform=Platform.FACEBOOK_PAGE, handle="alvbykommun")


def _mastodon() -> Account:
    return Account.objects.get(organisation__name=ORG_NAME, platform=Platform.MASTODON)


def prepare() -> None:
    """What needs no archive items: the gallring decision (R23)."""
    if GallringDecision.objects.filter(note=GALLRING_NOTE).exists():
        return
    today = timezone.localdate()
    records_actions.record_gallring_decision(
        _user("arkivarie"), reference=f"KS {today.year}/41", decided_by="Kommunstyrelsen, § 112",
        decision_date=today - timedelta(days=30),
        authorities=list(Authority.objects.filter(organisation__name=ORG_NAME)),
        classes=["kommentarer", "direktmeddelanden", "borttaget_olagligt"], note=GALLRING_NOTE,
    )


def _request_items(candidates) -> list[Item]:
    """Triaged incoming comments and messages, those in which triage found personal data first
    (their masks are suggested on the review page)."""
    incoming = (candidates.filter(account=_facebook_page(), direction=Item.Direction.INKOMMEN,
                                  kind__in=[Item.Kind.COMMENT, Item.Kind.MESSAGE], versions__triage__isnull=False)
                .distinct().order_by("inkommen_at"))
    with_spans = list(incoming.exclude(versions__triage__spans=[]))
    rest = [i for i in incoming if i not in with_spans]
    return (with_spans + rest)[:REQUEST_ITEMS]


@transaction.atomic
def _register_request() -> bool:
    if Request.objects.filter(description=REQUEST_DESCRIPTION).exists():
        return True
    fb = _facebook_page()
    first = Item.objects.filter(account=fb).order_by("inkommen_at").values_list("inkommen_at", flat=True).first()
    if first is None:
        return False
    registrator = _user("registrator")
    unit = Unit.objects.get(name="Kommunkansliet", authority__organisation__name=ORG_NAME)
    items = _request_items(utlamnande_actions.selectable_items(registrator, Request(authority=unit.authority)))
    has_masks = (Item.objects.filter(pk__in=[i.pk for i in items], versions__triage__isnull=False)
                 .exclude(versions__triage__spans=[]).exists())
    if len(items) < REQUEST_ITEMS or not (has_masks or timezone.now() - first > WAIT_FOR_PERSONAL_DATA):
        return False  # try again when more has come in
    received = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=REQUEST_AGE_DAYS),
                                                    time(9, 12)))
    req = utlamnande_actions.register_request(
        registrator, unit=unit, received_at=received, channel=Request.Channel.EPOST, description=REQUEST_DESCRIPTION,
        requester_name="Tidningen Älvbybladet", requester_contact="redaktionen@alvbybladet.example",
        delivery_form="PDF per e-post", handler=registrator,
    )
    utlamnande_actions.add_items(registrator, req, items)
    return True


def _saved_snapshot() -> bool:
    """A snapshot of the Facebook page, generated by the worker and saved once it is complete."""
    account = _facebook_page()
    if account.snapshots.saved().exists():
        return True
    draft = account.snapshots.drafts().filter(trigger=Snapshot.Trigger.MANUAL).first()
    if draft is None:
        if not Item.objects.filter(account=account).exists():
            return False
        snapshot_actions.start_snapshot(_user("kommunikator"), account)  # generated in the worker
        return False
    if draft.generation != Snapshot.Generation.DONE:
        return False
    snapshot_actions.save_snapshot(_user("kommunikator"), draft)
    return True


def _earchive_delivery() -> bool:
    """An e-archive package of the Mastodon account, built by the worker."""
    from insyn.records.earchive.tasks import build_delivery_task

    account = _mastodon()
    if Delivery.objects.filter(account=account).exists():
        return True
    if not Item.objects.filter(account=account).exists():
        return False
    with transaction.atomic():
        delivery = earchive_actions.request_delivery(_user("arkivarie"), account=account)
        transaction.on_commit(lambda: build_delivery_task.enqueue(delivery.pk))
    return True


def advance() -> bool:
    """Do the steps whose archive items have arrived; True when every step is done."""
    done = [_register_request(), _saved_snapshot(), _earchive_delivery()]
    return all(done)
