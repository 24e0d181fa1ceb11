from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from insyn.eventlog import log
from insyn.eventlog.models import ChainHead, Event


def _append(n):
    for i in range(n):
        with transaction.atomic():
            log.append("test.event", data={"i": i, "text": "åäö"})


@pytest.mark.django_db
def test_chain_links_every_entry_to_the_previous_one():
    _append(5)
    events = list(Event.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
    assert log.verify().ok and log.verify().checked == 5


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        log.append("test.event")


@pytest.mark.django_db
def test_altered_entry_is_reported_with_its_number():
    _append(6)
    Event.objects.filter(seq=4).update(data={"i": 99, "text": "åäö"})
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4
    assert "hash" in result.reason


@pytest.mark.django_db
def test_removed_entry_in_the_middle_is_reported():
    _append(6)
    Event.objects.filter(seq=3).delete()
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3


@pytest.mark.django_db
def test_removed_newest_entries_are_reported():
    _append(6)
    Event.objects.filter(seq__gte=5).delete()
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 5


@pytest.mark.django_db
def test_rewritten_chain_without_head_update_is_reported():
    _append(3)
    # An attacker recomputes entry 3's hash after changing it: the head still knows the old hash.
    from insyn.lib.hashing import chain_hash

    event = Event.objects.get(seq=3)
    event.data = {"i": 7}
    event.hash = chain_hash(event.prev_hash, event.body())
    Event.objects.filter(seq=3).update(data=event.data, hash=event.hash)
    assert ChainHead.objects.get().hash != event.hash
    assert not log.verify().ok


@pytest.mark.django_db
def test_entries_appended_while_verifying_are_not_a_mismatch(monkeypatch):
    _append(3)
    read_head = log._read_head
    calls = []

    def head_then_more_entries():
        head = read_head()
        if not calls:
            _append(2)  # the running system writes on after verify has read the head
        calls.append(head)
        return head

    monkeypatch.setattr(log, "_read_head", head_then_more_entries)
    result = log.verify()
    assert result.ok and result.checked == 3
    assert log.verify().ok and log.verify().checked == 5


@pytest.mark.django_db
def test_entry_written_around_the_head_is_reported():
    _append(3)
    from insyn.lib.hashing import chain_hash

    last = Event.objects.get(seq=3)
    forged = Event(seq=4, at=last.at, kind="test.event", data={"i": 4}, prev_hash=last.hash)
    forged.hash = chain_hash(last.hash, forged.body())
    Event.objects.bulk_create([forged])
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4


@pytest.mark.django_db
def test_verify_command_exit_status(capsys):
    _append(3)
    call_command("verify")
    assert "3 poster" in capsys.readouterr().out
    Event.objects.filter(seq=2).update(kind="changed")
    with pytest.raises(CommandError, match="#2"):
        call_command("verify")
