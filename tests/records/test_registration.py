"""Registering documents in the diarium: numbers, OSL 5 kap. 2 § fields, sekretess, access."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from insyn.archive.models import Item, ItemVersion, VersionTriage
from insyn.eventlog.log import verify
from insyn.eventlog.models import Event
from insyn.records import actions, numbering, permissions
from insyn.records.models import DiariumSeries, Registration
from insyn.records.registration import registration_advice, shielded_title, should_register
from tests.records.conftest import feed, normalized

TODAY = date(2026, 3, 2)


def _register(world, **kw):
    actor = kw.pop("actor", world.registrator)
    data = {"authority": world.ks, "received_or_drawn_up": TODAY, "counterpart": "Anna Andersson",
            "subject": "Fråga om bygglov för altan", "sekretess": False}
    data.update(kw)
    return actions.register_document(actor, **data)


def test_numbers_run_per_authority_and_year_in_the_default_format(world, registrator_sn):
    year = timezone.localdate().year
    first, second = _register(world), _register(world)
    other = _register(world, actor=registrator_sn, authority=world.sn)
    assert (first.diarienummer, second.diarienummer) == (f"KS {year}/1", f"KS {year}/2")
    assert other.diarienummer == f"SN {year}/1"
    first.series.refresh_from_db()
    assert first.series == second.series and first.series.last_seq == 2
    assert first.status == Registration.Status.REGISTRERAD and first.created_by == world.registrator


def test_a_new_year_starts_a_new_series_with_last_years_format(world):
    last_year = timezone.localdate().year - 1
    DiariumSeries.objects.create(authority=world.ks, year=last_year, prefix="KS", number_format="{prefix}-{yy}-{seq}",
                                 pad=4, last_seq=812)
    reg = _register(world)
    yy = timezone.localdate().year % 100
    assert reg.diarienummer == f"KS-{yy:02d}-0001"


def test_configured_formats_are_validated(world):
    year = timezone.localdate().year
    series = actions.configure_series(world.registrator, world.ks, year=year, number_format="{year}-{seq}", pad=6)
    assert series.number_format == "{year}-{seq}"
    assert _register(world).diarienummer == f"{year}-000001"
    with pytest.raises(ValidationError, match="redan gett nummer"):
        actions.configure_series(world.registrator, world.ks, year=year, number_format="{prefix} {year}/{seq}")
    for bad in ("{prefix} {seq}", "{prefix} {year}", "{prefix} {year}/{seq:05d}", "{namn} {year}/{seq}", "{year/{seq}"):
        with pytest.raises(ValidationError):
            numbering.validate_format(bad)
    with pytest.raises(PermissionDenied):
        actions.configure_series(world.kom_a, world.ks, year=year + 1, number_format="{year}-{seq}")


def test_a_failed_registration_gives_its_number_back(world):
    _register(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        _register(world)
        raise RuntimeError("the caller's transaction fails after registering")
    assert _register(world).seq == 2  # no gap
    assert list(Registration.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]


def test_the_osl_5_2_fields_and_the_chained_event_without_names(world):
    reg = _register(world, counterpart="Anna Andersson", subject="Fråga om bygglov för altan", handler=world.handlaggare)
    assert (reg.document_date, reg.direction, reg.counterpart, reg.title) == (
        TODAY, "inkommen", "Anna Andersson", "Fråga om bygglov för altan")
    event = Event.objects.get(kind="records.registered")
    assert event.data["diarienummer"] == reg.diarienummer and event.data["handler"] == world.handlaggare.pk
    assert event.data["record_sha256"] == actions.registration_hash(reg)
    assert "Anna" not in str(event.data) and "bygglov" not in str(event.data)
    assert verify().ok


def test_sekretess_moves_counterpart_and_subject_apart_and_shields_the_title(world, fb_account):
    feed(fb_account, normalized("m1", "Min son har fått beslut från socialtjänsten …", kind="message", thread="t1"))
    item = Item.objects.get(platform_id="m1")
    reg = _register(world, item=item, counterpart="Maja Ek", subject="Fråga om sonens ärende hos socialtjänsten",
                    sekretess=True, osl_reference="OSL 26 kap. 1 §")
    assert reg.protected_counterpart == "Maja Ek"
    assert reg.protected_subject == "Fråga om sonens ärende hos socialtjänsten"
    assert reg.counterpart == ""
    assert reg.title == "Meddelande via Facebook – sekretess enligt OSL 26 kap. 1 §"
    assert reg.direction == "inkommen" and reg.item == item


def test_sekretess_with_explicit_public_versions(world):
    reg = _register(world, counterpart="Privatperson", subject="Ansökan om stöd", sekretess=True,
                    osl_reference="OSL 26 kap. 1 §", protected_counterpart="Maja Ek",
                    protected_subject="Ansökan om ekonomiskt bistånd för Maja Ek")
    assert (reg.counterpart, reg.title) == ("Privatperson", "Ansökan om stöd")
    with pytest.raises(ValidationError, match="upprepa"):
        _register(world, counterpart="Maja Ek", subject="X", sekretess=True, osl_reference="OSL 26 kap. 1 §",
                  protected_counterpart="Maja Ek", protected_subject="Y")


@pytest.mark.parametrize("kw, field", [
    ({"sekretess": True}, "osl_reference"),
    ({"protected_subject": "hemligt"}, "sekretess"),
    ({"osl_reference": "OSL 26 kap. 1 §"}, "osl_reference"),
    ({"subject": "  "}, "subject"),
    ({"received_or_drawn_up": date(2099, 1, 1)}, "received_or_drawn_up"),
    ({"subject": "x" * 501}, "subject"),
])
def test_invalid_registrations_are_refused_with_the_field_named(world, kw, field):
    with pytest.raises(ValidationError) as exc:
        _register(world, **kw)
    assert field in exc.value.message_dict
    assert not Registration.objects.exists() and not DiariumSeries.objects.filter(last_seq__gt=0).exists()


def test_the_database_refuses_a_secret_entry_without_a_provision(world):
    reg = _register(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=reg.pk).update(sekretess=True)


def test_an_item_is_registered_once_at_its_own_authority(world, fb_account, registrator_sn):
    feed(fb_account, normalized("c1", "Hej, när töms soporna?"))
    item = Item.objects.get(platform_id="c1")
    reg = _register(world, item=item)
    with pytest.raises(ValidationError, match=reg.diarienummer):
        _register(world, item=item)
    with pytest.raises(ValidationError):
        _register(world, actor=registrator_sn, authority=world.sn, item=item)
    feed(fb_account, normalized("c2", "En till"))
    with pytest.raises(ValidationError, match="annan myndighet"):
        actions.register_document(None, authority=world.sn, item=Item.objects.get(platform_id="c2"),
                                  received_or_drawn_up=TODAY, counterpart="x", subject="y", sekretess=False)
    assert actions.registration_for(item) == reg


def test_who_may_register(world, fb_account):
    feed(fb_account, normalized("c1", "Hej"))
    item = Item.objects.get(platform_id="c1")
    assert permissions.can_register(world.registrator, world.ks)
    assert not permissions.can_register(world.kom_a, world.ks)          # no item: only registrators
    assert permissions.can_register(world.kom_a, world.ks, item)        # moving an item of their account (R26)
    assert not permissions.can_register(world.kom_b, world.ks, item)
    assert not permissions.can_register(world.granskare, world.ks, item)
    with pytest.raises(PermissionDenied):
        _register(world, actor=world.kom_a)
    reg = _register(world, actor=world.kom_a, item=item)
    assert reg.created_by == world.kom_a
    system = actions.register_document(None, authority=world.ks, received_or_drawn_up=TODAY, counterpart="",
                                       subject="Regelstyrd registrering", sekretess=False)
    assert system.created_by is None and system.created_by_label == "system"


def test_handler_must_work_at_the_authority(world):
    with pytest.raises(ValidationError, match="Handläggaren"):
        _register(world, handler=world.kom_b)


def test_reading_rules(world, registrator_sn):
    reg = _register(world, sekretess=True, osl_reference="OSL 21 kap. 1 §", handler=world.handlaggare)
    assert set(Registration.objects.visible_to(world.kom_b)) == {reg}      # same organisation
    assert not Registration.objects.visible_to(world.outsider).exists()
    assert permissions.can_read_protected(world.registrator, reg)
    assert permissions.can_read_protected(world.handlaggare, reg)
    for user in (world.samordnare, world.kom_a, world.granskare, registrator_sn, world.chef_a):
        assert not permissions.can_read_protected(user, reg), user


def test_close_reopen_and_assign_handler(world):
    reg = _register(world)
    actions.assign_handler(world.registrator, reg, world.handlaggare)
    reg = actions.close_registration(world.handlaggare, reg)
    assert reg.status == "avslutad" and reg.closed_by == world.handlaggare
    with pytest.raises(ValidationError):
        actions.close_registration(world.registrator, reg)
    with pytest.raises(PermissionDenied):
        actions.reopen_registration(world.handlaggare, reg)
    assert actions.reopen_registration(world.registrator, reg).status == "registrerad"
    with pytest.raises(PermissionDenied):
        actions.close_registration(world.kom_a, reg)
    kinds = list(Event.objects.filter(kind__startswith="records.").values_list("kind", flat=True))
    assert kinds == ["records.registered", "records.handler_assigned", "records.closed", "records.reopened"]


def test_should_register_follows_the_policy_and_sekretess_hints(world, fb_account, settings, tmp_path):
    feed(fb_account, normalized("m1", "Hej!", kind="message", thread="t1"), normalized("c1", "Bra jobbat"))
    message, comment = Item.objects.get(platform_id="m1"), Item.objects.get(platform_id="c1")
    assert not should_register(message)            # the shipped policy: direct messages "hålls ordnade"
    assert not should_register(comment)
    assert should_register(comment, sekretess=True)
    version = ItemVersion.objects.get(item=comment)
    VersionTriage.objects.create(version=version, model_version="t", needs_answer=False, topic="socialtjanst",
                                 sensitive=["socialtjanst_arende"])
    advice = registration_advice(comment)
    assert advice.required and advice.suggested_osl_reference == "OSL 26 kap. 1 §"

    from insyn.registry import actions as registry_actions

    source = open(settings.POLICY_FILE, encoding="utf-8").read()
    source = source.replace('direct_messages = "halls_ordnade"', 'direct_messages = "registreras"')
    source = source.replace('version = "', 'version = "dm-', 1)
    registry_actions.load_policy(source)
    assert should_register(message)


def test_shielded_title_never_carries_the_subject(world, fb_account):
    feed(fb_account, normalized("c1", "Hej"))
    item = Item.objects.get(platform_id="c1")
    assert shielded_title(item, "OSL 21 kap. 1 §") == "Kommentar via Facebook – sekretess enligt OSL 21 kap. 1 §"
    assert shielded_title(None, "OSL 21 kap. 1 §") == "Handling – sekretess enligt OSL 21 kap. 1 §"


def test_the_content_rule_for_other_pages(world, fb_account):
    from insyn.records import access

    feed(fb_account, normalized("m1", "Hemligt", kind="message", thread="t1"), normalized("c1", "Öppet"))
    secret_item, open_item = Item.objects.get(platform_id="m1"), Item.objects.get(platform_id="c1")
    reg = _register(world, item=secret_item, sekretess=True, osl_reference="OSL 21 kap. 1 §")
    assert access.secret_item_ids([secret_item.pk, open_item.pk]) == {secret_item.pk}
    assert access.can_read_content(world.kom_a, open_item)
    assert not access.can_read_content(world.kom_a, secret_item)
    assert not access.content_allowed(world.samordnare, secret_item, where="archive_item")
    assert not Event.objects.filter(kind="records.protected_read").exists()
    actions.assign_handler(world.registrator, reg, world.handlaggare)
    assert access.content_allowed(world.handlaggare, secret_item, where="archive_item")
    assert Event.objects.get(kind="records.protected_read").data["what"] == "content:archive_item"
    assert access.raw_secret_registration(secret_item.first_raw) == reg
    visible = set(Item.objects.exclude(pk__in=access.unreadable_items(world.kom_a)).values_list("platform_id", flat=True))
    assert visible == {"c1"}
    for user in (world.registrator, world.handlaggare):
        assert Item.objects.exclude(pk__in=access.unreadable_items(user)).count() == 2
