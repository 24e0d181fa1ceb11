"""Gallring: disposal of archive content past its retention period, under a recorded decision (R23).

Invariants:
1. Nothing is disposed of without a recorded, unrevoked ``GallringDecision`` covering the
   item's record class and its account's authority. A run with no applicable decision is
   refused before it writes anything.
2. The period applied is the longer of the decision's and the policy's in force; a class the
   policy now says bevaras is not gallrad, whatever an older decision says.
3. Nothing protected (``holds.py``: legal holds, open requests for records) is disposed of.
   Protection is checked when a batch is selected and again inside the batch's transaction
   after locking the batch's accounts, the lock hold and request actions also take.
4. Each batch is one transaction: emptying the items' text, author, every version's text,
   moderators' free-text reasons and triage evidence, removing their search index rows,
   other apps' copies (``signals.item_content_disposed``), marking them ``DisposedItem``,
   and the batch's disposal log entry with its chain event commit together or not at all.
   A crash loses at most the batch in progress.
5. A media file is deleted only after the batch that released it has committed, and only
   when no kept item refers to it; a crash in between leaves a file the next run deletes.
6. A raw capture's body is emptied only when every item it carries (read again with its
   platform's normaliser) has been disposed of. A page that also carries a kept record stays
   whole: its bytes are that record's evidence, and its sha256 must keep matching them.
7. Provenance survives, content does not: ids, times, the sha256 of every version, raw page
   and file, sizes, platform URLs, the record class, the decision and the run remain. The
   disposal log and the event chain hold counts, references and digests of ids — never content.
8. A dry run (``preview``) only reads.
9. One run at a time (a unique index on running runs); a run whose lease has expired is
   marked abandoned, and what it had not finished is picked up by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from insyn.archive import search
from insyn.archive.media import media_path
from insyn.archive.models import (
    Item,
    ItemMedia,
    ItemStateChange,
    ItemVersion,
    RawCapture,
    VersionTriage,
)
from insyn.eventlog import log
from insyn.lib.hashing import sha256_hex
from insyn.registry.models import Account, User
from insyn.registry.permissions import require

from . import permissions
from .holds import protected_filter
from .models import (
    DisposalLogEntry,
    DisposedItem,
    DisposedMedia,
    DisposedRaw,
    GallringDecision,
    GallringRun,
    RawSweepState,
)
from .retention import (
    Period,
    RetentionError,
    items_of_class,
    retention_classes,
    with_reference_time,
)
from .signals import item_content_disposed

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
RAW_BATCH_SIZE = 200
LEASE = timedelta(minutes=15)


class GallringRefused(Exception):
    """Gallring may not run: no decision applies, or another run is in progress."""


@dataclass
class ClassPlan:
    """One record class under one decision, for a set of authorities."""

    key: str
    label: str
    decision: GallringDecision
    authority_ids: list[int]
    period: Period
    cutoff: datetime
    count: int = 0
    held: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None

    def as_dict(self) -> dict:
        return {"class": self.key, "decision": self.decision.pk, "reference": self.decision.reference,
                "period": self.period.iso, "cutoff": self.cutoff.isoformat(), "authorities": self.authority_ids}


@dataclass
class Plan:
    now: datetime
    classes: list[ClassPlan] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (class, why it is not gallrad)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.classes)


def _decisions(*, decision_ids=None, user: User | None = None):
    decisions = GallringDecision.objects.filter(revoked_at__isnull=True).prefetch_related("authorities")
    if decision_ids is not None:
        decisions = decisions.filter(pk__in=list(decision_ids))
    if user is not None and not user.is_superuser:
        # An arkivarie acts for their own organisation (decisions never span organisations).
        decisions = decisions.filter(authorities__organisation_id__in=permissions.organisation_ids(user)).distinct()
    return decisions.order_by("-decision_date", "-id")


def make_plan(*, decision_ids=None, classes=None, user: User | None = None, now: datetime | None = None) -> Plan:
    """Which classes gallring would cover now, under which decision and cutoff (no counts)."""
    now = now or timezone.now()
    plan = Plan(now=now)
    try:
        policy_classes = retention_classes()
    except RetentionError as exc:
        raise GallringRefused(f"Riktlinjernas gallringsregler är felaktiga: {exc}") from exc
    wanted = set(classes) if classes else None
    claims: dict[tuple[str, int], GallringDecision] = {}
    for decision in _decisions(decision_ids=decision_ids, user=user):
        for key in decision.classes:
            if wanted is not None and key not in wanted:
                continue
            for authority in decision.authorities.all():
                # The newest decision for a class and authority is the one that applies.
                claims.setdefault((key, authority.pk), decision)
    groups: dict[tuple[str, int], list[int]] = {}
    for (key, authority_id), decision in claims.items():
        groups.setdefault((key, decision.pk), []).append(authority_id)
    by_id = {d.pk: d for d in set(claims.values())}
    for (key, decision_id), authority_ids in sorted(groups.items()):
        decision, cls = by_id[decision_id], policy_classes.get(key)
        if cls is None:
            plan.skipped.append((key, "finns inte i riktlinjerna som gäller nu"))
            continue
        if not cls.gallras:
            plan.skipped.append((cls.label, "bevaras enligt riktlinjerna som gäller nu"))
            continue
        if not cls.mapped:
            plan.skipped.append((cls.label, "hör inte till arkivets poster"))
            continue
        try:
            decided = Period.parse(decision.classes[key])
        except ValueError:
            plan.skipped.append((cls.label, f"beslutet {decision.reference} anger ingen giltig period"))
            continue
        # The longer period wins: the earlier cutoff.
        period = min((decided, cls.period), key=lambda p: p.before(now))
        plan.classes.append(ClassPlan(key=key, label=cls.label, decision=decision, authority_ids=sorted(authority_ids),
                                      period=period, cutoff=period.before(now)))
    return plan


def _scope(cp: ClassPlan):
    return items_of_class(cp.key, Item.objects.filter(account__authority_id__in=cp.authority_ids))


def candidates(cp: ClassPlan):
    """Items past their period in this class, not yet disposed of (protected ones included)."""
    items = _scope(cp).filter(inkommen_at__lt=cp.cutoff, disposal__isnull=True)
    return with_reference_time(items).filter(reference_time__lt=cp.cutoff)


def _with_content():
    return Q(text__gt="") | Q(author_name__gt="") | Exists(
        ItemVersion.objects.filter(item=OuterRef("pk")).exclude(text=""))


def residue(cp: ClassPlan):
    """Disposed items that have content again (captured anew from the platform)."""
    return _scope(cp).filter(disposal__isnull=False).filter(_with_content())


def preview(*, decision_ids=None, classes=None, user: User | None = None, now: datetime | None = None) -> Plan:
    """What a run would dispose of now: per class the count, the oldest and newest reference
    time, the decision, and how many items past their period are protected. Reads only."""
    plan = make_plan(decision_ids=decision_ids, classes=classes, user=user, now=now)
    for cp in plan.classes:
        past = candidates(cp)
        eligible = past.exclude(protected_filter())
        stats = eligible.aggregate(oldest=Min("reference_time"), newest=Max("reference_time"))
        cp.count = eligible.count() + residue(cp).exclude(protected_filter()).count()
        cp.oldest, cp.newest = stats["oldest"], stats["newest"]
        cp.held = past.filter(protected_filter()).count()
    return plan


# ---------------------------------------------------------------- starting and claiming runs


def _actor(run: GallringRun):
    return run.started_by or run.started_by_label or "system"


@transaction.atomic
def start_gallring(actor: User | None, *, decision_ids=None, classes=None, scheduled: bool = False,
                   label: str = "") -> GallringRun:
    """Order a run. Refused unless at least one recorded decision in force applies."""
    if actor is not None:
        require(permissions.is_arkivarie(actor))
    plan = make_plan(decision_ids=decision_ids, classes=classes, user=actor)
    if not plan.classes:
        raise GallringRefused("Inget gällande gallringsbeslut omfattar något handlingsslag som gallras. "
                              "Gallring körs bara under ett registrerat beslut.")
    run = GallringRun.objects.create(
        classes=sorted(set(classes)) if classes else [], scheduled=scheduled,
        started_by=actor if getattr(actor, "pk", None) else None,
        started_by_label=actor.get_username() if getattr(actor, "pk", None) else (label or "system"),
        requested_at=timezone.now(),
    )
    run.decisions.set({cp.decision for cp in plan.classes})
    log.append("records.gallring_requested", actor=actor or run.started_by_label, obj=run, data={
        "run": str(run.run_id), "plan": [cp.as_dict() for cp in plan.classes], "scheduled": scheduled})
    return run


def _claim(run: GallringRun, now: datetime) -> None:
    busy = False
    with transaction.atomic():
        for stale in GallringRun.objects.filter(status=GallringRun.Status.RUNNING, lease_until__lt=now):
            GallringRun.objects.filter(pk=stale.pk).update(status=GallringRun.Status.ABANDONED, finished_at=now,
                                                           error="lease expired")
            log.append("records.gallring_abandoned", obj=stale, data={"run": str(stale.run_id)})
        try:
            with transaction.atomic():
                claimed = GallringRun.objects.filter(pk=run.pk, status=GallringRun.Status.QUEUED).update(
                    status=GallringRun.Status.RUNNING, started_at=now, lease_until=now + LEASE)
        except IntegrityError:
            busy, claimed = True, 0
    if busy:
        reason = "En annan gallring pågår; beställ en ny körning när den är klar."
        GallringRun.objects.filter(pk=run.pk, status=GallringRun.Status.QUEUED).update(
            status=GallringRun.Status.FAILED, finished_at=now, error=reason)
        raise GallringRefused(reason)
    if not claimed:
        raise GallringRefused("Körningen är redan startad eller avslutad.")


def _renew(run: GallringRun) -> None:
    GallringRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() + LEASE)


# ---------------------------------------------------------------- the run


@dataclass
class Totals:
    items: int = 0
    versions: int = 0
    media_files: int = 0
    residue_items: int = 0
    raw_bodies: int = 0
    raw_bytes: int = 0
    raw_kept: int = 0
    held: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    skipped: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def execute_gallring(run: GallringRun, *, batch_size: int = BATCH_SIZE, now: datetime | None = None) -> GallringRun:
    """Carry out an ordered run, batch by batch. ``now`` (tests) sets the time periods count back from."""
    now = now or timezone.now()
    _claim(run, timezone.now())
    run.refresh_from_db()
    totals = Totals()
    try:
        plan = make_plan(decision_ids=list(run.decisions.values_list("pk", flat=True)), classes=run.classes or None,
                         now=now)
        totals.skipped = [list(s) for s in plan.skipped]
        if not plan.classes:
            # The decisions it was ordered under were revoked (or the policy changed) meanwhile.
            raise GallringRefused("Inget gällande gallringsbeslut omfattar längre något handlingsslag som gallras.")
        with transaction.atomic():
            log.append("records.gallring_started", actor=_actor(run), obj=run, data={
                "run": str(run.run_id), "plan": [cp.as_dict() for cp in plan.classes], "skipped": totals.skipped})
        accounts: set[int] = set()
        batch_no = 0
        for cp in plan.classes:
            for source in (candidates, residue):
                cursor = 0     # by id, so an item a batch leaves (held meanwhile) is not picked again
                while True:
                    ids = list(source(cp).exclude(protected_filter()).filter(pk__gt=cursor)
                               .order_by("pk").values_list("pk", flat=True)[:batch_size])
                    if not ids:
                        break
                    cursor = ids[-1]
                    batch_no += 1
                    done = _dispose_batch(run, cp, ids, batch_no, residue=source is residue)
                    accounts.update(done.pop("accounts"))
                    if source is residue:
                        totals.residue_items += done["items"]
                    else:
                        totals.items += done["items"]
                        totals.classes[cp.key] = totals.classes.get(cp.key, 0) + done["items"]
                    totals.versions += done["versions"]
                    totals.media_files += done["media_files"]
                    _renew(run)
            totals.held += candidates(cp).filter(protected_filter()).count()
        cleared, size, kept = _sweep_raws(run, accounts | _accounts_with_disposals())
        totals.raw_bodies, totals.raw_bytes, totals.raw_kept = cleared, size, kept
        _sweep_media_files()
    except Exception as exc:
        with transaction.atomic():
            GallringRun.objects.filter(pk=run.pk).update(status=GallringRun.Status.FAILED, finished_at=timezone.now(),
                                                         totals=totals.as_dict(), error=f"{type(exc).__name__}: {exc}"[:2000])
            log.append("records.gallring_failed", actor=_actor(run), obj=run,
                       data={"run": str(run.run_id), "error": type(exc).__name__, "totals": totals.as_dict()})
        raise
    with transaction.atomic():
        GallringRun.objects.filter(pk=run.pk).update(status=GallringRun.Status.FINISHED, finished_at=timezone.now(),
                                                     lease_until=None, totals=totals.as_dict())
        log.append("records.gallring_finished", actor=_actor(run), obj=run,
                   data={"run": str(run.run_id), "totals": totals.as_dict()})
    run.refresh_from_db()
    return run


def run_gallring(actor: User | None, *, decision_ids=None, classes=None, batch_size: int = BATCH_SIZE,
                 now: datetime | None = None, label: str = "") -> GallringRun:
    """Order a run and carry it out now (the command line)."""
    run = start_gallring(actor, decision_ids=decision_ids, classes=classes, label=label)
    return execute_gallring(run, batch_size=batch_size, now=now)


def _dispose_batch(run: GallringRun, cp: ClassPlan, ids: list[int], batch_no: int, *, residue: bool) -> dict:
    with transaction.atomic():
        account_ids = sorted(set(Item.objects.filter(pk__in=ids).values_list("account_id", flat=True)))
        list(Account.objects.select_for_update().filter(pk__in=account_ids).order_by("pk").values_list("pk", flat=True))
        # Re-check under the lock: still in the class and scope, still past the cutoff, not protected.
        rows = _scope(cp).filter(pk__in=ids).exclude(protected_filter())
        if residue:
            rows = rows.filter(disposal__isnull=False)
            found = [(pk, acc, None) for pk, acc in rows.values_list("pk", "account_id")]
        else:
            rows = with_reference_time(rows.filter(disposal__isnull=True)).filter(reference_time__lt=cp.cutoff)
            found = list(rows.values_list("pk", "account_id", "reference_time"))
        ids = sorted(pk for pk, _acc, _t in found)
        result = {"items": len(ids), "versions": 0, "media_files": 0, "accounts": {acc for _pk, acc, _t in found}}
        if not ids:
            return result
        disposed_at = timezone.now()
        versions = ItemVersion.objects.filter(item_id__in=ids)
        result["versions"] = versions.count()
        versions.update(text="")
        VersionTriage.objects.filter(version__item_id__in=ids).update(evidence=[], spans=[])
        ItemStateChange.objects.filter(item_id__in=ids).exclude(reason="").update(reason="")
        Item.objects.filter(pk__in=ids).update(text="", author_name="", author_id="")
        if not residue:
            DisposedItem.objects.bulk_create([
                DisposedItem(item_id=pk, run=run, record_class=cp.key, decision=cp.decision, reference_time=t,
                             disposed_at=disposed_at) for pk, _acc, t in found])
        search.unindex_items(ids)
        item_content_disposed.send(sender=GallringRun, run=run, item_ids=ids, record_class=cp.key)
        released = _release_media(run, ids, disposed_at)
        result["media_files"] = len(released)
        times = [t for _pk, _acc, t in found if t is not None]
        entry = DisposalLogEntry.objects.create(
            run=run, record_class=cp.key, class_label=cp.label + (" (åter insamlat innehåll)" if residue else ""),
            decision=cp.decision, decision_reference=cp.decision.reference, period=cp.period.iso, cutoff=cp.cutoff,
            batch=batch_no, items=len(ids), versions=result["versions"], media_files=len(released),
            oldest=min(times) if times else None, newest=max(times) if times else None,
            ids_sha256=sha256_hex(",".join(map(str, ids))), at=disposed_at,
        )
        event = log.append("records.gallrad", actor=_actor(run), obj=entry, data={
            "run": str(run.run_id), "class": cp.key, "decision": cp.decision.pk, "reference": cp.decision.reference,
            "period": cp.period.iso, "cutoff": cp.cutoff.isoformat(), "batch": batch_no, "residue": residue,
            "items": len(ids), "versions": result["versions"], "media_files": len(released),
            "first_id": ids[0], "last_id": ids[-1], "ids_sha256": entry.ids_sha256,
            "oldest": entry.oldest.isoformat() if entry.oldest else None,
            "newest": entry.newest.isoformat() if entry.newest else None,
        })
        DisposalLogEntry.objects.filter(pk=entry.pk).update(event_seq=event.seq)
        transaction.on_commit(lambda: _delete_files(released))
    return result


def _kept_media_ids(media_ids) -> set[str]:
    """Of ``media_ids``, those a kept (not disposed of) item still refers to."""
    return set(ItemMedia.objects.filter(media_id__in=list(media_ids), item__disposal__isnull=True)
               .values_list("media_id", flat=True))


def _release_media(run: GallringRun, item_ids: list[int], at: datetime) -> list[str]:
    media_ids = set(ItemMedia.objects.filter(item_id__in=item_ids, media__isnull=False).values_list("media_id", flat=True))
    if not media_ids:
        return []
    already = set(DisposedMedia.objects.filter(media_id__in=media_ids).values_list("media_id", flat=True))
    released = sorted(media_ids - _kept_media_ids(media_ids) - already)
    DisposedMedia.objects.bulk_create([DisposedMedia(media_id=sha, run=run, disposed_at=at) for sha in released])
    return released


def _delete_files(shas) -> None:
    for sha in shas:
        try:
            media_path(sha).unlink(missing_ok=True)
        except OSError:
            logger.exception("gallring: could not delete media file %s (the next run retries)", sha)


def _sweep_media_files() -> None:
    """Delete files a crashed run released but did not delete; never one a kept item uses again."""
    disposed = list(DisposedMedia.objects.values_list("media_id", flat=True))
    kept = _kept_media_ids(disposed)
    _delete_files([sha for sha in disposed if sha not in kept and media_path(sha).exists()])


def _accounts_with_disposals() -> set[int]:
    return set(DisposedItem.objects.values_list("item__account_id", flat=True).distinct())


def _sweep_start(account_id: int, state: RawSweepState) -> tuple[int, int]:
    """Where to start reading an account's raw log, and the newest disposal mark seen.

    A page can carry an item only if it arrived at or after the item's first capture, so only
    pages from the earliest first capture among items disposed of since the last sweep can
    have become emptiable; before that, only pages that arrived since the last sweep are new.
    """
    fresh = DisposedItem.objects.filter(item__account_id=account_id, pk__gt=state.last_disposed_id)
    newest = fresh.aggregate(m=Max("pk"))["m"]
    if newest is None:
        return state.last_raw_id, state.last_disposed_id
    firsts = fresh.aggregate(first=Min("item__first_raw_id"), version=Min("item__versions__raw_id"))
    known = [v for v in firsts.values() if v is not None]
    start = min(known) - 1 if known else 0
    return min(start, state.last_raw_id), newest


def _sweep_raws(run: GallringRun, account_ids: set[int], batch_size: int = RAW_BATCH_SIZE) -> tuple[int, int, int]:
    """Empty the bodies of raw captures whose every item has been disposed of (invariant 6)."""
    from insyn.capture.actions import normalise_raw
    from insyn.capture.platforms.base import MalformedPayload

    cleared = size = kept = 0
    for account_id in sorted(account_ids):
        state, _ = RawSweepState.objects.get_or_create(account_id=account_id)
        start, newest_disposal = _sweep_start(account_id, state)
        raws = (RawCapture.objects.filter(account_id=account_id, id__gt=start, status=RawCapture.Status.PROCESSED)
                .exclude(source=RawCapture.Source.FULL_PASS).filter(disposal__isnull=True))
        raw_ids = list(raws.order_by("id").values_list("id", flat=True))
        last_id = max(raw_ids[-1] if raw_ids else 0, state.last_raw_id)
        disposed_pids = set(DisposedItem.objects.filter(item__account_id=account_id)
                            .values_list("item__platform_id", flat=True)) if raw_ids else set()
        for begin in range(0, len(raw_ids), batch_size):
            chunk = raw_ids[begin:begin + batch_size]
            with transaction.atomic():
                Account.objects.select_for_update().filter(pk=account_id).exists()
                empty = []
                for raw in RawCapture.objects.filter(pk__in=chunk).select_related("account"):
                    try:
                        normalised = normalise_raw(raw)
                    except (MalformedPayload, ValueError):
                        kept += 1
                        continue
                    pids = {i.platform_id for i in normalised.items} | {s.platform_id for s in normalised.signals}
                    if pids and pids <= disposed_pids:
                        empty.append(raw)
                    else:
                        kept += 1
                if empty:
                    at = timezone.now()
                    DisposedRaw.objects.bulk_create([DisposedRaw(raw=r, run=run, size=len(r.body), disposed_at=at)
                                                     for r in empty])
                    RawCapture.objects.filter(pk__in=[r.pk for r in empty]).update(body=b"")
                    sizes = sum(len(r.body) for r in empty)
                    ids = sorted(r.pk for r in empty)
                    log.append("records.raw_bodies_emptied", actor=_actor(run), obj=run, data={
                        "run": str(run.run_id), "account": account_id, "raws": len(empty), "bytes": sizes,
                        "first_id": ids[0], "last_id": ids[-1], "ids_sha256": sha256_hex(",".join(map(str, ids)))})
                    cleared += len(empty)
                    size += sizes
            _renew(run)
        RawSweepState.objects.filter(pk=state.pk).update(last_disposed_id=newest_disposal, last_raw_id=last_id)
    return cleared, size, kept


def disposed_platform_ids(account_id: int) -> set[str]:
    """Platform ids of an account's items whose content gallring removed (for capture and
    reprocess: such an item must not be given content again)."""
    return set(DisposedItem.objects.filter(item__account_id=account_id).values_list("item__platform_id", flat=True))


def disposed_among(account_id: int, platform_ids: set[str]) -> set[str]:
    """Which of these platform ids of an account were disposed of (capture's frozen check)."""
    if not platform_ids:
        return set()
    return set(DisposedItem.objects.filter(item__account_id=account_id, item__platform_id__in=list(platform_ids))
               .values_list("item__platform_id", flat=True))


def is_disposed(item: Item) -> bool:
    return DisposedItem.objects.filter(item_id=item.pk).exists()


__all__ = [
    "ClassPlan", "GallringRefused", "Plan", "candidates", "disposed_platform_ids", "execute_gallring", "is_disposed",
    "make_plan", "preview", "residue", "run_gallring", "start_gallring",
]
