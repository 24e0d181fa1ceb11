"""`insyn demo` shows each records feature without setting anything up by hand
(src/insyn/server/demo_records.py): a gallring decision at once; a request for records with
items selected, a saved snapshot and an e-archive delivery once capture has brought items in;
an overdue snapshot schedule from the demo organisation itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from insyn.archive.models import Item, VersionTriage
from insyn.eventlog.log import verify
from insyn.records.earchive.models import Delivery
from insyn.records.models import GallringDecision, OpenRequestItem
from insyn.records.snapshots import actions as snapshot_actions
from insyn.records.snapshots.models import Snapshot, SnapshotSchedule
from insyn.records.utlamnande.models import Request
from insyn.registry.demo import load_demo
from insyn.registry.models import Account, Platform
from insyn.server import demo_records

from .conftest import feed, normalized

pytestmark = pytest.mark.django_db


def _capture(account, n, prefix, *, spans=True):
    now = timezone.now() - timedelta(minutes=1)
    items = [normalized(f"{prefix}p", "Nu öppnar badhuset igen!", kind="post", thread=f"{prefix}p", parent=None,
                        when=now)]
    items += [normalized(f"{prefix}c{i}", f"Fråga nummer {i}: ring mig på 070-123 45 6{i}", parent=f"{prefix}p",
                         thread=f"{prefix}p", author=f"Invånare {i}", when=now) for i in range(n)]
    feed(account, *items, when=now)
    for item in Item.objects.filter(account=account, kind="comment"):
        version = item.versions.order_by("-number").first()
        VersionTriage.objects.get_or_create(version=version, defaults={
            "model_version": "test", "needs_answer": True, "topic": "ovrigt",
            "spans": [{"start": 24, "end": 38, "kind": "telefon"}] if spans else []})


def test_the_demo_shows_every_records_feature(django_capture_on_commit_callbacks):
    load_demo()
    demo_records.prepare()
    demo_records.prepare()  # a restarted demo does not record it twice
    assert GallringDecision.objects.filter(note=demo_records.GALLRING_NOTE).count() == 1

    # The Mastodon account has been active for seven months: its snapshot is overdue.
    mastodon = Account.objects.get(platform=Platform.MASTODON, name="Älvby kommun på Mastodon")
    assert SnapshotSchedule.objects.get(account=mastodon).is_due

    # Nothing has been captured yet: the steps that need items wait.
    with django_capture_on_commit_callbacks(execute=False):
        assert demo_records.advance() is False
    assert not Request.objects.exists() and not Delivery.objects.exists()

    fb = Account.objects.get(platform=Platform.FACEBOOK_PAGE, handle="alvbykommun")
    _capture(fb, 3, "plain", spans=False)
    with django_capture_on_commit_callbacks(execute=False):
        demo_records.advance()
    assert not Request.objects.exists()  # waits a while for a post with personal data to mask
    _capture(fb, 3, "fb")
    _capture(mastodon, 2, "m")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert demo_records.advance() is False  # the snapshot is still being generated
    assert queued  # generation and the package build go to the worker

    req = Request.objects.get(description=demo_records.REQUEST_DESCRIPTION)
    assert req.status == Request.Status.UNDER_PROVNING and req.items.count() == demo_records.REQUEST_ITEMS
    assert all(ri.item.platform_id.startswith("fb") for ri in req.items.all())  # those with personal data first
    assert OpenRequestItem.objects.filter(request_reference=req.reference).count() == demo_records.REQUEST_ITEMS
    assert (timezone.localdate() - timezone.localtime(req.received_at).date()).days == demo_records.REQUEST_AGE_DAYS
    assert Delivery.objects.get(account=mastodon).status == Delivery.Status.QUEUED

    # The worker generates the snapshot; the demo then saves it.
    draft = fb.snapshots.drafts().get()
    snapshot_actions.generate_snapshot(draft.pk, steps=("summary", "pdf", "warc"))
    with django_capture_on_commit_callbacks(execute=False):
        assert demo_records.advance() is True
    assert fb.snapshots.get().status == Snapshot.Status.SAVED
    assert Request.objects.count() == 1 and Delivery.objects.count() == 1  # each step once
    assert verify().ok
