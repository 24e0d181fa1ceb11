"""The inbox's side of the platform clients: reaching an account, saying what went wrong in
Swedish, and archiving what Insyn published.

The clients themselves live in capture/platforms/ (``reply``, ``set_hidden``, ``delete``,
Facebook's ``send_message``); this module never speaks HTTP itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.archive.models import Item
from insyn.capture import actions as capture_actions
from insyn.capture.models import Connection
from insyn.capture.platforms.base import NotFound, PlatformError, RateLimited, TokenInvalid
from insyn.lib.hashing import sha256_hex
from insyn.lib.http import HttpSeam, TransportFailure
from insyn.registry.models import Account

logger = logging.getLogger(__name__)

# Platforms whose write API honours an idempotency key: a retry with the same key returns
# the first result instead of publishing again (Mastodon: methods/statuses#create).
# Bluesky: the reply's record key is derived from the key, and a retry finds the first record.
IDEMPOTENT_PLATFORMS = {"mastodon", "bluesky"}


class ActionFailed(Exception):
    """A platform action did not happen (or may not have). ``str()`` is for people, in
    Swedish; ``detail`` is the platform's own words; ``unclear`` means the request may
    have reached the platform."""

    def __init__(self, message: str, *, detail: str = "", unclear: bool = False):
        super().__init__(message)
        self.detail, self.unclear = detail, unclear


class NotArchived(PlatformError):
    """What was about to be moderated could not be archived first, so nothing was done."""

    permanent = False


def archive_before_moderating(account: Account, client, platform_id: str) -> None:
    """Store what the platform says about ``platform_id`` right now, before it is hidden or
    removed, where the client knows what that takes (``pages_before_moderation``): a
    rejected YouTube comment can never be listed again and takes its replies with it, so
    its current text and replies must already be in the archive. Each page is captured and
    normalised like a polled one. Raises ``NotFound`` when the platform says the item is
    already gone (that page is kept too), and ``NotArchived`` when a page could not be
    applied or the item is still missing from the archive: then nothing is moderated."""
    pages = getattr(client, "pages_before_moderation", None)
    if pages is None:
        return
    for page in pages(platform_id):
        raw = capture_actions.capture_page(account, page)
        if raw.status != raw.Status.PROCESSED:
            raise NotArchived(f"archiving {platform_id} before moderation: raw capture {raw.pk} is {raw.status}")
    if not Item.objects.filter(account=account, platform_id=platform_id).exists():
        raise NotArchived(f"archiving {platform_id} before moderation: the item is not in the archive")


def http() -> HttpSeam:
    """The seam for actions taken while a person waits: short timeouts, one retry."""
    return HttpSeam(timeout=15.0, max_attempts=2, backoff_base=0.5, max_wait=5.0)


def connection_for(account: Account) -> Connection:
    connection = Connection.objects.select_related("account").filter(account=account).first()
    if connection is None or not connection.token_encrypted:
        raise ActionFailed(_("Kontot är inte anslutet till Insyn, så inget kan göras på plattformen härifrån. "
                             "Anslut kontot i förteckningen."))
    if connection.status == Connection.Status.TOKEN_INVALID:
        raise ActionFailed(_("Kontots åtkomstnyckel har gått ut eller återkallats. Be en administratör ansluta "
                             "kontot igen. Inget har ändrats på plattformen."), detail=connection.error)
    return connection


def client_for(connection: Connection):
    return capture_actions._client(connection, http())


def _verbs() -> dict[str, str]:
    return {"reply": _("svara"), "message": _("skicka meddelanden"), "hide": _("dölja inlägg"),
            "delete": _("ta bort inlägg"), "notify_author": _("skicka meddelanden")}


def explain(exc: BaseException, account: Account, kind: str) -> ActionFailed:
    """A platform error as a Swedish sentence. ``kind`` is what was attempted (a
    ``PlatformAction.Kind``)."""
    platform = account.get_platform_display()
    verb = _verbs().get(kind, kind)
    detail = str(exc)[:2000]
    if isinstance(exc, TokenInvalid):
        return ActionFailed(_("Kontots åtkomstnyckel har gått ut eller återkallats, så %(platform)s tog inte emot "
                              "åtgärden. Be en administratör ansluta kontot igen.") % {"platform": platform},
                            detail=detail)
    if isinstance(exc, RateLimited):
        when = timezone.localtime(exc.retry_at).strftime("%H:%M") if exc.retry_at else ""
        message = _("%(platform)s begränsar antalet anrop just nu. Försök igen om en stund") % {"platform": platform}
        return ActionFailed(message + (f" ({_('efter kl.')} {when})." if when else "."), detail=detail)
    if isinstance(exc, NotArchived):
        return ActionFailed(_("Inlägget kunde inte arkiveras innan det modererades, så ingenting har ändrats på "
                              "%(platform)s. Försök igen om en stund.") % {"platform": platform}, detail=detail)
    if isinstance(exc, NotFound):
        return ActionFailed(_("Inlägget finns inte längre på %(platform)s.") % {"platform": platform}, detail=detail)
    if isinstance(exc, NotImplementedError):
        return ActionFailed(_("Det går inte att %(verb)s på %(platform)s genom Insyn.") % {"verb": verb, "platform": platform},
                            detail=detail)
    if isinstance(exc, PlatformError) and exc.permanent:
        if account.platform == "bluesky" and kind == "delete":
            return ActionFailed(_("Bluesky kan inte ta bort andras inlägg. Dölj svaret i kontots egen tråd i stället, "
                                  "eller blockera eller anmäl kontot i Bluesky, och registrera beslutet här."),
                                detail=detail)
        if account.platform == "bluesky" and kind == "hide":
            return ActionFailed(_("Bluesky kan bara dölja svar i trådar som kontot själv har startat. Blockera eller "
                                  "anmäl kontot i Bluesky i stället, och registrera beslutet här."), detail=detail)
        if account.platform == "mastodon" and kind in ("hide", "delete"):
            return ActionFailed(_("Mastodon kan inte dölja eller ta bort andras inlägg. Blockera, tysta eller anmäl "
                                  "kontot i Mastodon i stället, och registrera beslutet här."), detail=detail)
        return ActionFailed(_("%(platform)s nekade åtgärden. Inget har ändrats.") % {"platform": platform}, detail=detail)
    if isinstance(exc, PlatformError | TransportFailure):
        return ActionFailed(_("%(platform)s svarade inte eller svarade med ett serverfel. Ärendet är oförändrat; "
                              "försök igen om en stund. Insyn ser till att ingenting publiceras två gånger.")
                            % {"platform": platform}, detail=detail, unclear=True)
    raise exc


# ---------------------------------------------------------------- archiving what we published


def archive_published(connection: Connection, client, *, platform_id: str, text: str, target: Item,
                      kind: str) -> Item:
    """Put the reply Insyn just published into the archive as an upprättad handling.

    Where the platform can be asked for the new object (Mastodon), its answer is stored as
    a raw capture and normalised like any polled page. Otherwise (Graph) the item is created
    from what we sent, keyed by the platform's id and with no version yet: the next poll or
    webhook finds the same id and adds the platform's version 1, so nothing is duplicated.
    Either way the account is polled soon."""
    account = connection.account
    try:
        page = client.refetch(platform_id)
    except (PlatformError, TransportFailure) as exc:
        logger.warning("refetch of published %s failed: %s", platform_id, exc)
        page = None
    if page is not None:
        raw = capture_actions.record_raw(
            account=account, platform=account.platform, source="poll", body=page.body, url=page.url,
            headers=capture_actions.kept_headers(page.headers), context=page.context)
        capture_actions.process_raw(raw.pk)
        item = Item.objects.filter(account=account, platform_id=platform_id).first()
        if item is not None:
            return item
    item = _placeholder(account, platform_id=platform_id, text=text, target=target, kind=kind)
    Connection.objects.filter(pk=connection.pk).update(next_poll_at=timezone.now())
    return item


def _placeholder(account: Account, *, platform_id: str, text: str, target: Item, kind: str) -> Item:
    now = timezone.now()
    if kind == "message":
        fields = {"kind": "message", "record_type": "direct_message", "parent_platform_id": "",
                  "thread_platform_id": target.thread_platform_id}
    else:
        # Graph puts a reply to a reply under the top-level comment; a comment on a post is a
        # top-level comment.
        parent = target.parent_platform_id if target.kind == "reply" else target.platform_id
        fields = {"kind": "comment" if target.kind == "post" else "reply", "record_type": "own_post",
                  "parent_platform_id": parent, "thread_platform_id": target.thread_platform_id or target.platform_id}
    parent_item = Item.objects.filter(account=account, platform_id=fields["parent_platform_id"]).first() \
        if fields["parent_platform_id"] else None
    try:
        with transaction.atomic():
            item, _created = Item.objects.get_or_create(account=account, platform_id=platform_id, defaults={
                **fields, "direction": "upprattad", "author_id": account.external_id, "author_name": account.name,
                "created_at": now, "inkommen_at": now, "text": text, "text_sha256": sha256_hex(text),
                "version_count": 0, "parent": parent_item,
            })
    except IntegrityError:  # the webhook was faster
        item = Item.objects.get(account=account, platform_id=platform_id)
    return item


def find_published(connection: Connection, *, text: str, target: Item, since) -> Item | None:
    """After an unclear outcome on a platform without idempotency keys (Graph): poll the
    account and look for our own item with this text in the target's thread."""
    report = capture_actions.poll(connection, full=False)
    if report.error:
        logger.warning("poll before retry of %s failed: %s", connection.account, report.error)
    thread = target.thread_platform_id or target.platform_id
    return (Item.objects.filter(account=connection.account, direction="upprattad", thread_platform_id=thread,
                                text_sha256=sha256_hex(text), created_at__gte=since - timedelta(minutes=5))
            .order_by("id").first())
