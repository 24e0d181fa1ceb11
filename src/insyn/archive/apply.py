"""Applying normalised platform data to the archive: the one code path for live capture and
for ``reprocess``.

Rules, so that the archive is a function of the raw log:
- An item is keyed by (account, platform id). Its ``inkommen_at`` is the receive time of the
  first raw capture that contained it.
- A text that differs from every version the item has is a new version. A text equal to an
  earlier version is a new version only when the platform dates it after the current one
  (an edit back); otherwise it is a late copy of old data and changes nothing.
- A state the platform reports that differs from the item's is a state change seen at the
  raw capture's receive time. ``removed_by_us`` is final: later platform reports are kept as
  state changes but do not change the item's state.
- Nothing here reads the clock or the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, models

from insyn.capture.platforms.base import Normalised, NormalizedItem
from insyn.lib.hashing import sha256_hex

from . import search
from .models import Item, ItemMedia, ItemStateChange, ItemVersion, RawCapture

# Predicates (account id, platform ids) -> platform ids whose content must never be written
# again: records/ registers one for items whose content gallring removed. Kept as a plain
# list so archive imports nothing from the apps built on it.
CONTENT_FROZEN: list = []


def frozen_ids(account_id: int, platform_ids: set[str]) -> set[str]:
    frozen: set[str] = set()
    for predicate in CONTENT_FROZEN:
        frozen |= predicate(account_id, platform_ids)
    return frozen


@dataclass
class ApplyResult:
    created: int = 0
    versions: int = 0
    state_changes: int = 0
    ignored_signals: int = 0
    version_hashes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created, "versions": self.versions, "state_changes": self.state_changes,
            "ignored_signals": self.ignored_signals,
            "versions_digest": sha256_hex("\n".join(self.version_hashes)) if self.version_hashes else "",
        }


def _texts(n: NormalizedItem) -> list[tuple[str, object]]:
    """The texts to record for an item, oldest first, without consecutive repeats."""
    out: list[tuple[str, object]] = []
    for text, when in (*n.history, (n.text, n.edited_at or n.created_at)):
        if not out or out[-1][0] != text:
            out.append((text, when))
    return out


def apply(raw: RawCapture, normalised: Normalised) -> ApplyResult:
    """Write what one raw capture says into the archive. Runs in the caller's transaction."""
    result = ApplyResult()
    account_id = raw.account_id
    by_id: dict[str, NormalizedItem] = {}
    for n in normalised.items:
        by_id[n.platform_id] = n  # the last mention in a payload wins (webhook batches)
    # Items whose content was disposed of under a gallring decision get no content back.
    for pid in frozen_ids(account_id, set(by_id)):
        del by_id[pid]
    wanted = set(by_id) | {s.platform_id for s in normalised.signals}
    existing = {
        item.platform_id: item
        for item in Item.objects.filter(account_id=account_id, platform_id__in=wanted)
    } if wanted else {}

    new_items: list[_NewItem] = []
    pending_versions: list[tuple[Item, list[tuple[str, object]]]] = []
    changed: dict[int, Item] = {}
    state_changes: list[ItemStateChange] = []

    digests = {pid: sha256_hex(n.text) for pid, n in by_id.items()}
    # Version hashes of existing items whose incoming text differs from the current one.
    differing = [existing[p] for p in by_id if p in existing and existing[p].text_sha256 != digests[p]]
    known_versions: dict[int, list[ItemVersion]] = {}
    if differing:
        for v in ItemVersion.objects.filter(item__in=differing).order_by("number"):
            known_versions.setdefault(v.item_id, []).append(v)

    for pid, n in by_id.items():
        item = existing.get(pid)
        if item is None or item.first_raw_id is None:
            if item is None:
                item = _NewItem(account_id, pid)
                new_items.append(item)
                result.created += 1
            item.inkommen_at, item.first_raw_id = raw.received_at, raw.pk
            _set_metadata(item, n)
            item.state = n.state or Item.State.VISIBLE
            pending_versions.append((item, _texts(n)))
            if item.pk:
                changed[item.pk] = item
            continue
        if _set_metadata(item, n):
            changed[item.pk] = item
        text_hash = digests[pid]
        if text_hash != item.text_sha256:
            versions = known_versions.get(item.pk, [])
            seen = {v.sha256 for v in versions}
            current_time = versions[-1].platform_time if versions else None
            newer = n.edited_at is not None and (current_time is None or n.edited_at > current_time)
            to_add = [(t, w) for t, w in _texts(n)[:-1] if sha256_hex(t) not in seen]
            if text_hash not in seen or newer:
                to_add.append((n.text, n.edited_at or n.created_at))
            if to_add:
                pending_versions.append((item, to_add))
                changed[item.pk] = item
        if n.state and n.state != item.state:
            state_changes.append(_state_change(item, n.state, raw))
            changed[item.pk] = item

    for signal in normalised.signals:
        item = existing.get(signal.platform_id) or next((i for i in new_items if i.platform_id == signal.platform_id), None)
        if item is None:
            result.ignored_signals += 1  # a removal of something we never saw: the raw keeps it
            continue
        if signal.state != item.state:
            state_changes.append(_state_change(item, signal.state, raw))
            if item.pk:
                changed[item.pk] = item

    # New items get their text and version count before they are inserted, so they never
    # need an UPDATE; only existing items that changed are updated (few, and one by one).
    planned: list[tuple[Item, int, list[tuple[str, object]]]] = []
    for item, texts in pending_versions:
        planned.append((item, item.version_count, texts))
        item.version_count += len(texts)
        item.text = texts[-1][0]
        item.text_sha256 = sha256_hex(item.text)
    if new_items:
        _attach_known_parents(account_id, new_items)
        ids = _insert(Item, new_items, returning=True)
        for i, pk in zip(new_items, ids, strict=True):
            i.pk = i.id = pk

    rows = []
    captured = raw.received_at
    for item, first_number, texts in planned:
        for offset, (text, when) in enumerate(texts, start=1):
            digest = item.text_sha256 if offset == len(texts) else sha256_hex(text)
            rows.append((item.pk, first_number + offset, text, digest, when, captured, raw.pk))
            result.version_hashes.append(digest)
    _insert_versions(rows)
    result.versions = len(rows)

    for change in state_changes:
        change.item_id = change.target.pk
    ItemStateChange.objects.bulk_create(state_changes)
    result.state_changes = len(state_changes)

    new_pks = {i.pk for i in new_items}
    for pk, item in changed.items():
        if pk not in new_pks:
            Item.objects.filter(pk=pk).update(**{f: getattr(item, f) for f in _UPDATED_FIELDS})
    _link_parents(account_id, new_items)
    _record_media(new_items, by_id)
    if pending_versions:
        new_pks = {i.pk for i in new_items}
        _reindex([item for item, _ in pending_versions if item.pk in new_pks], new=True)
        _reindex([item for item, _ in pending_versions if item.pk not in new_pks])
    return result


class _NewItem:
    """A new archive item before it is inserted: the columns, without a model instance's
    cost (capture creates thousands a second)."""

    __slots__ = ("pk", "id", "account_id", "platform_id", "kind", "direction", "record_type", "parent_id",
                 "parent_platform_id", "thread_platform_id", "author_id", "author_name", "url", "created_at",
                 "inkommen_at", "state", "state_changed_at", "text", "text_sha256", "version_count", "first_raw_id")

    def __init__(self, account_id: int, platform_id: str):
        self.pk = self.id = self.parent_id = self.created_at = self.state_changed_at = self.first_raw_id = None
        self.account_id, self.platform_id = account_id, platform_id
        self.kind = self.direction = self.record_type = self.parent_platform_id = self.thread_platform_id = ""
        self.author_id = self.author_name = self.url = self.text = self.text_sha256 = ""
        self.state, self.version_count, self.inkommen_at = Item.State.VISIBLE, 0, None


def _insert(model, objs: list, *, returning: bool = False) -> list[int]:
    """A multi-row INSERT without the ORM's per-object machinery: capture's hot path.

    Only for models whose columns are plain values and datetimes (Item): datetimes are
    adapted as the ORM would, 200 rows a statement; ids come back in insertion order via
    RETURNING.
    """
    if not objs:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # Datetimes need the backend's adaptation; every other column here is stored as is.
    adapt = connection.ops.adapt_datetimefield_value
    plan = [(f.attname, isinstance(f, models.DateTimeField)) for f in fields]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(objs), 200):
            chunk = objs[start:start + 200]
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))}"
            params = [adapt(getattr(o, name)) if is_dt else getattr(o, name) for o in chunk for name, is_dt in plan]
            if returning:
                cursor.execute(sql + " RETURNING id", params)
                ids.extend(r[0] for r in cursor.fetchall())
            else:
                cursor.execute(sql, params)
    return ids


_VERSION_COLUMNS = ("item_id", "number", "text", "sha256", "platform_time", "captured_at", "raw_id")


def _insert_versions(rows: list[tuple]) -> None:
    """Versions straight to SQL (capture's hottest write); datetimes adapted as the ORM would."""
    if not rows:
        return
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(ItemVersion._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _VERSION_COLUMNS)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 200):
            chunk = rows[start:start + 200]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params = [v for r in chunk for v in (r[0], r[1], r[2], r[3], adapt(r[4]), adapt(r[5]), r[6])]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {placeholders}", params)


_UPDATED_FIELDS = (
    "text", "text_sha256", "version_count", "state", "state_changed_at", "author_id", "author_name", "url",
    "created_at", "parent_platform_id", "thread_platform_id", "kind", "direction", "record_type", "inkommen_at",
    "first_raw_id",
)


def _set_metadata(item: Item, n: NormalizedItem) -> bool:
    """Fill in what the payload tells about the item; returns whether anything changed."""
    before = (item.kind, item.direction, item.record_type, item.author_id, item.author_name, item.url,
              item.created_at, item.parent_platform_id, item.thread_platform_id)
    item.kind, item.direction, item.record_type = n.kind, n.direction, n.record_type
    item.author_id = n.author_id or item.author_id
    item.author_name = n.author_name or item.author_name
    item.url = n.url or item.url
    item.created_at = n.created_at or item.created_at
    item.parent_platform_id = n.parent_platform_id or item.parent_platform_id or ""
    item.thread_platform_id = n.thread_platform_id or item.thread_platform_id or ""
    after = (item.kind, item.direction, item.record_type, item.author_id, item.author_name, item.url,
             item.created_at, item.parent_platform_id, item.thread_platform_id)
    return before != after


def _state_change(item, state: str, raw: RawCapture) -> ItemStateChange:
    previous = item.state
    change = ItemStateChange(state=state, previous_state=previous, seen_at=raw.received_at,
                             source=ItemStateChange.Source.PLATFORM, raw=raw)
    change.target = item  # its id is known only after a new item is inserted
    if item.state != Item.State.REMOVED_BY_US:
        item.state, item.state_changed_at = state, raw.received_at
    return change


def _attach_known_parents(account_id: int, new_items: list[_NewItem]) -> None:
    """Set the parent of new items whose parent is already archived (before the insert)."""
    wanted = {i.parent_platform_id for i in new_items if i.parent_platform_id}
    if not wanted:
        return
    parents = dict(Item.objects.filter(account_id=account_id, platform_id__in=wanted).values_list("platform_id", "id"))
    for item in new_items:
        item.parent_id = parents.get(item.parent_platform_id)


def _link_parents(account_id: int, new_items: list[_NewItem]) -> None:
    """Link children to parents that arrived in the same payload or after them."""
    if not new_items:
        return
    new_ids = {i.platform_id: i.pk for i in new_items}
    links = [(i.pk, new_ids[i.parent_platform_id]) for i in new_items
             if i.parent_id is None and i.parent_platform_id in new_ids]
    # Children archived earlier than these parents.
    links += [(pk, new_ids[ppid]) for pk, ppid in Item.objects.filter(
        account_id=account_id, parent_platform_id__in=list(new_ids), parent__isnull=True).values_list("id", "parent_platform_id")]
    by_parent: dict[int, list[int]] = {}
    for child, parent in links:
        if child != parent:
            by_parent.setdefault(parent, []).append(child)
    for parent, children in by_parent.items():
        Item.objects.filter(pk__in=children).update(parent_id=parent)


def _record_media(new_items: list[_NewItem], by_id: dict[str, NormalizedItem]) -> None:
    rows = [ItemMedia(item_id=i.pk, platform_url=m.url, platform_media_id=m.platform_id, mime_type=m.mime_type)
            for i in new_items for m in by_id[i.platform_id].media if m.url]
    ItemMedia.objects.bulk_create(rows, ignore_conflicts=True)


def _reindex(items: list[Item], *, new: bool = False) -> None:
    edited = [i.pk for i in items if i.version_count > 1]
    older: dict[int, list[str]] = {}
    if edited:
        for item_id, text in ItemVersion.objects.filter(item_id__in=edited).values_list("item_id", "text"):
            older.setdefault(item_id, []).append(text)
    rows = []
    for item in {i.pk: i for i in items}.values():
        texts = older.get(item.pk) or [item.text]
        rows.append((item.pk, " ".join(dict.fromkeys(texts)) + " " + item.author_name, item.created_at or item.inkommen_at))
    search.index_items(rows, new=new)


def reset_account(account_id: int) -> None:
    """Forget what the raw log derives, keeping item identities and Insyn's own actions."""
    items = Item.objects.filter(account_id=account_id)
    ItemVersion.objects.filter(item__account_id=account_id).delete()
    ItemStateChange.objects.filter(item__account_id=account_id, source=ItemStateChange.Source.PLATFORM).delete()
    items.update(text="", text_sha256="", version_count=0, state=Item.State.VISIBLE, state_changed_at=None,
                 first_raw=None, parent=None)


def restore_own_states(account_id: int) -> None:
    """After a replay, Insyn's own state changes (removals with a legal basis) win again."""
    for change in ItemStateChange.objects.filter(item__account_id=account_id, source=ItemStateChange.Source.INSYN).order_by("seen_at", "id"):
        Item.objects.filter(pk=change.item_id).update(state=change.state, state_changed_at=change.seen_at)


__all__ = ["ApplyResult", "apply", "reset_account", "restore_own_states"]
