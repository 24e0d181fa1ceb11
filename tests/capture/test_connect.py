"""The connect form on an account's register page asks for what its platform needs."""

from __future__ import annotations

import pytest

from insyn.capture.models import Connection
from tests.conftest import login

ACCOUNTS = {
    "instagram": {"handle": "testkommunen", "url": "https://www.instagram.com/testkommunen"},
    "youtube": {"handle": "@testkommunen", "url": "https://www.youtube.com/@testkommunen"},
    "bluesky": {"handle": "testkommunen.bsky.social", "url": "https://bsky.app/profile/testkommunen.bsky.social"},
    "blog": {"handle": "blogg.testkommunen.se", "url": "https://blogg.testkommunen.se/"},
}


@pytest.mark.django_db
@pytest.mark.parametrize(("platform", "expected"), [
    ("instagram", ["Instagramkontots id (ig-user-id)", "instagram_manage_comments", "Facebooksidans åtkomstnyckel"]),
    ("youtube", ["Kanalens id (UC…)", "refresh_token", "Googles inloggningsuppgifter (JSON)"]),
    ("bluesky", ["Kontots DID (did:plc:…)", "Applösenord", "aldrig kontots eget lösenord"]),
    ("blog", ["WordPress-användarens id (valfritt)", "/wp-json", "flödet"]),
])
def test_the_form_names_the_platforms_own_id_and_secret(client, world, make_account, platform, expected):
    account = make_account(platform=platform, status="aktivt", **ACCOUNTS[platform])
    html = login(client, world.kom_a).get(f"/register/{account.pk}/").content.decode()
    form = html[html.index(f'action="/register/{account.pk}/anslut/"'):]
    form = form[:form.index("</form>")]
    for text in expected:
        assert text in form
    assert "csrfmiddlewaretoken" in form
    assert ('name="external_id" value="" required' in form) == (platform != "blog")


@pytest.mark.django_db
def test_a_blog_connects_by_its_feed_without_an_id(client, world, make_account):
    account = make_account(platform="blog", status="aktivt", **ACCOUNTS["blog"])
    login(client, world.kom_a).post(f"/register/{account.pk}/anslut/", {"external_id": "", "token": "-"})
    assert Connection.objects.get(account=account).base_url == "https://blogg.testkommunen.se/feed/"


@pytest.mark.django_db
def test_other_platforms_need_their_id(client, world, make_account):
    account = make_account(platform="bluesky", status="aktivt", **ACCOUNTS["bluesky"])
    response = login(client, world.kom_a).post(f"/register/{account.pk}/anslut/", {"external_id": "", "token": "x"},
                                               follow=True)
    assert not Connection.objects.filter(account=account).exists()
    assert "Ange plattformens id för kontot (Kontots DID (did:plc:…))." in response.content.decode()


@pytest.mark.django_db
def test_an_account_insyn_cannot_poll_shows_how_its_export_is_imported(client, world, make_account):
    x = make_account(platform="x", status="aktivt", handle="testkommunen", url="https://x.com/testkommunen")
    html = login(client, world.kom_a).get(f"/register/{x.pk}/").content.decode()
    assert "insyn import x-archive PATH --account testkommunen" in html
    assert "Insamling från X finns inte ännu." in html and f"/register/{x.pk}/anslut/" not in html
    fb = make_account(status="aktivt", external_id="11")  # a Facebook page: polled, and its export imported
    html = client.get(f"/register/{fb.pk}/").content.decode()
    assert "insyn import facebook-dyi PATH --account testkommunen" in html and f"/register/{fb.pk}/anslut/" in html
