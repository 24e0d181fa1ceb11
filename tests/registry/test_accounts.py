"""The register of accounts through its actions: workflow, validation, notifications, events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from insyn.eventlog import log
from insyn.eventlog.models import Event
from insyn.registry import actions
from insyn.registry.models import Account, AccountDecision, Status
from tests.conftest import account_data


def _decide(world, account, to, chef=None, **kw):
    return actions.decide(
        world.samordnare, account, to, decided_by=chef or world.chef_a,
        decision_date=kw.pop("decision_date", timezone.localdate()),
        mandate=kw.pop("mandate", "Karin får uppdraget av förvaltningschefen"),
        anchoring=kw.pop("anchoring", "Förvaltningsledningen 2026-11-20 § 4"), **kw,
    )


def test_registering_reports_to_kommunkansliet_and_logs(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = actions.register_account(world.kom_a, **account_data(world))
    assert account.status == Status.FORESLAGET and not account.is_draft
    assert account.authority == world.ks and account.organisation == world.org
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kansliet@test.example"]
    assert "Testkommunen" in mail.outbox[0].subject and "kom_a@test.example" in mail.outbox[0].body
    event = Event.objects.for_object(account).get(kind="account.registered")
    assert event.actor == world.kom_a and event.data["handle"] == "testkommunen"
    assert log.verify().ok


def test_fewer_than_two_administrators_is_only_a_draft_and_flagged(world, make_account):
    account = make_account(administrators=[world.kom_a])
    assert account.is_draft
    assert any("R12" in str(f) for f in account.compliance_flags())
    with pytest.raises(ValidationError, match="två administratörer"):
        _decide(world, account, Status.BESLUTAT)
    account.refresh_from_db()
    assert account.status == Status.FORESLAGET


def test_full_workflow_records_each_decision(world, make_account, django_capture_on_commit_callbacks):
    account = make_account(status="aktivt")
    assert account.status == Status.AKTIVT
    _decide(world, account, Status.AVVECKLAS)
    with pytest.raises(ValidationError, match="avskedsinlägget"):
        _decide(world, account, Status.AVSLUTAT)
    actions.mark_farewell_published(world.kom_a, account, url="https://www.facebook.com/testkommunen/posts/1")
    with django_capture_on_commit_callbacks(execute=True):
        _decide(world, account, Status.AVSLUTAT)
    account.refresh_from_db()
    assert account.status == Status.AVSLUTAT
    steps = list(AccountDecision.objects.filter(account=account).values_list("from_status", "to_status"))
    assert steps == [("foreslaget", "beslutat"), ("beslutat", "aktivt"), ("aktivt", "avvecklas"), ("avvecklas", "avslutat")]
    assert any("avslutat" in m.subject for m in mail.outbox)
    assert Event.objects.for_object(account).filter(kind="account.decided").count() == 4


def test_decision_must_come_from_a_chef_of_the_unit(world, make_account):
    account = make_account()
    with pytest.raises(ValidationError) as exc:
        _decide(world, account, Status.BESLUTAT, chef=world.chef_b)
    assert "decided_by" in exc.value.message_dict


def test_decision_needs_mandate_and_anchoring(world, make_account):
    account = make_account()
    with pytest.raises(ValidationError) as exc:
        _decide(world, account, Status.BESLUTAT, mandate=" ", anchoring="")
    assert {"mandate", "anchoring"} <= set(exc.value.message_dict)


def test_decision_date_in_the_future_is_refused(world, make_account):
    account = make_account()
    with pytest.raises(ValidationError):
        _decide(world, account, Status.BESLUTAT, decision_date=timezone.localdate() + timedelta(days=2))


def test_impossible_transition_is_refused(world, make_account):
    account = make_account()
    with pytest.raises(ValidationError, match="kan inte gå"):
        _decide(world, account, Status.AVVECKLAS)


def test_only_chef_or_samordnare_may_decide(world, make_account):
    account = make_account()
    with pytest.raises(PermissionDenied):
        actions.decide(world.kom_a, account, Status.BESLUTAT, decided_by=world.chef_a,
                       decision_date=timezone.localdate(), mandate="x", anchoring="y")
    actions.decide(world.chef_a, account, Status.BESLUTAT, decided_by=world.chef_a,
                   decision_date=timezone.localdate(), mandate="x", anchoring="y")


def test_confidential_unit_requires_justification(world):
    data = account_data(world, unit=world.unit_b, responsible=world.kom_b, administrators=[world.kom_b, world.chef_b],
                        handle="ifo.test", url="https://www.facebook.com/ifo.test")
    with pytest.raises(ValidationError) as exc:
        actions.register_account(world.kom_b, **data)
    assert "confidential_justification" in exc.value.message_dict
    account = actions.register_account(world.kom_b, **data, confidential_justification="Bara allmän information")
    assert any("R27" in str(f) for f in account.compliance_flags())


def test_facebook_group_must_name_its_official_page(world, make_account):
    group = account_data(world, platform="facebook_group", handle="testgrupp",
                         url="https://www.facebook.com/groups/testgrupp", name="Gruppen")
    with pytest.raises(ValidationError) as exc:
        actions.register_account(world.kom_a, **group)
    assert "official_page" in exc.value.message_dict
    page = make_account()
    account = actions.register_account(world.kom_a, **group, official_page=page)
    assert account.official_page == page


@pytest.mark.parametrize("platform,handle,url,field", [
    ("facebook_page", "testkommunen", "https://www.instagram.com/testkommunen", "url"),
    ("facebook_page", "testkommunen", "http://www.facebook.com/testkommunen", "url"),
    ("instagram", "för långt namn med mellanslag", "https://www.instagram.com/x", "handle"),
    ("x", "testkommunen", "https://x.com/annatkonto", "handle"),
    ("mastodon", "testkommunen", "https://mastodon.nu/@testkommunen", "handle"),
    ("youtube", "@tk", "https://www.youtube.com/@tk", "handle"),
])
def test_wrong_url_or_handle_for_the_platform_is_refused(world, platform, handle, url, field):
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.register_account(world.kom_a, **account_data(world, platform=platform, handle=handle, url=url))
    assert field in exc.value.message_dict
    assert Account.objects.count() == 0 and Event.objects.count() == before


def test_missing_required_fields_are_named(world):
    with pytest.raises(ValidationError) as exc:
        actions.register_account(world.kom_a, **account_data(world, purpose="", target_group="  ", message=""))
    assert {"purpose", "target_group", "message"} <= set(exc.value.message_dict)


def test_duplicate_account_is_refused_and_nothing_half_saved(world, make_account):
    make_account()
    before = (Account.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError, match="finns redan"):
        actions.register_account(world.kom_b, **account_data(world, unit=world.unit_b, handle="TestKommunen",
                                 url="https://www.facebook.com/TestKommunen", responsible=world.kom_b,
                                 administrators=[world.kom_b], confidential_justification="x"))
    assert (Account.objects.count(), Event.objects.count()) == before


def test_user_who_has_not_acknowledged_the_policy_cannot_act(world):
    from insyn.registry.models import PolicyAcknowledgement

    PolicyAcknowledgement.objects.filter(user=world.kom_a).delete()
    with pytest.raises(actions.PolicyNotAcknowledged):
        actions.register_account(world.kom_a, **account_data(world))
    assert Account.objects.count() == 0


def test_kommunikator_cannot_register_in_another_unit(world):
    with pytest.raises(PermissionDenied):
        actions.register_account(world.kom_a, **account_data(world, unit=world.unit_b, confidential_justification="x",
                                 responsible=world.kom_b, administrators=[world.kom_b, world.chef_b]))


def test_administrators_must_belong_to_the_unit(world):
    with pytest.raises(ValidationError) as exc:
        actions.register_account(world.kom_a, **account_data(world, administrators=[world.kom_a, world.kom_b]))
    assert "administrators" in exc.value.message_dict


def test_update_records_what_changed(world, make_account):
    account = make_account()
    actions.update_account(world.kom_a, account, purpose="Krisinformation")
    event = Event.objects.for_object(account).filter(kind="account.updated").get()
    assert event.data["changes"]["purpose"] == {"from": "Nyheter och dialog", "to": "Krisinformation"}


def test_active_account_cannot_drop_below_two_administrators(world, make_account):
    account = make_account(status="aktivt")
    with pytest.raises(ValidationError, match="två administratörer"):
        actions.update_account(world.kom_a, account, administrators=[world.kom_a])
    assert account.administrators.count() == 2


def test_sender_checklist_and_info_text(world, make_account):
    account = make_account(status="aktivt")
    flags = " ".join(str(f) for f in account.compliance_flags())
    assert "R9" in flags and "R13" in flags
    actions.confirm_sender_checklist(world.kom_a, account, logo_shown=True, unit_shown=True)
    actions.mark_info_text_published(world.kom_a, account, url="https://www.facebook.com/testkommunen/about")
    account.refresh_from_db()
    assert account.compliance_flags() == []
    text = actions.info_text(account)
    assert "Kommunstyrelsen" in text and "allmän handling" in text and "{" not in text


def test_farewell_text_comes_from_the_policy(world, make_account):
    account = make_account(status="avvecklas")
    text = actions.farewell_text(account)
    assert "Tack" in text and account.name in text
