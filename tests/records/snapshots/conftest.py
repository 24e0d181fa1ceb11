"""Snapshot fixtures: an account with a period of posts, comments and fetched pages, a local
web page to photograph, and a dead address."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from insyn.archive import apply as archive_apply
from insyn.archive.models import Item, ItemStateChange, VersionTriage
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised
from tests.records.conftest import normalized

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
END = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GRAPH = "https://graph.facebook.com/v23.0"


def page(account, *items, when, url, headers=None, signals=()):
    """One fetched page (as a poll stores it), applied to the archive."""
    body = ("{" + ",".join(f'"{i.platform_id}":"{i.text}"' for i in items) + "}").encode()
    raw = record_raw(account=account, platform=account.platform, source="poll", body=body, url=url,
                     headers=headers or {"content-type": "application/json; charset=UTF-8",
                                         "x-app-usage": '{"call_count":1,"total_time":1,"total_cputime":1}'},
                     received_at=when, enqueue=False)
    archive_apply.apply(raw, Normalised(items=list(items), signals=list(signals)))
    return raw


def triage(item, topic, moderation=()):
    version = item.versions.order_by("-number").first()
    return VersionTriage.objects.create(version=version, model_version="test", needs_answer=False, topic=topic,
                                        moderation=list(moderation))


def removed_by_us(item, *, legal_basis, when, actor):
    ItemStateChange.objects.create(item=item, state=Item.State.REMOVED_BY_US, previous_state=item.state, seen_at=when,
                                   source=ItemStateChange.Source.INSYN, actor=actor, reason="", legal_basis=legal_basis)
    Item.objects.filter(pk=item.pk).update(state=Item.State.REMOVED_BY_US, state_changed_at=when)


@pytest.fixture
def period_world(world, fb_account):
    """Two posts in March with comments (p1: three, p2: one), one comment edited, one removed
    for hets mot folkgrupp, one comment before the period and one after; fetched pages for each."""
    a = fb_account
    raws = []
    raws.append(page(a, normalized("p0", "Gammalt inlägg", kind="post", thread="p0", author="Kommunen",
                                   when=START - timedelta(days=3)), when=START - timedelta(days=3),
                     url=f"{GRAPH}/5001/feed?fields=id,message&limit=25"))
    raws.append(page(a, normalized("p1", "Nu öppnar badhuset igen!", kind="post", thread="p1", author="Kommunen"),
                     normalized("c1", "Äntligen, vilka tider gäller?", parent="p1", thread="p1", author="Maja Ek"),
                     when=T1, url=f"{GRAPH}/5001/feed?fields=id,message&limit=25"))
    raws.append(page(a, normalized("c2", "Bra jobbat med renoveringen", parent="p1", thread="p1", author="Bo Berg",
                                   when=T1 + timedelta(hours=1)),
                     normalized("r1", "Tider finns på webben", kind="reply", parent="c1", thread="p1",
                                direction="upprattad", record_type="public_comment", author="Kommunen",
                                when=T1 + timedelta(hours=2)),
                     when=T1 + timedelta(hours=2), url=f"{GRAPH}/p1/comments?fields=id,message&limit=25"))
    raws.append(page(a, normalized("c2", "Bra jobbat med renoveringen (ändrat)", parent="p1", thread="p1",
                                   author="Bo Berg", when=T1 + timedelta(hours=1)),
                     when=T1 + timedelta(hours=3), url=f"{GRAPH}/p1/comments?fields=id,message&limit=25"))
    raws.append(page(a, normalized("p2", "Vägarbete på Storgatan", kind="post", thread="p2", author="Kommunen",
                                   when=T1 + timedelta(days=5)),
                     normalized("c3", "Hatiskt innehåll om en folkgrupp", parent="p2", thread="p2", author="Troll",
                                when=T1 + timedelta(days=5, hours=1)),
                     when=T1 + timedelta(days=5, hours=1), url=f"{GRAPH}/5001/feed?fields=id,message&limit=25"))
    raws.append(page(a, normalized("c4", "Efter perioden", parent="p2", thread="p2", author="Sen Kommentar",
                                   when=END + timedelta(days=1)),
                     when=END + timedelta(days=1), url=f"{GRAPH}/p2/comments?fields=id,message&limit=25"))
    items = {i.platform_id: i for i in Item.objects.filter(account=a)}
    triage(items["c1"], "kultur_fritid")
    triage(items["c2"], "kultur_fritid")
    triage(items["c3"], "gata_trafik_parkering", ["hets_mot_folkgrupp"])
    removed_by_us(items["c3"], legal_basis="hets_mot_folkgrupp", when=T1 + timedelta(days=5, hours=2), actor=world.kom_a)
    return {"account": a, "raws": raws, "items": items}


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/saknas":
            body = b"<!doctype html><title>Saknas</title><p>Sidan finns inte.</p>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        body = ("<!doctype html><html lang='sv'><head><title>Testkommunen</title></head><body>"
                "<h1>Testkommunen på Facebook</h1>" + "<p>Inlägg</p>" * 80 + "</body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_page():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"
