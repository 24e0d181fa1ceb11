"""The scenario generator: determinism by seed, variety, Swedish content, persistence, CLI."""

from __future__ import annotations

import collections
import json
import random
import re
import subprocess
import sys

import httpx

from insyn.simulator import ScenarioConfig, Simulator, VirtualClock
from insyn.simulator.scenario import TextFactory, luhn_digit
from insyn.simulator.texts import INJECTIONS

from .conftest import Env


def run(seed: int, ticks: int = 40) -> Simulator:
    sim = Simulator(seed=seed, clock=VirtualClock())
    sim.seed_default_world(history_days=2)
    sim.tick(ticks)
    return sim


def test_same_seed_same_world() -> None:
    a, b = run(42), run(42)
    assert json.dumps(a.world.to_json(), sort_keys=True) == json.dumps(
        b.world.to_json(), sort_keys=True
    )
    assert [e.to_json() for e in a.world.events] == [e.to_json() for e in b.world.events]


def test_different_seed_different_world() -> None:
    a, b = run(1, 10), run(2, 10)
    texts_a = sorted(c.message for c in a.world.comments.values())
    texts_b = sorted(c.message for c in b.world.comments.values())
    assert texts_a != texts_b


def test_ticks_produce_the_whole_range_of_traffic() -> None:
    sim = run(9, ticks=300)
    summaries = collections.Counter(e.kind for e in sim.world.events)
    assert summaries["fb.feed"] > 100 and summaries["fb.messaging"] > 10
    assert (
        summaries["mastodon.status"] > 50
        and summaries["mastodon.edit"]
        and summaries["mastodon.delete"]
    )
    verbs = collections.Counter(
        (e.payload.get("item"), e.payload.get("verb"))
        for e in sim.world.events
        if e.kind == "fb.feed"
    )
    for key in [
        ("comment", "add"),
        ("comment", "edited"),
        ("comment", "remove"),
        ("status", "add"),
        ("reaction", "add"),
    ]:
        assert verbs[key], key
    kinds = collections.Counter(sim.scenario.kinds.values())
    for kind in (
        "question",
        "felanmalan",
        "complaint",
        "praise",
        "argument",
        "spam",
        "threat",
        "hets",
    ):
        assert kinds[kind], kind
    world = sim.world
    assert any(c.parent_id for c in world.comments.values()), "residents reply to each other"
    assert any(c.from_id in world.pages and c.parent_id for c in world.comments.values()), (
        "the kommun answers"
    )
    assert any(s.visibility == "direct" for s in world.statuses.values())
    assert any(a.domain for a in world.maccounts.values()), "some residents are on other instances"
    notifications = collections.Counter(n.type for n in world.notifications.values())
    assert notifications["mention"] and notifications["favourite"]


def test_text_is_swedish_and_carries_personal_data_sometimes() -> None:
    sim = run(5, ticks=300)
    texts = [c.message for c in sim.world.comments.values()] + [
        m.message for m in sim.world.messages.values()
    ]
    joined = " ".join(texts)
    assert re.search(r"[åäöÅÄÖ]", joined)
    assert re.search(r"\b(19|20)?\d{6}-?\d{4}\b", joined), "personnummer in some messages"
    assert re.search(r"(070-174 06 \d\d|07017406\d\d|\+46 70 174 06 \d\d)", joined), "phone numbers"
    assert any(ch in joined for ch in "😡🙏❤️👍")


def test_about_five_percent_of_resident_texts_carry_an_injection() -> None:
    words = TextFactory(random.Random(3), "Norrvik kommun", ScenarioConfig())
    texts = [words.comment("question") for _ in range(4000)]
    share = sum(any(p in t for p in INJECTIONS) for t in texts) / len(texts)
    assert 0.035 < share < 0.065
    assert any("<script>alert(1)</script>" in t for t in texts)
    assert any("<img src=x onerror=alert(1)>" in t for t in texts)


def test_personnummer_have_valid_check_digits() -> None:
    words = TextFactory(random.Random(8), "x", ScenarioConfig())
    for _ in range(200):
        pnr = re.sub(r"\D", "", words.personnummer())
        core = pnr[-10:]
        assert luhn_digit(core[:9]) == int(core[9])


def test_tick_with_wall_clock_does_not_need_virtual_time() -> None:
    sim = Simulator(seed=4)
    sim.seed_default_world(history_days=1)
    events = sim.tick(3)
    assert events and all(e.seq > 0 for e in events)


def test_world_survives_a_restart(tmp_path) -> None:
    first = Simulator(seed=6, clock=VirtualClock(), data_dir=tmp_path)
    info = first.seed_default_world(history_days=1)
    first.tick(20)
    first.set_token_state(info["mastodon_account"]["token"], "revoked")
    first.save()
    second = Simulator(data_dir=tmp_path)
    assert json.dumps(second.world.to_json(), sort_keys=True) == json.dumps(
        first.world.to_json(), sort_keys=True
    )
    assert second.world.tokens[info["mastodon_account"]["token"]].state == "revoked"
    second.tick(5)  # and goes on from where it was, without repeating itself
    assert second.world.tick_count == 25
    second.save()
    third = Simulator(seed=6, clock=VirtualClock(), data_dir=tmp_path)
    assert third.world.tick_count == 25
    assert third.world.clock.virtual and third.world.now() == second.world.now()


def test_control_state_tick_and_act(env: Env, http) -> None:
    base = env.handle.control_url
    state = http.get(f"{base}/state").json()
    assert state["pages"][0]["id"] == env.page_id
    assert state["pages"][0]["tokens"][0]["token"] == env.page_token
    assert state["mastodon_accounts"][0]["id"] == env.account_id
    assert state["counts"]["comments"] > 0
    before = state["tick_count"]
    ticked = http.post(f"{base}/tick", json={"n": 3}).json()
    assert ticked["tick_count"] == before + 3 and ticked["events"]
    post = http.post(
        f"{base}/act", json={"action": "post", "page_id": env.page_id, "message": "Hej"}
    ).json()
    comment = http.post(
        f"{base}/act",
        json={
            "action": "comment",
            "object_id": post["id"],
            "message": "Hallå",
            "from_name": "Per Persson",
        },
    ).json()
    got = env.gget(http, comment["id"], fields="message,from").json()
    assert got["message"] == "Hallå" and got["from"]["name"] == "Per Persson"
    events = http.get(f"{base}/events", params={"since": ticked["events"][-1]["seq"]}).json()[
        "events"
    ]
    assert [e["payload"]["verb"] for e in events] == ["add", "add"]
    assert http.post(f"{base}/act", json={"action": "nope"}).status_code == 404
    assert http.get(f"{base}/nowhere").status_code == 404
    advanced = http.post(f"{base}/clock/advance", json={"seconds": 60}).json()
    assert advanced["now"] == env.sim.world.now()
    full = http.get(f"{base}/state", params={"full": "1"}).json()
    assert "world" in full and full["world"]["seed"] == env.sim.seed


def test_command_line_entry_point(tmp_path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "insyn.simulator",
            "--port",
            "0",
            "--tick-seconds",
            "0.2",
            "--seed",
            "3",
            "--data-dir",
            str(tmp_path),
            "--page-token",
            "EAAGtesttoken",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        info = json.loads(line)
        page = info["pages"][0]
        assert page["token"] == "EAAGtesttoken"
        r = httpx.get(
            f"{info['graph_version_url']}/{page['id']}/feed",
            params={"access_token": page["token"]},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["data"]
        account = info["mastodon_accounts"][0]
        r = httpx.get(
            f"{info['mastodon_url']}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {account['token']}"},
            timeout=10,
        )
        assert r.json()["acct"] == "norrvikskommun"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0, process.stderr.read()  # type: ignore[union-attr]
    assert (tmp_path / "world.json").exists()
