"""Archive pages: search, one item with its thread, versions, states and provenance; the
quarantine of unreadable payloads. Thin views over QuerySets and the search module."""

from __future__ import annotations

import difflib
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape
from django.utils.safestring import mark_safe

from insyn.eventlog import log
from insyn.inbox import access as inbox_access
from insyn.records import access
from insyn.records import permissions as record_permissions
from insyn.registry import permissions
from insyn.registry.models import Account, Authority

from . import search
from .models import Item, RawCapture

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAGE_SIZE = 25


def _date(value: str, end: bool = False) -> datetime | None:
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
        if day is None:
            return None
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=STOCKHOLM)


@login_required
def search_view(request):
    accounts = Account.objects.visible_to(request.user).order_by("name")
    q = request.GET.get("q", "").strip()[:500]
    f = {k: request.GET.get(k, "") for k in ("account", "authority", "kind", "state", "record_type", "direction", "author",
                                             "since", "until", "order")}
    if f["authority"].isdigit():
        accounts = accounts.filter(authority_id=int(f["authority"]))
    # Secret items (registered with sekretess) are left out for those who may not read them,
    # so that not even a search hit reveals their words.
    # Content moved to the diarium (inbox restriction) likewise.
    items = (Item.objects.filter(account__in=accounts).exclude(pk__in=access.unreadable_items(request.user))
             .exclude(pk__in=inbox_access.unreadable_items(request.user)))
    if f["account"].isdigit():
        items = items.filter(account_id=int(f["account"]))
    for field, choices in (("kind", Item.Kind), ("state", Item.State), ("record_type", Item.RecordType), ("direction", Item.Direction)):
        if f[field] in choices.values:
            items = items.filter(**{field: f[field]})
    if f["author"]:
        items = items.filter(author_name__icontains=f["author"][:200])
    since, until = _date(f["since"]), _date(f["until"], end=True)
    errors = []
    if f["since"] and since is None or f["until"] and until is None:
        errors.append("Datum anges som ÅÅÅÅ-MM-DD.")
    if since:
        items = items.filter(created_at__gte=since)
    if until:
        items = items.filter(created_at__lte=until)
    page_number = max(1, int(request.GET.get("sida", "1")) if request.GET.get("sida", "1").isdigit() else 1)
    if q:
        # The full-text index gives ids in rank order; the filters above narrow them in SQL.
        hits = search.search_ids(q, account_ids=list(items.order_by().values_list("account_id", flat=True).distinct()) if not f["account"].isdigit() else [int(f["account"])],
                                 since=since, until=until, order="date" if f["order"] == "date" else "relevance",
                                 limit=PAGE_SIZE * 20)
        allowed = set(items.filter(pk__in=[h.item_id for h in hits]).values_list("pk", flat=True))
        ids = [h.item_id for h in hits if h.item_id in allowed]
        page = Paginator(ids, PAGE_SIZE).get_page(page_number)
        by_id = Item.objects.select_related("account", "parent").in_bulk(list(page.object_list))
        results = [by_id[i] for i in page.object_list if i in by_id]
    else:
        page = Paginator(items.select_related("account", "parent").order_by("-created_at", "-id"), PAGE_SIZE).get_page(page_number)
        results = list(page.object_list)
    context = {
        "q": q, "f": f, "accounts": accounts, "results": results, "page": page, "errors": errors,
        "hidden_ids": _unreadable_in(request.user, [r.parent for r in results if r.parent_id]),
        "authorities": Authority.objects.filter(accounts__in=Account.objects.visible_to(request.user)).distinct(),
        "kinds": Item.Kind.choices, "states": Item.State.choices, "record_types": Item.RecordType.choices,
        "directions": Item.Direction.choices,
    }
    template = "archive/_results.html" if request.headers.get("HX-Request") else "archive/search.html"
    return render(request, template, context)


def _get_item_for_user(request, pk: int) -> Item:
    item = get_object_or_404(Item.objects.select_related("account__unit", "first_raw"), pk=pk)
    if not permissions.can_view(request.user, item.account):
        raise Http404
    return item


def _thread(item: Item) -> list[tuple[Item, int]]:
    """The thread as it looked on the platform: the root, then children depth-first."""
    root_pid = item.thread_platform_id or item.platform_id
    members = list(Item.objects.filter(account_id=item.account_id).filter(thread_platform_id=root_pid)
                   .order_by("created_at", "id")[:500])
    root = Item.objects.filter(account_id=item.account_id, platform_id=root_pid).first()
    if root and root not in members:
        members.insert(0, root)
    children: dict[str, list[Item]] = {}
    for m in members:
        children.setdefault(m.parent_platform_id or "", []).append(m)
    ordered: list[tuple[Item, int]] = []

    def walk(node: Item, depth: int) -> None:
        ordered.append((node, depth))
        for child in children.get(node.platform_id, []):
            if child.pk != node.pk:
                walk(child, min(depth + 1, 3))

    if root:
        walk(root, 0)
    seen = {m.pk for m, _ in ordered}
    ordered += [(m, 1) for m in members if m.pk not in seen]
    return ordered


def _unreadable_in(user, items: list[Item]) -> set[int]:
    """Items of a thread whose content this user may not read (secret registrations)."""
    ids = [i.pk for i in items]
    secret = access.secret_item_ids(ids)
    hidden = {pk for pk in secret if not access.can_read_content(user, Item(pk=pk))} if secret else set()
    for pk in inbox_access.restricted_ids(ids):
        restriction = inbox_access.restriction_for(pk)
        if restriction is not None and not inbox_access.can_read_restricted(user, restriction):
            hidden.add(pk)
    return hidden


def _diff(old: str, new: str) -> str:
    """Word-level diff as HTML with <del>/<ins>; every piece of text is escaped."""
    a, b = old.split(" "), new.split(" ")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
    return mark_safe(" ".join(out))


@login_required
def item_view(request, pk: int):
    item = _get_item_for_user(request, pk)
    if not (access.content_allowed(request.user, item, where="arkiv")
            and inbox_access.content_allowed(request.user, item, where="archive_item")):
        # R26: moved to the diarium under sekretess — the register entry, not the content.
        return render(request, "archive/item_protected.html", {"item": item, "registration": access.secret_registration(item)},
                      status=403)
    versions = list(item.versions.select_related("raw", "triage").order_by("number"))
    version_rows = [(v, _diff(versions[i - 1].text, v.text) if i else None) for i, v in enumerate(versions)]
    thread = _thread(item)
    return render(request, "archive/item.html", {
        "item": item, "thread": thread, "versions": version_rows,
        "states": item.state_changes.select_related("actor", "raw"), "media": item.media.all(),
        "triage": getattr(versions[-1], "triage", None) if versions else None,
        "hidden_ids": _unreadable_in(request.user, [node for node, _ in thread]),
    })


@login_required
def raw_view(request, pk: int):
    raw = get_object_or_404(RawCapture.objects.select_related("account__unit"), pk=pk)
    if raw.account is None:
        permissions.require(request.user.is_samordnare)
    elif not permissions.can_view(request.user, raw.account):
        raise Http404
    secret = access.raw_secret_registration(raw)
    if secret is not None and not record_permissions.can_read_protected(request.user, secret):
        raise PermissionDenied
    restriction = inbox_access.raw_is_restricted(raw)  # the payload holds content moved to the diarium
    if restriction is not None:
        if not inbox_access.can_read_restricted(request.user, restriction):
            raise PermissionDenied
        inbox_access.record_read(request.user, restriction, where="archive_raw")
    body = bytes(raw.body)
    try:
        pretty = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        pretty = body.decode("utf-8", errors="replace")
    with transaction.atomic():
        log.append("archive.raw_read", actor=request.user, obj=raw)
    return render(request, "archive/raw.html", {"raw": raw, "pretty": pretty[:500_000], "size": len(body)})


@login_required
def quarantine_view(request):
    permissions.require(request.user.is_samordnare or request.user.has_role("granskare"))
    raws = RawCapture.objects.filter(status=RawCapture.Status.QUARANTINED).select_related("account").order_by("-id")[:200]
    return render(request, "archive/quarantine.html", {"raws": raws})
