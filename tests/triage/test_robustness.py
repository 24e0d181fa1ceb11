"""Bad input never raises, and work stays linear in the input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insyn.triage import triage
from insyn.triage.vocab import AUTHORITIES, CONTRACT_KEYS, MODERATION, SENSITIVE, SPAN_KINDS, TOPICS


def assert_valid(result, text: str) -> None:
    c = result.to_contract()
    assert tuple(c) == CONTRACT_KEYS
    assert isinstance(c["needs_answer"], bool)
    assert c["topic"] in TOPICS
    assert set(c["moderation"]) <= set(MODERATION)
    assert set(c["sensitive"]) <= set(SENSITIVE)
    assert c["wrong_authority"] is None or c["wrong_authority"] in AUTHORITIES
    for span in c["spans"]:
        assert span["kind"] in SPAN_KINDS
        assert 0 <= span["start"] < span["end"] <= len(text)
    for ev in result.evidence:
        if ev.start is not None:
            assert 0 <= ev.start <= ev.end <= len(text)


def test_empty_and_whitespace():
    for text in ("", " ", "\n\n\t", "?"):
        r = triage(text)
        assert_valid(r, text)
        assert r.moderation == [] and r.needs_answer is False


def test_only_emojis():
    text = "😡😡😡🗑️👍🏽❤️‍🔥"
    r = triage(text)
    assert_valid(r, text)
    assert r.moderation == []


def test_invisible_and_bidi_characters():
    text = "\u202ealoh\u202c \u200b\u200b\ufeff din j\u200bä\u200bvla h\u200bo\u200bra"
    r = triage(text)
    assert_valid(r, text)


def test_mixed_languages():
    for text in ("Hello, when is the library open? Biblioteket öppnar när?", "مرحبا متى تفتح المكتبة؟",
                 "Привет, когда откроется бассейн?", "什么时候开门"):  # fmt: skip
        assert_valid(triage(text), text)


def test_one_megabyte():
    text = (
        "Hej kommunen, varför är gatlampan trasig på Storgatan 12? ring 070-123 45 67. " * 13_000
    )[:1_000_000]
    r = triage(text)
    assert_valid(r, text)
    assert len(r.spans) > 1000  # personal data is found in the whole text


def test_pathological_inputs():
    for text in ("a" * 200_000, "1" * 200_000, "@" * 100_000, "a@" * 50_000, "0 " * 100_000,
                 "h o r a " * 20_000, "*" * 100_000, ("x" * 63 + ".") * 5000):  # fmt: skip
        assert_valid(triage(text), text)


def test_non_string_kind_falls_back():
    assert_valid(triage("hej", kind="unknown"), "hej")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=500), st.sampled_from(["comment", "reply", "message", "post"]))
def test_random_text_never_raises(text, kind):
    assert_valid(triage(text, kind), text)
