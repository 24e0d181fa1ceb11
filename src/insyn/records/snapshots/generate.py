"""What a snapshot is made of, each a function of the account, the period and the archive:

- ``take_screenshot``: the account's public page, full page, through Chromium (Playwright);
  an unreachable page is a result ("not reachable" and why), not an error.
- ``render_pdf``: Insyn's own copy of the period's posts and comments as PDF/A (records/pdf.py):
  threaded, with authors, dates, every version and every state change.
- ``write_warc``: the period's fetched pages (``RawCapture`` rows from polls) as a gzipped WARC,
  streamed row by row: ``warcinfo``, then per page a ``response`` record and a ``metadata``
  record with its provenance, then a closing ``metadata`` record naming what was left out.
- ``build_summary``: the figures of the period (counts, topics, most discussed posts,
  moderation) and a Swedish text generated from them, which a person edits before saving.

Content under sekretess (a secret registration) or moved to the diarium (an inbox
restriction) is never copied into a snapshot: the PDF shows that an item exists and why its
text is not shown, and the WARC leaves out the raw pages that carry such content, naming them
(id, sha256) in its last record. The archive keeps the originals. Content removed by gallring
is shown as gallrad.

These functions touch the database only to read; ``actions.py`` writes files and rows.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import httpx
from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from insyn.archive.models import Item, ItemStateChange, ItemVersion, RawCapture, VersionTriage
from insyn.inbox.models import MODERATION_LABELS, TOPICS, Restriction
from insyn.records.models import DisposedItem, DisposedRaw, Registration
from insyn.records.pdf import render_pdfa
from insyn.registry.models import Account
from insyn.registry.policy import current_policy

SOFTWARE = "Insyn (records-grade social-media capture)"
TOP_POSTS = 5
MAX_DEPTH = 4


# ---------------------------------------------------------------- screenshot


@dataclass
class ScreenshotResult:
    url: str
    png: bytes | None
    error: str = ""
    at: datetime | None = None


def take_screenshot(url: str, *, timeout_ms: int | None = None, executable: str | None = None) -> ScreenshotResult:
    """A full-page PNG of ``url`` through Chromium, or why the page could not be reached.

    Never raises for a page that is down, slow, refuses, or answers with an HTTP error: each is
    recorded as "not reachable" with the reason. Only http(s) addresses are opened.

    Playwright's sync API runs an event loop in its thread; it gets a thread of its own, so
    the caller's thread (a worker with the ORM, or one that already drives a browser) is
    never disturbed.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-screenshot") as pool:
        return pool.submit(_take_screenshot, url, timeout_ms, executable).result()


def _take_screenshot(url: str, timeout_ms: int | None, executable: str | None) -> ScreenshotResult:
    at = timezone.now()
    timeout_ms = timeout_ms or settings.SNAPSHOT_SCREENSHOT_TIMEOUT_MS
    try:
        scheme = httpx.URL(url).scheme
    except (httpx.InvalidURL, TypeError):
        scheme = ""
    if scheme not in ("http", "https"):
        return ScreenshotResult(url, None, _("Adressen är ingen http- eller https-adress."), at)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=executable or settings.CHROMIUM_PATH,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                timeout=timeout_ms,
            )
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE",
                                              service_workers="block", accept_downloads=False)
                page = context.new_page()
                page.set_default_timeout(timeout_ms)
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
                if response is not None and response.status >= 400:
                    return ScreenshotResult(url, None, _("Sidan svarade med HTTP-status %(status)s.")
                                            % {"status": response.status}, at)
                try:
                    page.wait_for_load_state("networkidle", timeout=min(timeout_ms, 5000))
                except PlaywrightError:
                    pass  # a page that keeps polling is still worth its screenshot
                png = page.screenshot(full_page=True, type="png", timeout=timeout_ms)
                return ScreenshotResult(url, png, "", timezone.now())
            finally:
                browser.close()
    except PlaywrightError as exc:
        message = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
        return ScreenshotResult(url, None, _("Sidan gick inte att nå: %(error)s") % {"error": message}, at)


# ---------------------------------------------------------------- what may be copied


def protected_item_ids(account: Account) -> dict[int, str]:
    """Items of the account whose content a snapshot must not copy, with the reason."""
    out: dict[int, str] = {}
    for item_id in (Registration.objects.filter(item__account=account, sekretess=True)
                    .values_list("item_id", flat=True)):
        out[item_id] = "sekretess"
    for item_id in Restriction.objects.filter(item__account=account).values_list("item_id", flat=True):
        out.setdefault(item_id, "diariet")
    return out


def protected_raw_ids(account: Account) -> set[int]:
    """Raw pages that carry a protected item's content (its versions' pages and its first page)."""
    items = list(protected_item_ids(account))
    if not items:
        return set()
    ids = set(ItemVersion.objects.filter(item_id__in=items, raw__isnull=False).values_list("raw_id", flat=True))
    ids |= set(Item.objects.filter(pk__in=items, first_raw__isnull=False).values_list("first_raw_id", flat=True))
    return ids


# ---------------------------------------------------------------- the period's items


def _in_period(start: datetime, end: datetime) -> Q:
    return Q(inkommen_at__gte=start, inkommen_at__lt=end)


def period_items(account: Account, start: datetime, end: datetime):
    return Item.objects.filter(account=account).filter(_in_period(start, end))


def threads(account: Account, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The period's items grouped by thread, each thread depth-first from its post, with the
    post included (marked) when it came in before the period."""
    items = list(period_items(account, start, end))
    thread_ids = {i.thread_platform_id or i.platform_id for i in items}
    in_period = {i.pk for i in items}
    roots = {i.platform_id: i for i in Item.objects.filter(account=account, platform_id__in=thread_ids)}
    all_items = {i.pk: i for i in items}
    for root in roots.values():
        all_items.setdefault(root.pk, root)
    protected = protected_item_ids(account)
    disposed = set(DisposedItem.objects.filter(item_id__in=list(all_items)).values_list("item_id", flat=True))
    versions: dict[int, list[ItemVersion]] = defaultdict(list)
    for v in ItemVersion.objects.filter(item_id__in=list(all_items)).order_by("item_id", "number"):
        versions[v.item_id].append(v)
    states: dict[int, list[ItemStateChange]] = defaultdict(list)
    for s in ItemStateChange.objects.filter(item_id__in=list(all_items)).select_related("actor").order_by("seen_at", "id"):
        states[s.item_id].append(s)
    legal = current_policy().legal_bases

    by_parent: dict[str, list[Item]] = defaultdict(list)
    for item in all_items.values():
        by_parent[item.parent_platform_id or ""].append(item)
    for children in by_parent.values():
        children.sort(key=lambda i: (i.effective_time, i.pk))

    def row(item: Item, depth: int) -> dict[str, Any]:
        reason = protected.get(item.pk)
        return {
            "item": item, "depth": min(depth, MAX_DEPTH), "in_period": item.pk in in_period,
            "withheld": reason, "disposed": item.pk in disposed,
            "versions": [] if reason else versions.get(item.pk, []),
            "version_count": len(versions.get(item.pk, [])),
            "states": [{"change": s, "basis": (legal.get(s.legal_basis) or {}).get("label", s.legal_basis)}
                       for s in states.get(item.pk, [])],
        }

    out = []
    seen: set[int] = set()
    for thread_id in sorted(thread_ids, key=lambda t: (roots[t].effective_time, t) if t in roots else (end, t)):
        rows: list[dict[str, Any]] = []
        root = roots.get(thread_id)
        stack: list[tuple[Item, int]] = []
        if root is not None:
            stack.append((root, 0))
        else:
            # The post is not in the archive (it came in before capture began): the thread's
            # top-level items stand alone.
            stack.extend((i, 0) for i in reversed(by_parent.get(thread_id, [])))
        while stack:
            item, depth = stack.pop()
            if item.pk in seen:
                continue
            seen.add(item.pk)
            rows.append(row(item, depth))
            stack.extend((c, depth + 1) for c in reversed(by_parent.get(item.platform_id, [])))
        out.append({"thread_id": thread_id, "rows": rows})
    # Anything not reached from a root (a reply whose parent is missing) is listed last.
    rest = [i for pk, i in all_items.items() if pk not in seen and pk in in_period]
    if rest:
        rest.sort(key=lambda i: (i.effective_time, i.pk))
        out.append({"thread_id": "", "rows": [row(i, 0) for i in rest]})
    return out


def render_pdf(account: Account, start: datetime, end: datetime, *, summary_text: str = "",
               created: datetime | None = None) -> bytes:
    """Insyn's copy of the period's posts and comments, as PDF/A-2b."""
    title = _("Ögonblicksbild av %(account)s, %(start)s–%(end)s") % {
        "account": account.name, "start": timezone.localtime(start).strftime("%Y-%m-%d"),
        "end": timezone.localtime(end).strftime("%Y-%m-%d")}
    return render_pdfa("snapshots/snapshot_pdf.html", {
        "account": account, "start": start, "end": end, "threads": threads(account, start, end),
        "summary_text": summary_text, "generated_at": created or timezone.now(),
    }, title=title, author=account.authority.name, created=created)


# ---------------------------------------------------------------- WARC


def _target_uri(raw: RawCapture) -> str:
    url = raw.url or ""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https"):
        return f"urn:insyn:raw:{raw.pk}"
    if "access_token" in parsed.params:
        # Capture stores URLs without the token; if one ever slipped through, it stays out here.
        parsed = parsed.copy_remove_param("access_token")
    return str(parsed)


def _http_headers(raw: RawCapture):
    from warcio.statusandheaders import StatusAndHeaders

    # The capture log keeps the provenance headers of each page (capture.actions.KEPT_HEADERS,
    # never authorisation) and only pages the platform answered successfully.
    headers = [(k, str(v)) for k, v in sorted((raw.headers or {}).items()) if k.lower() not in ("content-length",)]
    if not any(k.lower() == "content-type" for k, _v in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("Content-Length", str(len(bytes(raw.body)))))
    return StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")


@dataclass
class WarcReport:
    records: int = 0
    responses: int = 0
    withheld: list[dict] = field(default_factory=list)


def fetched_pages(account: Account, start: datetime, end: datetime):
    return (RawCapture.objects.filter(account=account, source=RawCapture.Source.POLL,
                                      received_at__gte=start, received_at__lt=end)
            .order_by("received_at", "id"))


def write_warc(account: Account, start: datetime, end: datetime, out: IO[bytes], *, filename: str) -> WarcReport:
    """Write the period's fetched pages to ``out`` as a gzipped WARC/1.1 (streamed)."""
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    report = WarcReport()
    info = writer.create_warcinfo_record(filename, {
        "software": SOFTWARE,
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "description": f"Insyn snapshot: pages fetched from {account.get_platform_display()} for "
                       f"{account.name} ({account.url}), {start.isoformat()} to {end.isoformat()}",
        "isPartOf": f"insyn:account:{account.pk}",
        "operator": account.authority.name,
    })
    writer.write_record(info)
    report.records += 1
    protected = protected_raw_ids(account)
    disposed = set(DisposedRaw.objects.filter(raw__account=account, raw__received_at__gte=start,
                                              raw__received_at__lt=end).values_list("raw_id", flat=True))
    pages = fetched_pages(account, start, end).only("id", "url", "received_at", "headers", "sha256", "body",
                                                     "event_seq", "context", "platform")
    for raw in pages.iterator(chunk_size=100):
        if raw.pk in protected or raw.pk in disposed:
            report.withheld.append({"raw": raw.pk, "sha256": raw.sha256,
                                    "reason": "gallrad" if raw.pk in disposed else "skyddat innehåll"})
            continue
        body = bytes(raw.body)
        record = writer.create_warc_record(
            _target_uri(raw), "response", payload=_bytes_stream(body), length=None,
            http_headers=_http_headers(raw),
            warc_headers_dict={"WARC-Date": _warc_date(raw.received_at)},
        )
        writer.write_record(record)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        meta = json.dumps({"raw_capture": raw.pk, "sha256": raw.sha256, "event_seq": raw.event_seq,
                           "platform": raw.platform, "context": raw.context}, ensure_ascii=False,
                          sort_keys=True).encode()
        writer.write_record(writer.create_warc_record(
            _target_uri(raw), "metadata", payload=_bytes_stream(meta), length=len(meta),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Date": _warc_date(raw.received_at), "WARC-Concurrent-To": record_id,
                               "WARC-Refers-To": record_id},
        ))
        report.records += 2
        report.responses += 1
    closing = json.dumps({"responses": report.responses, "withheld": report.withheld,
                          "note": "Withheld pages stay in Insyn's capture log; their content is protected "
                                  "(sekretess, moved to the diarium) or was disposed of under a gallring decision."},
                         ensure_ascii=False, sort_keys=True).encode()
    writer.write_record(writer.create_warc_record(
        f"insyn:snapshot:account:{account.pk}", "metadata", payload=_bytes_stream(closing), length=len(closing),
        warc_content_type="application/json"))
    report.records += 1
    return report


def _bytes_stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _warc_date(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- summary


def build_summary(account: Account, start: datetime, end: datetime) -> dict[str, Any]:
    """The figures of the period, as JSON-ready data (ids, counts, labels, no resident's text)."""
    items = period_items(account, start, end)
    protected = protected_item_ids(account)
    kinds = Counter(dict(items.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")))
    directions = Counter(dict(items.values_list("direction").annotate(n=Count("id")).values_list("direction", "n")))
    edited = items.filter(version_count__gt=1).count()
    newest_triage = VersionTriage.objects.filter(version__item=OuterRef("pk")).order_by("-version__number")
    triaged = items.annotate(topic=Subquery(newest_triage.values("topic")[:1]),
                             moderation=Subquery(newest_triage.values("moderation")[:1]))
    topics: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for topic, moderation in triaged.values_list("topic", "moderation"):
        if topic:
            topics[topic] += 1
        if isinstance(moderation, str):  # some backends hand back the JSON text from a subquery
            try:
                moderation = json.loads(moderation)
            except ValueError:
                moderation = []
        for label in moderation or []:
            flagged[label] += 1

    discussed = (items.filter(kind__in=[Item.Kind.COMMENT, Item.Kind.REPLY]).exclude(thread_platform_id="")
                 .values("thread_platform_id").annotate(n=Count("id")).order_by("-n", "thread_platform_id")[:TOP_POSTS])
    posts = {p.platform_id: p for p in Item.objects.filter(
        account=account, platform_id__in=[d["thread_platform_id"] for d in discussed])}
    top = []
    for d in discussed:
        post = posts.get(d["thread_platform_id"])
        excerpt = ""
        if post is not None and post.pk not in protected:
            excerpt = " ".join(post.text.split())[:140]
        top.append({"thread": d["thread_platform_id"], "item": post.pk if post else None, "comments": d["n"],
                    "excerpt": excerpt, "url": post.url if post else "",
                    "date": timezone.localtime(post.effective_time).date().isoformat() if post else ""})

    legal = current_policy().legal_bases
    actions = (ItemStateChange.objects.filter(item__account=account, source=ItemStateChange.Source.INSYN,
                                              seen_at__gte=start, seen_at__lt=end)
               .values("state", "legal_basis").annotate(n=Count("id")).order_by("state", "legal_basis"))
    moderation = [{"state": a["state"], "state_label": str(Item.State(a["state"]).label), "legal_basis": a["legal_basis"],
                   "legal_basis_label": (legal.get(a["legal_basis"]) or {}).get("label", a["legal_basis"]),
                   "count": a["n"]} for a in actions]
    pages = fetched_pages(account, start, end).count()
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "total": sum(kinds.values()),
        "kinds": {k: kinds.get(k, 0) for k in Item.Kind.values},
        "directions": {d: directions.get(d, 0) for d in Item.Direction.values},
        "edited": edited,
        "withheld": len([pk for pk in items.values_list("pk", flat=True) if pk in protected]),
        "topics": [{"topic": t, "label": str(TOPICS.get(t, t)), "count": n} for t, n in topics.most_common()],
        "flagged": [{"label": k, "label_text": str(MODERATION_LABELS.get(k, k)), "count": n} for k, n in flagged.most_common()],
        "top_posts": top,
        "moderation": moderation,
        "fetched_pages": pages,
    }


def _counted_kinds(kinds: dict[str, int]) -> str:
    """"3 inlägg, 1 kommentar, 2 svar och 1 direktmeddelande", singular or plural per count."""
    parts = [
        ngettext("%(n)d inlägg", "%(n)d inlägg", kinds.get("post", 0)),
        ngettext("%(n)d kommentar", "%(n)d kommentarer", kinds.get("comment", 0)),
        ngettext("%(n)d svar", "%(n)d svar", kinds.get("reply", 0)),
        ngettext("%(n)d direktmeddelande", "%(n)d direktmeddelanden", kinds.get("message", 0)),
    ]
    counts = [kinds.get(k, 0) for k in ("post", "comment", "reply", "message")]
    parts = [p % {"n": n} for p, n in zip(parts, counts, strict=True)]
    return _("%(list)s och %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}


def summary_text(account: Account, data: dict[str, Any]) -> str:
    """A Swedish text from the figures, for a person to edit before saving."""
    start = timezone.localtime(datetime.fromisoformat(data["period"]["start"])).strftime("%Y-%m-%d")
    end = timezone.localtime(datetime.fromisoformat(data["period"]["end"])).strftime("%Y-%m-%d")
    kinds = data["kinds"]
    lines = [
        _("Ögonblicksbild av %(account)s (%(platform)s) för perioden %(start)s–%(end)s.") % {
            "account": account.name, "platform": account.get_platform_display(), "start": start, "end": end},
        "",
        _("Under perioden kom %(total)d poster in i arkivet: %(kinds)s. %(own)d var egna (upprättade) och "
          "%(in)d inkomna; %(edited)d ändrades efter publiceringen.") % {
            "total": data["total"], "kinds": _counted_kinds(kinds),
            "own": data["directions"].get("upprattad", 0), "in": data["directions"].get("inkommen", 0),
            "edited": data["edited"]},
    ]
    if data["topics"]:
        lines += ["", _("Vanligaste ämnen:") + " " + ", ".join(f"{t['label']} ({t['count']})" for t in data["topics"][:5]) + "."]
    if data["top_posts"]:
        lines += ["", _("Mest diskuterade inlägg:")]
        for t in data["top_posts"]:
            lines.append("- " + (ngettext("%(date)s, %(n)d kommentar: %(text)s",
                                          "%(date)s, %(n)d kommentarer: %(text)s", t["comments"]) % {
                "date": t["date"] or "?", "n": t["comments"], "text": t["excerpt"] or _("(texten visas inte)")}))
    if data["moderation"]:
        lines += ["", _("Moderering:")]
        for m in data["moderation"]:
            basis = m["legal_basis_label"] or _("ingen grund angiven")
            lines.append(f"- {m['state_label']}: {m['count']} ({basis})")
    else:
        lines += ["", _("Inga inlägg doldes eller togs bort av kommunen under perioden.")]
    if data["flagged"]:
        lines += ["", _("Triage flaggade:") + " " + ", ".join(f"{f['label_text']} ({f['count']})" for f in data["flagged"]) + "."]
    if data["withheld"]:
        lines += ["", _("%(n)d poster omfattas av sekretess eller har flyttats till diariet; deras innehåll finns inte "
                        "i ögonblicksbilden.") % {"n": data["withheld"]}]
    return "\n".join(lines)

