"""The register pages over HTTP: forms, Swedish error messages, public list, exports."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from insyn.eventlog.models import Event
from insyn.registry.models import Account, PolicyAcknowledgement, Status
from tests.conftest import login


def _form(world, **overrides):
    data = {
        "unit": world.unit_a.pk, "platform": "instagram", "name": "Kommunen på Instagram",
        "handle": "kommunen", "url": "https://www.instagram.com/kommunen", "purpose": "Visa vardagen",
        "target_group": "Unga vuxna", "message": "Här händer det", "responsible": world.kom_a.pk,
        "administrators": [world.kom_a.pk, world.kom_a2.pk], "response_rule": "next_working_day_end",
    }
    data.update(overrides)
    return data


def test_register_an_account_through_the_form(world):
    client = login(Client(), world.kom_a)
    response = client.post("/register/ny/", _form(world))
    account = Account.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/register/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Kommunen på Instagram" in page and "Föreslaget" in page
    assert "Vi svarar senast kl. 17 nästa arbetsdag." in page and "next_working_day_end" not in page  # its Svarstid


def test_form_errors_are_in_swedish_and_nothing_is_saved(world):
    client = login(Client(), world.kom_a)
    events = Event.objects.count()
    response = client.post("/register/ny/", _form(world, url="https://www.facebook.com/kommunen", purpose=""))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Kontot sparades inte" in content and "Adressen hör inte till Instagram" in content
    assert "Detta fält måste fyllas i" in content  # Django's own Swedish for a required field
    assert Account.objects.count() == 0 and Event.objects.count() == events



def test_a_blog_is_registered_by_its_address_alone_other_platforms_need_the_handle(world):
    client = login(Client(), world.kom_a)
    response = client.post("/register/ny/", _form(world, handle=""))
    assert response.status_code == 200 and "Detta fält måste fyllas i" in response.content.decode()
    client.post("/register/ny/", _form(world, platform="blog", name="Skolbloggen", handle="",
                                       url="https://skolblogg.kommunen.se/"))
    account = Account.objects.get()
    assert (account.platform, account.handle) == ("blog", "skolblogg.kommunen.se")


def test_confidential_unit_warns_in_the_form(world):
    client = login(Client(), world.kom_b)
    response = client.post("/register/ny/", _form(world, unit=world.unit_b.pk, responsible=world.kom_b.pk,
                                                  administrators=[world.kom_b.pk, world.chef_b.pk]))
    content = response.content.decode()
    assert "hanterar mycket sekretessuppgifter" in content and "R27" in content
    assert not Account.objects.exists()


def test_unacknowledged_user_is_sent_to_the_policy(world):
    PolicyAcknowledgement.objects.filter(user=world.kom_a).delete()
    client = login(Client(), world.kom_a)
    assert "Riktlinjerna har en ny version" in client.get("/").content.decode()
    response = client.post("/register/ny/", _form(world))
    assert response.status_code == 302 and response["Location"] == "/riktlinjer/"
    assert not Account.objects.exists()
    client.post("/riktlinjer/", {"next": "/register/ny/"})
    assert client.post("/register/ny/", _form(world)).status_code == 302
    assert Account.objects.count() == 1


def test_decision_form_and_closing_without_farewell(world, make_account):
    account = make_account(status="avvecklas")
    client = login(Client(), world.chef_a)
    data = {"to_status": "avslutat", "decided_by": world.chef_a.pk, "decision_date": timezone.localdate().isoformat(),
            "mandate": "Chefen avslutar uppdraget", "anchoring": "Ledningsgruppen § 9"}
    response = client.post(f"/register/{account.pk}/beslut/", data)
    assert response.status_code == 200
    assert "Publicera avskedsinlägget" in response.content.decode()
    account.refresh_from_db()
    assert account.status == Status.AVVECKLAS
    farewell = client.get(f"/register/{account.pk}/avsked/").content.decode()
    assert "Tack till dig som har följt oss" in farewell
    login(client, world.kom_a).post(f"/register/{account.pk}/avsked/", {"url": ""})
    login(client, world.chef_a)
    assert client.post(f"/register/{account.pk}/beslut/", data).status_code == 302
    account.refresh_from_db()
    assert account.status == Status.AVSLUTAT


def test_user_content_is_escaped(world, make_account):
    account = make_account(purpose='<script>alert("x")</script><img src=x onerror=alert(1)>')
    content = login(Client(), world.kom_a).get(f"/register/{account.pk}/").content.decode()
    assert "<script>alert" not in content and "&lt;script&gt;" in content
    assert "<img src=x" not in content


def test_public_list_shows_only_active_accounts_without_login(world, make_account):
    make_account(status="aktivt", name="Aktiva kontot")
    make_account(name="Bara föreslaget", handle="forslag", url="https://www.facebook.com/forslag")
    make_account(status="avvecklas", name="Avvecklas", handle="avveckl", url="https://www.facebook.com/avveckl")
    html = Client().get("/konton/").content.decode()
    assert "Aktiva kontot" in html and "Bara föreslaget" not in html and "Avvecklas" not in html
    data = json.loads(Client().get("/konton.json").content)
    assert [a["name"] for a in data["accounts"]] == ["Aktiva kontot"]
    row = data["accounts"][0]
    assert set(row) == {"name", "platform", "platform_name", "url", "handle", "authority", "unit", "response_time"}
    assert row["response_time"] == "Vi svarar senast kl. 17 nästa arbetsdag."


def test_xlsx_export_for_the_dokumenthanteringsplan(world, make_account):
    make_account(status="aktivt", name="=HYPERLINK(\"http://evil\")")
    response = login(Client(), world.samordnare).get(f"/register/export/{world.ks.pk}.xlsx")
    assert response.status_code == 200
    assert "externa-webbplatser-ks" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[3]
    assert header[:4] == ("Myndighet", "Enhet", "Plattform", "Namn")
    assert rows[4][3] == "'=HYPERLINK(\"http://evil\")"  # neutralised, not a formula
    assert rows[4][0] == "Kommunstyrelsen"


def test_unknown_export_format_is_404(world):
    assert login(Client(), world.samordnare).get(f"/register/export/{world.ks.pk}.pdf").status_code == 404


def test_reading_the_eventlog_is_itself_logged(world):
    page = login(Client(), world.granskare).get("/handelselogg/").content.decode()
    event = Event.objects.filter(kind="eventlog.read").get()
    assert event.actor == world.granskare
    assert "/gdpr/loggsok/" in page  # the granskare's way on to the full log search
    assert "/gdpr/loggsok/" not in login(Client(), world.samordnare).get("/handelselogg/").content.decode()


def test_samordnare_must_pass_two_factor(world):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(world.samordnare)
    response = client.get("/register/")
    assert response.status_code == 302 and response["Location"].startswith("/konto/tvafaktor/")
    page = client.get("/konto/tvafaktor/").content.decode()
    assert "QR" in page  # no device yet: set-up
    device = TOTPDevice.objects.get(user=world.samordnare)
    bad = client.post("/konto/tvafaktor/", {"token": "000000", "next": "/register/"})
    assert "Koden stämmer inte" in bad.content.decode()
    # Brute force is throttled: even the right code is refused straight after a wrong one.
    throttled = client.post("/konto/tvafaktor/", {"token": f"{totp(device.bin_key):06d}", "next": "/register/"})
    assert "För många felaktiga försök" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as if the waiting time had passed
    good = client.post("/konto/tvafaktor/", {"token": f"{totp(device.bin_key):06d}", "next": "/register/"})
    assert good.status_code == 302 and good["Location"] == "/register/"
    device.refresh_from_db()
    assert device.confirmed and client.get("/register/").status_code == 200


def test_kommunikator_needs_no_second_factor(world):
    client = Client()
    client.force_login(world.kom_a)
    assert client.get("/register/").status_code == 200


def test_login_page_and_wrong_password(world):
    client = Client()
    assert client.get("/register/").status_code == 302
    response = client.post("/konto/logga-in/", {"username": "kom_a", "password": "fel"})
    assert "Fel användarnamn eller lösenord" in response.content.decode()
    response = client.post("/konto/logga-in/", {"username": "kom_a", "password": "korrekt-hast-batteri"})
    assert response.status_code == 302


def test_production_hashes_passwords_with_argon2():
    from insyn import settings as insyn_settings

    assert insyn_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_english_is_available(world):
    client = login(Client(), world.kom_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    content = client.get("/").content.decode()
    assert 'lang="en"' in content and "Overview" in content


@pytest.mark.parametrize("path", ["/", "/register/", "/register/ny/", "/riktlinjer/", "/handelselogg/"])
def test_pages_need_login(path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/konto/logga-in/")
