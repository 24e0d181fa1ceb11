"""The parts of a snapshot: PDF/A, WARC, screenshot and summary, read back with independent
tools (pypdf, warcio's ArchiveIterator, the PNG signature)."""

from __future__ import annotations

import hashlib
import io
from base64 import b32encode
from datetime import date

import pytest
from pypdf import PdfReader
from warcio.archiveiterator import ArchiveIterator

from insyn.records import actions as records_actions
from insyn.records.snapshots import generate

from .conftest import END, START

pytestmark = pytest.mark.django_db
# These drive Debian's Chromium: they run with the browser tests (`make test-browser`).
CHROMIUM = pytest.mark.browser


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_is_pdfa_and_holds_the_threads_with_versions_and_states(period_world):
    data = generate.render_pdf(period_world["account"], START, END)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert any(i.get_object()["/S"] == "/GTS_PDFA1" for i in intents)
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp or 'pdfaid:part="2"' in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp or 'pdfaid:conformance="B"' in xmp
    text = _pdf_text(data)
    assert "Äntligen, vilka tider gäller?" in text           # a comment
    assert "Tider finns på webben" in text                    # the reply under it
    assert "Bra jobbat med renoveringen (ändrat)" in text     # both versions of the edited comment
    assert "Bra jobbat med renoveringen" in text and "Version 2" in text
    assert "Hets mot folkgrupp" in text                       # the removal and its legal basis
    assert "Efter perioden" not in text                       # outside the period
    assert "Gammalt inlägg" not in text


def test_pdf_does_not_copy_secret_content(period_world, world):
    c1 = period_world["items"]["c1"]
    records_actions.register_document(world.registrator, authority=world.ks, item=c1, received_or_drawn_up=date(2026, 3, 2),
                                      counterpart="Maja Ek", subject="Fråga", sekretess=True, osl_reference="OSL 26 kap. 1 §")
    text = _pdf_text(generate.render_pdf(period_world["account"], START, END))
    assert "Äntligen, vilka tider gäller?" not in text
    assert "omfattas av sekretess" in text
    assert "Nu öppnar badhuset igen!" in text


def _warc(period_world, **kw):
    out = io.BytesIO()
    report = generate.write_warc(period_world["account"], START, END, out, filename="t.warc.gz")
    return out.getvalue(), report


def test_warc_holds_the_periods_fetched_pages_with_correct_digests(period_world):
    data, report = _warc(period_world)
    assert data[:2] == b"\x1f\x8b"   # gzip
    in_period = [r for r in period_world["raws"] if START <= r.received_at < END]
    records = []
    for record in ArchiveIterator(io.BytesIO(data), check_digests=True):
        records.append((record.rec_type, record.rec_headers, record.http_headers,
                        record.content_stream().read() if record.rec_type in ("response", "metadata", "warcinfo") else b""))
    types = [r[0] for r in records]
    assert types[0] == "warcinfo" and types[-1] == "metadata"
    responses = [r for r in records if r[0] == "response"]
    assert len(responses) == len(in_period) == report.responses == 4
    for (_kind, headers, http, payload), raw in zip(responses, sorted(in_period, key=lambda r: (r.received_at, r.pk)), strict=True):
        assert payload == bytes(raw.body)
        assert hashlib.sha256(payload).hexdigest() == raw.sha256
        sha1 = "sha1:" + b32encode(hashlib.sha1(payload).digest()).decode()
        assert headers.get_header("WARC-Payload-Digest") == sha1
        assert headers.get_header("WARC-Target-URI") == raw.url
        assert headers.get_header("WARC-Date").startswith(raw.received_at.strftime("%Y-%m-%dT%H:%M:%S"))
        assert http.get_header("Content-Type") == "application/json; charset=UTF-8"
    # Each response has its provenance record next to it.
    metas = [r for r in records[1:-1] if r[0] == "metadata"]
    assert len(metas) == 4 and all(b'"raw_capture"' in m[3] for m in metas)
    assert b"access_token" not in _all(data)


def _all(data: bytes) -> bytes:
    out, stream = b"", io.BytesIO(data)
    for record in ArchiveIterator(stream):
        out += record.rec_headers.to_str().encode() + record.content_stream().read()
    return out


def test_warc_never_carries_a_token_and_leaves_protected_pages_out(period_world, world):
    from insyn.capture.actions import record_raw

    account = period_world["account"]
    leaked = record_raw(account=account, platform=account.platform, source="poll", body=b"{}", enqueue=False,
                        url="https://graph.facebook.com/v23.0/5001/feed?access_token=SECRET123&limit=25",
                        received_at=START.replace(day=10))
    c3 = period_world["items"]["c3"]
    records_actions.register_document(world.registrator, authority=world.ks, item=c3, received_or_drawn_up=date(2026, 3, 7),
                                      counterpart="Troll", subject="Inlägg", sekretess=True, osl_reference="OSL 21 kap. 1 §")
    data, report = _warc(period_world)
    everything = _all(data)
    assert b"SECRET123" not in everything and b"access_token" not in everything
    assert b"https://graph.facebook.com/v23.0/5001/feed?limit=25" in everything
    assert "Hatiskt innehåll".encode() not in everything
    assert [w["raw"] for w in report.withheld] == [c3.first_raw_id]
    assert leaked.pk not in [w["raw"] for w in report.withheld]


@CHROMIUM
def test_screenshot_of_a_reachable_page_is_a_png(local_page):
    result = generate.take_screenshot(local_page, timeout_ms=20000)
    assert result.error == ""
    assert result.png is not None and result.png.startswith(b"\x89PNG\r\n\x1a\n")
    # Full page: taller than the 900-pixel viewport (the page has 80 paragraphs).
    height = int.from_bytes(result.png[20:24], "big")
    assert height > 900


@CHROMIUM
def test_screenshot_of_a_dead_address_records_why(dead_url, local_page):
    result = generate.take_screenshot(dead_url, timeout_ms=10000)
    assert result.png is None and "ERR_CONNECTION_REFUSED" in result.error
    missing = generate.take_screenshot(local_page + "saknas", timeout_ms=10000)
    assert missing.png is None and "404" in missing.error
    assert "http" in generate.take_screenshot("file:///etc/passwd").error


def test_summary_counts_topics_top_posts_and_moderation(period_world):
    data = generate.build_summary(period_world["account"], START, END)
    assert data["total"] == 6
    assert data["kinds"] == {"post": 2, "comment": 3, "reply": 1, "message": 0}
    assert data["directions"] == {"inkommen": 3, "upprattad": 3}
    assert data["edited"] == 1
    assert data["topics"][0] == {"topic": "kultur_fritid", "label": "Kultur och fritid", "count": 2}
    assert [(t["thread"], t["comments"]) for t in data["top_posts"]] == [("p1", 3), ("p2", 1)]
    assert data["top_posts"][0]["excerpt"] == "Nu öppnar badhuset igen!"
    assert data["moderation"] == [{"state": "removed_by_us", "state_label": "Borttagen av oss",
                                   "legal_basis": "hets_mot_folkgrupp", "legal_basis_label": "Hets mot folkgrupp",
                                   "count": 1}]
    assert data["fetched_pages"] == 4
    text = generate.summary_text(period_world["account"], data)
    assert "6 poster" in text and "Hets mot folkgrupp" in text and "Kultur och fritid (2)" in text
    # Singular and plural per count: 2 posts, 3 comments, 1 reply, 0 messages; 1 comment on p2.
    assert "2 inlägg, 3 kommentarer, 1 svar och 0 direktmeddelanden" in text
    assert ", 1 kommentar: " in text and ", 3 kommentarer: " in text
