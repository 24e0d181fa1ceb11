"""A fictional organisation for `insyn demo`: Älvby kommun with three authorities, seven units,
one person per role and eight accounts in every stage of the workflow.

Everything is created through the actions, so the demo's event chain is a real one.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import actions
from .models import Account, Authority, Organisation, Platform, Role, Status, Unit, User

DEMO_PASSWORD = "insyn-demo-2026"
# A fixed TOTP key for the demo samordnare (hex, 20 bytes), printed so a newcomer can add it
# to an authenticator app. Only ever used by `insyn demo`.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
ORG_NAME = "Älvby kommun"


@dataclass
class DemoPerson:
    username: str
    name: str
    role: str
    unit: str
    title: str


PEOPLE = [
    DemoPerson("samordnare", "Sara Lindqvist", Role.SAMORDNARE, "Kommunkansliet", "Kommunsekreterare"),
    DemoPerson("kommunikator", "Karin Berg", Role.KOMMUNIKATOR, "Kommunikationsavdelningen", "Kommunikatör"),
    DemoPerson("kommunikator2", "Erik Nyström", Role.KOMMUNIKATOR, "Kommunikationsavdelningen", "Webbredaktör"),
    DemoPerson("kommunikator.bun", "Lina Holm", Role.KOMMUNIKATOR, "Barn- och utbildningsförvaltningen", "Kommunikatör"),
    DemoPerson("kulturskolan", "Nils Ek", Role.KOMMUNIKATOR, "Kulturskolan", "Kulturskolelärare"),
    DemoPerson("kommunikator.energi", "Maja Sund", Role.KOMMUNIKATOR, "Älvby Energi AB", "Marknadskommunikatör"),
    DemoPerson("energi2", "Oskar Vik", Role.KOMMUNIKATOR, "Älvby Energi AB", "Kundservicechef"),
    DemoPerson("handlaggare", "Hanna Åberg", Role.HANDLAGGARE, "Barn- och utbildningsförvaltningen", "Handläggare"),
    DemoPerson("chef", "Anders Forsberg", Role.CHEF, "Kommunledningsförvaltningen", "Kommundirektör"),
    DemoPerson("chef.bun", "Birgitta Strand", Role.CHEF, "Barn- och utbildningsförvaltningen", "Förvaltningschef"),
    DemoPerson("chef.energi", "Johan Ström", Role.CHEF, "Älvby Energi AB", "VD"),
    # The registrator and the arkivarie sit in kommunkansliet but work for the whole förvaltning:
    # their roles are held there, so they see the accounts they register, snapshot and deliver.
    DemoPerson("registrator", "Rolf Sjöberg", Role.REGISTRATOR, "Kommunledningsförvaltningen", "Registrator"),
    DemoPerson("arkivarie", "Ingrid Dahl", Role.ARKIVARIE, "Kommunledningsförvaltningen", "Arkivarie"),
    DemoPerson("granskare", "Gustav Lund", Role.GRANSKARE, "Kommunledningsförvaltningen", "Revisor"),
]


def demo_totp_secret() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode("ascii")


@transaction.atomic
def load_demo() -> bool:
    """Create the demo organisation unless it exists. Returns True when it was created."""
    if Organisation.objects.filter(name=ORG_NAME).exists():
        return False
    actions.load_policy_file()
    org = actions.create_organisation(ORG_NAME, "kommunkansliet@alvby.example", website="https://www.alvby.example")
    ks = actions.create_authority(org, "Kommunstyrelsen", Authority.Kind.STYRELSE, "KS", org_number="212000-0001")
    bun = actions.create_authority(org, "Barn- och utbildningsnämnden", Authority.Kind.NAMND, "BUN", org_number="212000-0001")
    bolag = actions.create_authority(org, "Älvby Energi AB", Authority.Kind.BOLAG, "ÄEAB", org_number="556000-0001")
    units: dict[str, Unit] = {}
    units["Kommunledningsförvaltningen"] = klf = actions.create_unit(ks, "Kommunledningsförvaltningen", Unit.Kind.FORVALTNING)
    units["Kommunikationsavdelningen"] = actions.create_unit(ks, "Kommunikationsavdelningen", Unit.Kind.AVDELNING, parent=klf)
    units["Kommunkansliet"] = actions.create_unit(ks, "Kommunkansliet", Unit.Kind.AVDELNING, parent=klf)
    units["Barn- och utbildningsförvaltningen"] = buf = actions.create_unit(bun, "Barn- och utbildningsförvaltningen", Unit.Kind.FORVALTNING)
    units["Elevhälsan"] = actions.create_unit(bun, "Elevhälsan", Unit.Kind.ENHET, parent=buf, handles_confidential=True)
    units["Kulturskolan"] = actions.create_unit(bun, "Kulturskolan", Unit.Kind.ENHET, parent=buf)
    units["Älvby Energi AB"] = actions.create_unit(bolag, "Älvby Energi AB", Unit.Kind.BOLAG)

    people: dict[str, User] = {}
    for p in PEOPLE:
        first, last = p.name.split(" ", 1)
        user = actions.create_person(
            p.username, first_name=first, last_name=last, email=f"{p.username}@alvby.example",
            phone="0690-12 34 00", title=p.title, password=DEMO_PASSWORD,
        )
        actions.grant_role(user, units[p.unit], p.role)
        actions.acknowledge_policy(user)
        people[p.username] = user
    admin = actions.create_person("admin", first_name="Insyn", last_name="Admin", email="admin@alvby.example", password=DEMO_PASSWORD)
    admin.is_superuser = admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    actions.acknowledge_policy(admin)
    TOTPDevice.objects.create(user=people["samordnare"], name="Demo", key=DEMO_TOTP_KEY, confirmed=True)

    komm, komm2 = people["kommunikator"], people["kommunikator2"]
    common = {"target_group": "Invånare i Älvby, 16 år och äldre", "response_rule": "next_working_day_end"}

    def register(actor, unit, **kw):
        data = {**common, **kw}
        return actions.register_account(actor, unit=units[unit], **data)

    def move(account, to, chef, days_ago):
        actions.decide(
            people["samordnare"], account, to, decided_by=people[chef],
            decision_date=timezone.localdate() - timedelta(days=days_ago),
            mandate=f"{people[chef]} ger {account.responsible} uppdraget att kommunicera i kanalen.",
            anchoring="Förankrat i förvaltningsledningen, protokoll § 12.",
        )

    def open_fully(account, chef, checks=True, days_ago=50):
        move(account, Status.BESLUTAT, chef, days_ago + 10)
        move(account, Status.AKTIVT, chef, days_ago)
        if checks:
            actions.confirm_sender_checklist(account.responsible, account, logo_shown=True, unit_shown=True)
            actions.mark_info_text_published(account.responsible, account, url=account.url)

    fb = register(komm, "Kommunikationsavdelningen", platform=Platform.FACEBOOK_PAGE, name="Älvby kommun",
                  handle="alvbykommun", url="https://www.facebook.com/alvbykommun", external_id="104857300000001",
                  purpose="Nyheter, driftinformation och dialog med invånarna (medborgardialog).",
                  message="Älvby är en nära och öppen kommun.", responsible=komm, administrators=[komm, komm2])
    open_fully(fb, "chef")
    ig = register(komm, "Kommunikationsavdelningen", platform=Platform.INSTAGRAM, name="Älvby kommun på Instagram",
                  handle="alvbykommun", url="https://www.instagram.com/alvbykommun",
                  purpose="Visa vardagen i kommunens verksamheter och locka nya invånare (marknadsföring).",
                  message="Livet i Älvby.", responsible=komm, administrators=[komm, komm2])
    open_fully(ig, "chef")
    masto = register(komm2, "Kommunikationsavdelningen", platform=Platform.MASTODON, name="Älvby kommun på Mastodon",
                     handle="@alvby@social.alvby.example", url="https://social.alvby.example/@alvby",
                     purpose="Kriskommunikation och nyheter i ett öppet, reklamfritt nätverk.",
                     message="Snabb och saklig information.", responsible=komm2, administrators=[komm, komm2])
    # Active for seven months: its half-yearly snapshot (R25) is overdue, so the worker orders a draft.
    open_fully(masto, "chef", checks=False, days_ago=210)
    bsky = register(komm2, "Kommunikationsavdelningen", platform=Platform.BLUESKY, name="Älvby kommun på Bluesky",
                    handle="alvbykommun.bsky.social", url="https://bsky.app/profile/alvbykommun.bsky.social",
                    purpose="Nyheter och dialog med invånarna i ett öppet nätverk (medborgardialog).",
                    message="Snabb och saklig information.", responsible=komm2, administrators=[komm, komm2])
    open_fully(bsky, "chef", checks=False)
    x = register(komm, "Kommunikationsavdelningen", platform=Platform.X, name="Älvby kommun på X",
                 handle="alvbykommun", url="https://x.com/alvbykommun",
                 purpose="Nyheter till journalister och opinionsbildare.", message="Snabba nyheter.",
                 responsible=komm, administrators=[komm, komm2])
    open_fully(x, "chef")
    move(x, Status.AVVECKLAS, "chef", 5)

    kultur, bun_komm = people["kulturskolan"], people["kommunikator.bun"]
    yt = register(kultur, "Kulturskolan", platform=Platform.YOUTUBE, name="Kulturskolan Älvby",
                  handle="@kulturskolanalvby", url="https://www.youtube.com/@kulturskolanalvby",
                  purpose="Visa elevkonserter och föreställningar.", message="Kultur för alla barn.",
                  responsible=kultur, administrators=[kultur, bun_komm])
    open_fully(yt, "chef.bun")
    group = register(bun_komm, "Barn- och utbildningsförvaltningen", platform=Platform.FACEBOOK_GROUP,
                     name="Föräldrar i Älvbys skolor", handle="alvbyforaldrar",
                     url="https://www.facebook.com/groups/alvbyforaldrar", official_page=fb,
                     purpose="Dialog med vårdnadshavare om skolans arbete.", message="Skolan och hemmet tillsammans.",
                     target_group="Vårdnadshavare till elever i Älvbys skolor", responsible=bun_komm,
                     administrators=[bun_komm, people["handlaggare"]])
    open_fully(group, "chef.bun")
    energi = people["kommunikator.energi"]
    li = register(energi, "Älvby Energi AB", platform=Platform.LINKEDIN, name="Älvby Energi",
                  handle="alvby-energi", url="https://www.linkedin.com/company/alvby-energi",
                  purpose="Rekrytering och information om elnätet.", message="Lokal energi, tryggt levererad.",
                  target_group="Yrkesverksamma och företag i regionen", responsible=energi,
                  administrators=[energi, people["energi2"]])
    move(li, Status.BESLUTAT, "chef.energi", 3)
    register(bun_komm, "Elevhälsan", platform=Platform.INSTAGRAM, name="Elevhälsan Älvby",
             handle="elevhalsanalvby", url="https://www.instagram.com/elevhalsanalvby",
             purpose="Allmänna råd om hälsa till elever.", message="Vi finns här för dig.",
             target_group="Elever 13–19 år", responsible=bun_komm, administrators=[bun_komm],
             confidential_justification="Endast allmän information; inga frågor om enskilda elever tas emot i kanalen.")
    blog = register(komm, "Kommunikationsavdelningen", platform=Platform.BLOG, name="Älvby kommuns blogg",
                    handle="blogg.alvby.example", url="https://blogg.alvby.example/",
                    purpose="Längre texter om kommunens arbete, med kommentarer från invånarna (medborgardialog).",
                    message="Öppet om hur kommunen arbetar.", responsible=komm, administrators=[komm, komm2])
    open_fully(blog, "chef", checks=False)
    assert Account.objects.filter(organisation=org).count() == 10
    return True
