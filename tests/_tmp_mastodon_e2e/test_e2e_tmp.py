import io
import pytest
from django.core.management import call_command
from insyn.simulator import start_in_thread
from insyn.capture import actions
from insyn.capture.models import Connection
from insyn.archive.models import Item
from insyn.lib.http import HttpSeam
import sys; sys.path.insert(0, "tests/capture/platforms")
from test_mastodon import concerning


@pytest.mark.django_db(transaction=True)
def test_capture_end_to_end():
    h = start_in_thread(seed=3, port=0, mastodon_port=0)
    try:
        w = h.simulator.seed_default_world(history_days=2)
        h.simulator.tick(40)
        m = w["mastodon_account"]
        host = h.mastodon_url.split("://", 1)[1]
        call_command("account", "add", "--platform", "mastodon", "--external-id", m["account_id"], "--handle",
                     f"@{m['username']}@{host}", "--token", m["token"], "--base-url", h.mastodon_url,
                     "--organisation", "Testby", stdout=io.StringIO())
        conn = Connection.objects.get()
        seam = lambda: HttpSeam(sleep=lambda s: None)
        r1 = actions.poll(conn, http=seam()); conn.refresh_from_db()
        print("first", r1.pages, r1.full, r1.error)
        for _ in range(3):
            h.simulator.tick(15)
            r = actions.poll(conn, full=False, http=seam()); conn.refresh_from_db()
            print("incr", r.pages, r.full, r.error)
        r = actions.poll(conn, full=True, http=seam()); conn.refresh_from_db()
        print("full2", r.pages, r.full, r.error)
        actions.process_pending()
        with h.simulator.world.lock:
            expected = concerning(h.simulator.world, m["account_id"])
            deleted = {k for k, s in h.simulator.world.statuses.items() if s.deleted_at}
        items = {i.platform_id: i for i in Item.objects.all()}
        visible = {k for k, i in items.items() if i.state == "visible"}
        gone = {k for k, i in items.items() if i.state == "deleted_on_platform"}
        print("items", len(items), "visible", len(visible), "gone", len(gone), "expected", len(expected))
        print("false gone", sorted(gone - deleted)[:5])
        print("missing", sorted(expected - visible)[:5], "extra visible", sorted(visible - expected)[:5])
        print("cursor keys", sorted(conn.cursor))
        assert visible == expected
        assert gone <= deleted
    finally:
        h.stop()
