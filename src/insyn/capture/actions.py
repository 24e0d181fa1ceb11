"""Capture: raw pages in, archive out.

Invariants:
- ``record_raw`` writes the bytes as received and their chain entry in one transaction;
  a webhook is acknowledged, and a poll cursor advanced, only after that commit.
- ``process_raw`` is idempotent and depends only on the raw row: the same raw twice, or the
  whole log replayed by ``reprocess``, gives the same archive.
- Malformed data is quarantined with its reason; it never stops a worker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from insyn.archive import apply as archive_apply
from insyn.archive.models import Item, RawCapture
from insyn.eventlog import log
from insyn.lib.hashing import canonical_json, sha256_hex
from insyn.lib.http import HttpSeam, TransportFailure
from insyn.registry.models import Account, Role, Status, User

from .models import Connection
from .platforms import platform_class
from .platforms.base import Connection as PlatformConnection
from .platforms.base import (
    FetchedPage,
    MalformedPayload,
    Normalised,
    NotFound,
    PlatformError,
    RateLimited,
    StateSignal,
    TokenInvalid,
)

logger = logging.getLogger(__name__)

# Headers worth keeping with a raw page (provenance, rate limits); never auth headers.
KEPT_HEADERS = {"content-type", "date", "link", "x-app-usage", "x-business-use-case-usage", "x-ratelimit-limit",
                "x-ratelimit-remaining", "x-ratelimit-reset", "x-hub-signature-256", "x-fb-trace-id",
                "facebook-api-version", "retry-after", "etag", "last-modified",
                "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy"}
POLLED_STATUSES = (Status.AKTIVT, Status.AVVECKLAS)


def find_account(ref: str, *, platforms: Iterable[str] = ()) -> Account | None:
    """An account by what an operator types: its register number, the platform's id, or its
    handle with or without a leading @. The same handle is often used on several platforms
    (a kommun's Facebook page, Instagram and X): with ``platforms`` an account on one of
    them is preferred, so ``insyn import x-archive … --account angekommun`` finds the X
    account rather than the Facebook page."""
    ref = ref.strip()
    everything = Account.objects.select_related("organisation")
    platforms = list(platforms)
    for accounts in ([everything.filter(platform__in=platforms)] if platforms else []) + [everything]:
        if ref.isdigit():
            found = accounts.filter(pk=int(ref)).first() or accounts.filter(external_id=ref).first()
            if found:
                return found
        for candidate in (ref, "@" + ref.lstrip("@"), ref.lstrip("@")):
            found = accounts.filter(handle__iexact=candidate).first()
            if found:
                return found
        found = accounts.filter(external_id=ref).first()
        if found:
            return found
    return None


def kept_headers(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in dict(headers).items() if k.lower() in KEPT_HEADERS}


@transaction.atomic
def record_raw(
    *, account: Account | None, platform: str, source: str, body: bytes, url: str = "",
    headers: dict | None = None, context: dict | None = None, received_at: datetime | None = None,
    status: str = RawCapture.Status.PENDING, error: str = "", enqueue: bool = True,
) -> RawCapture:
    """Store one payload exactly as received and chain it. Processing is scheduled on commit
    (``enqueue=False`` when the caller processes it right away; the worker's sweep of pending
    rows covers a crash in between)."""
    raw = RawCapture.objects.create(
        account=account, platform=platform, source=source, url=url[:2000], body=bytes(body),
        sha256=sha256_hex(bytes(body)), headers=headers or {}, context=context or {},
        received_at=received_at or timezone.now(), status=status, error=error,
    )
    event = log.append("capture.received", obj=raw, data={
        "account": account.pk if account else None, "source": source, "sha256": raw.sha256,
        "bytes": len(raw.body), "url": raw.url, "status": status,
    })
    RawCapture.objects.filter(pk=raw.pk).update(event_seq=event.seq)
    if status == RawCapture.Status.PENDING and enqueue:
        from .tasks import process_capture

        transaction.on_commit(lambda: process_capture.enqueue(raw.pk))
    return raw


def normalise_raw(raw: RawCapture) -> Normalised:
    """What a raw capture says, by its platform's pure normaliser (or the full-pass rule)."""
    context = {**raw.context, "account_external_id": raw.account.external_id if raw.account else ""}
    if raw.source == RawCapture.Source.FULL_PASS:
        return _full_pass_signals(raw)
    if raw.source == RawCapture.Source.IMPORT:
        from .imports import reader_class  # an export file's batch: its kind's pure normaliser

        try:
            importer = reader_class(raw.context.get("import_kind", ""))
        except LookupError as exc:
            raise MalformedPayload(str(exc)) from exc
        return importer.normalise_batch(bytes(raw.body), context)
    return platform_class(raw.platform).normalise(bytes(raw.body), context)


def _unlisted_kinds(platform: str) -> tuple[str, ...]:
    """Kinds the platform's full pass cannot list: their absence proves nothing."""
    try:
        return platform_class(platform).unlisted_kinds
    except LookupError:
        return ()


def _full_pass_signals(raw: RawCapture) -> Normalised:
    try:
        data = json.loads(bytes(raw.body))
        seen, started = set(data["seen"]), datetime.fromisoformat(data["started_at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedPayload(f"full-pass summary unreadable: {exc}") from exc
    missing = (Item.objects.filter(account_id=raw.account_id, inkommen_at__lt=started)
               .filter(state__in=[Item.State.VISIBLE, Item.State.HIDDEN])
               .exclude(kind__in=_unlisted_kinds(raw.platform))
               .exclude(platform_id__in=seen).values_list("platform_id", flat=True))
    return Normalised(signals=[StateSignal(pid, "deleted_on_platform", raw.received_at) for pid in missing])


def process_raw(raw_id: int) -> str:
    """Apply one raw capture to the archive (idempotent). Returns its status afterwards."""
    with transaction.atomic():
        raw = RawCapture.objects.select_for_update(of=("self",)).select_related("account").filter(pk=raw_id).first()
        if raw is None or raw.status != RawCapture.Status.PENDING:
            return raw.status if raw else "missing"
        return _process(raw)


def _process(raw: RawCapture) -> str:
    """Apply a pending raw capture the caller holds (locked, or created in this transaction)."""
    with transaction.atomic():
        if raw.account_id is None:
            return _quarantine(raw, raw.error or "no account matches this payload")
        try:
            normalised = normalise_raw(raw)
        except MalformedPayload as exc:
            return _quarantine(raw, str(exc))
        result = archive_apply.apply(raw, normalised)
        raw.status, raw.processed_at = RawCapture.Status.PROCESSED, timezone.now()
        raw.save(update_fields=["status", "processed_at"])
        log.append("capture.processed", obj=raw, data=result.as_dict())
        return raw.status


def _quarantine(raw: RawCapture, reason: str) -> str:
    raw.status, raw.error, raw.processed_at = RawCapture.Status.QUARANTINED, reason[:2000], timezone.now()
    raw.save(update_fields=["status", "error", "processed_at"])
    # The chain gets a hash of the reason, not the reason: a parser's message may quote the
    # payload, and the chain is never gallrad.
    log.append("capture.quarantined", obj=raw, data={"reason_sha256": sha256_hex(reason)})
    logger.warning("raw capture %s quarantined: %s", raw.pk, reason)
    return raw.status


def capture_page(account: Account, page: FetchedPage, *, source: str = RawCapture.Source.POLL,
                 after_store=None) -> RawCapture:
    """Store one fetched page and apply it, committing once.

    The raw row (and ``after_store``, e.g. advancing the poll cursor) commit together; the
    archive work runs in a savepoint inside the same transaction, so an unexpected error in
    it rolls back only the archive work and leaves the raw row pending for the worker's sweep:
    capture first, think later — with one commit per page instead of two.
    """
    with transaction.atomic():
        raw = record_raw(account=account, platform=account.platform, source=source, body=page.body, url=page.url,
                         headers=kept_headers(page.headers), context=page.context, enqueue=False)
        if after_store is not None:
            after_store()
        try:
            # The row was created in this transaction: no other worker can see it yet.
            _process(raw)
        except Exception:  # noqa: BLE001 - any bug here must not lose the page; the sweep retries
            logger.exception("processing raw capture %s failed; left pending", raw.pk)
    return raw


def process_pending(limit: int = 1000) -> int:
    ids = list(RawCapture.objects.filter(status=RawCapture.Status.PENDING).order_by("id").values_list("id", flat=True)[:limit])
    for raw_id in ids:
        process_raw(raw_id)
    return len(ids)


# ---------------------------------------------------------------- connections and polling


@transaction.atomic
def connect_account(account: Account, *, token: str, base_url: str = "", actor=None) -> Connection:
    """Give Insyn access to an account (token stored encrypted) and schedule its first poll."""
    connection, _ = Connection.objects.get_or_create(account=account)
    connection.set_token(token)
    connection.base_url = base_url or _default_base_url(account)
    connection.status, connection.error, connection.consecutive_failures = Connection.Status.ACTIVE, "", 0
    connection.next_poll_at = timezone.now()
    connection.save()
    log.append("capture.connected", actor=actor, obj=connection, data={"account": account.pk, "base_url": connection.base_url})
    return connection


def _default_base_url(account: Account) -> str:
    if account.platform in ("facebook_page", "facebook_group", "instagram"):
        return settings.FACEBOOK_GRAPH_URL
    if account.platform == "youtube":
        return settings.YOUTUBE_API_URL
    if account.platform == "mastodon":
        host = account.handle.rsplit("@", 1)[-1]
        scheme = "http" if host.split(":")[0] in ("127.0.0.1", "localhost") else "https"
        return f"{scheme}://{host}"
    if account.platform == "bluesky":
        return "https://bsky.social"  # the entryway; the session's DID document names the PDS
    if account.platform == "blog":
        # WordPress's feed address; give the blog's /wp-json to use its REST API instead.
        return account.url.rstrip("/") + "/feed/"
    return ""


def claim_due(owner: str, *, now: datetime | None = None, lease_seconds: int = 600, limit: int = 10) -> list[Connection]:
    """Claim connections whose poll is due; a conditional update decides who won each."""
    now = now or timezone.now()
    due_filter = (Q(status=Connection.Status.ACTIVE) & Q(account__status__in=POLLED_STATUSES)
                  & (Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
                  & (Q(lease_until__isnull=True) | Q(lease_until__lt=now)))
    candidates = list(Connection.objects.filter(due_filter).order_by("next_poll_at").values_list("pk", flat=True)[:limit])
    claimed = []
    for pk in candidates:
        won = Connection.objects.filter(due_filter, pk=pk).update(lease_until=now + timedelta(seconds=lease_seconds), lease_owner=owner)
        if won:
            claimed.append(Connection.objects.select_related("account").get(pk=pk))
    return claimed


@dataclass
class PollReport:
    pages: int = 0
    items: int = 0
    full: bool = False
    error: str = ""
    raw_ids: list[int] = field(default_factory=list)


def _client(connection: Connection, http: HttpSeam | None = None):
    account = connection.account
    cls = platform_class(account.platform)
    return cls(PlatformConnection(platform=account.platform, external_id=account.external_id, handle=account.handle,
                                  base_url=connection.base_url, token=connection.get_token()), http or HttpSeam())


def poll(connection: Connection, *, full: bool | None = None, http: HttpSeam | None = None) -> PollReport:
    """Poll one account now: each page is stored (and the cursor advanced) before the next."""
    now = timezone.now()
    if full is None:
        due = connection.last_full_pass_at is None or connection.last_full_pass_at + timedelta(seconds=connection.full_pass_interval) <= now
        full = due
    report = PollReport(full=full)
    started = datetime.now(UTC)
    cursor = dict(connection.cursor or {})
    seen: set[str] = set()
    client = _client(connection, http)
    try:
        for page in client.poll(cursor, full=full):
            raw = capture_page(connection.account, page,
                               after_store=lambda: Connection.objects.filter(pk=connection.pk).update(cursor=cursor))
            report.pages += 1
            report.raw_ids.append(raw.pk)
            if full:
                try:
                    seen.update(i.platform_id for i in normalise_raw(raw).items)
                except MalformedPayload:
                    full = False  # a page we cannot read: don't conclude that anything disappeared
        if full:
            seen |= _confirm_still_there(connection, client, seen, started)
            summary = canonical_json({"seen": sorted(seen), "started_at": started.isoformat()}).encode()
            raw = record_raw(account=connection.account, platform=connection.account.platform,
                             source=RawCapture.Source.FULL_PASS, body=summary, context={"kind": "full_pass_end"})
            process_raw(raw.pk)
    except TokenInvalid as exc:
        _stop_for_token(connection, str(exc))
        report.error = str(exc)
        return report
    except RateLimited as exc:
        _schedule(connection, failed=True, error=str(exc), at=exc.retry_at)
        report.error = str(exc)
        return report
    except (PlatformError, TransportFailure) as exc:
        _schedule(connection, failed=True, error=str(exc))
        report.error = str(exc)
        return report
    finally:
        client.http.close()
    _schedule(connection, failed=False, full_done=report.full and full)
    return report


# How many items missing from a full pass are re-read one by one before they are marked gone.
MAX_CONFIRMATIONS = 200


def _confirm_still_there(connection: Connection, client, seen: set[str], started: datetime) -> set[str]:
    """Items a full pass did not list but the platform still has (a Mastodon mention whose
    notification was dismissed). Each re-read is stored as a raw capture like any page."""
    candidates = list(Item.objects.filter(account=connection.account, inkommen_at__lt=started)
                      .filter(state__in=[Item.State.VISIBLE, Item.State.HIDDEN]).exclude(platform_id__in=seen)
                      .exclude(kind__in=client.unlisted_kinds)
                      .values_list("platform_id", flat=True)[:MAX_CONFIRMATIONS])
    still_there: set[str] = set()
    for platform_id in candidates:
        try:
            page = client.refetch(platform_id)
        except NotFound:
            continue
        if page is None:
            break  # the platform cannot be asked: trust the pass
        capture_page(connection.account, page)
        still_there.add(platform_id)
    return still_there


def _schedule(connection: Connection, *, failed: bool, error: str = "", at: datetime | None = None, full_done: bool = False) -> None:
    now = timezone.now()
    updates = {"lease_until": None, "lease_owner": "", "last_poll_at": now}
    if failed:
        failures = connection.consecutive_failures + 1
        backoff = min(3600, connection.poll_interval * 2 ** min(failures, 6))
        updates.update(consecutive_failures=failures, error=error[:2000], next_poll_at=at or now + timedelta(seconds=backoff))
        if failures >= 5:
            updates["status"] = Connection.Status.FAILING
    else:
        updates.update(consecutive_failures=0, error="", next_poll_at=now + timedelta(seconds=connection.poll_interval))
        if full_done:
            updates["last_full_pass_at"] = now
    Connection.objects.filter(pk=connection.pk).update(**updates)
    if failed:
        with transaction.atomic():
            log.append("capture.poll_failed", obj=connection, data={"error": error[:500]})


def _stop_for_token(connection: Connection, reason: str) -> None:
    """An expired or revoked token stops the account and alerts the samordnare (no crash)."""
    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(
            status=Connection.Status.TOKEN_INVALID, error=reason[:2000], lease_until=None, lease_owner="")
        log.append("capture.token_invalid", obj=connection, data={"account": connection.account_id,
                                                                    "reason_sha256": sha256_hex(reason)})
        account = connection.account
        recipients = sorted({account.organisation.kansli_email, *User.objects.filter(
            memberships__role=Role.SAMORDNARE, is_active=True).exclude(email="").values_list("email", flat=True)})
        subject = f"Insyn: åtkomsten till {account.name} har upphört"
        body = (f"Insyn kan inte längre hämta från {account.name} ({account.url}): {reason}\n\n"
                f"Hämtningen är stoppad tills en ny åtkomstnyckel läggs in.\n{settings.SITE_URL}/register/{account.pk}/")

        def alert() -> None:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
            except OSError:
                # The stop itself is recorded and shown on the account; a mail server that is
                # down must not turn it into a crash.
                logger.exception("could not e-mail the token alert for account %s", account.pk)

        transaction.on_commit(alert)


# ---------------------------------------------------------------- rebuilding from the raw log


def archive_fingerprint(account_id: int) -> str:
    """A digest of everything the raw log determines for an account (ids excluded)."""
    rows = []
    for item in Item.objects.filter(account_id=account_id).order_by("platform_id").prefetch_related("versions", "state_changes"):
        rows.append([
            item.platform_id, item.kind, item.direction, item.record_type, item.parent_platform_id,
            item.thread_platform_id, item.author_id, item.author_name, item.created_at, item.inkommen_at,
            item.state, item.text_sha256,
            [(v.number, v.sha256, v.platform_time, v.captured_at, v.raw_id) for v in item.versions.all()],
            [(c.state, c.seen_at, c.source, c.raw_id) for c in item.state_changes.all()],
        ])
    return sha256_hex(canonical_json(rows))


def reprocess(account: Account) -> tuple[str, str]:
    """Rebuild an account's archive from its raw log; returns (fingerprint before, after)."""
    before = archive_fingerprint(account.pk)
    with transaction.atomic():
        archive_apply.reset_account(account.pk)
        for raw in RawCapture.objects.filter(account=account).exclude(status=RawCapture.Status.QUARANTINED).order_by("id").iterator():
            try:
                normalised = normalise_raw(raw)
            except MalformedPayload:
                continue
            archive_apply.apply(raw, normalised)
        archive_apply.restore_own_states(account.pk)
        after = archive_fingerprint(account.pk)
        log.append("capture.reprocessed", obj=account, data={"before": before, "after": after})
    return before, after
