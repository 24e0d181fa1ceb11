"""What the moderator and the kommunikatör rely on, in Swedish as residents write it."""

from __future__ import annotations

import pytest

from insyn.triage import triage


@pytest.mark.parametrize(
    "text",
    [
        "inga fler invandrarjävlar i vår kommun",
        "svartskallarna har tagit över hela centrum",
        "b l a t t a r ut ur sverige",
        "typiskt n3kr3r, kommer hit och tror de äger stan",
        "muslimer är råttor allihop och borde skickas hem",
    ],
)
def test_hate_speech_including_obfuscation_and_compounds(text):
    r = triage(text)
    assert "hets_mot_folkgrupp" in r.moderation
    assert any(e.field == "moderation" and e.label == "hets_mot_folkgrupp" for e in r.evidence)


@pytest.mark.parametrize(
    "text",
    [
        'Någon skrev "svartskalle" på väggen vid skolan, kan ni ta bort det?',
        "Kommunalrådet Eriksson fattade ett katastrofalt beslut om skolan, hon borde avgå i nästa val.",
        "Jag hatar snöröjningen i den här kommunen.",
        "Det här är ju mord på kulturen, först musikskolan och nu biblioteket.",
        "Nu skjuter ni upp beslutet om förskolan igen?",
        "Tack för en fantastisk konsert igår! 👏",
    ],
)
def test_hard_negatives(text):
    assert triage(text).moderation == []


def test_threat():
    r = triage("Jag vet var du bor, Eriksson. Du ska få betala för det här.")
    assert "olaga_hot" in r.moderation
    ev = r.evidence_for("moderation", "olaga_hot")[0]
    assert ev.source == "rule" and ev.quote


@pytest.mark.parametrize(
    "text",
    [
        "Du kommer få betala för det här i valet, Lindberg.",
        "Jag anmäler er till JO, ni kommer ångra er.",
        "Vi ses i förvaltningsrätten. Det här överklagar jag.",
    ],
)
def test_pressure_by_lawful_means_is_no_threat(text):
    from insyn.triage.rules import analyse, apply_rules

    assert "olaga_hot" not in triage(text).moderation
    assert ("moderation", "olaga_hot") in apply_rules(analyse(text)).doubt


def test_the_everyday_jo_is_not_the_ombudsman():
    from insyn.triage.rules import analyse, apply_rules

    a = analyse("Jo, du ska få se vad som händer med din bil.")
    assert "lawful_pressure" not in a.by_class
    assert ("moderation", "olaga_hot") not in apply_rules(a).doubt


@pytest.mark.parametrize(
    "text",
    [
        "Fint hus du har, Lars. Torrt väder nu. Synd om någon tappade en cigg.",
        "Jag vet var du bor. Vänta du bara till valet.",
    ],
)
def test_veiled_threats_without_a_violent_word(text):
    assert "olaga_hot" in triage(text).moderation


def test_obfuscated_insult_evidence_points_at_the_original():
    text = "du är en j*vla h\u200b0ra"
    r = triage(text)
    assert r.moderation
    for ev in r.evidence:
        if ev.start is not None:
            assert text[ev.start : ev.end] == ev.quote


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Gatlampan är trasig på Storgatan, kan ni laga den?", True),
        ("När töms soporna i mellandagarna?", True),
        ("Tack för snabb hjälp med vattenläckan, ni är bäst!", False),
        ("@Jonas håller med dig, vi hade samma problem.", False),
        ("Nu är vårens schema för simskolan ute.", False),
    ],
)
def test_needs_answer(text, expected):
    kind = "post" if text.startswith("Nu är") else "comment"
    assert triage(text, kind).needs_answer is expected


@pytest.mark.parametrize(
    "text,authority",
    [
        ("Hur förnyar jag mitt pass? Det gick ut förra veckan.", "Polisen"),
        ("När betalar Försäkringskassan ut sjukpenningen?", "Försäkringskassan"),
        ("Hur gör jag med deklarationen när jag har sålt mitt hus?", "Skatteverket"),
        ("Vårdcentralen svarar aldrig i telefon, kan kommunen göra något?", "Regionen"),
        ("Uppehållstillståndet för min fru har inte kommit, kan ni hjälpa?", "Migrationsverket"),
        ("Hur ansöker man om skyddsjakt på björnen vid byn?", "Länsstyrelsen"),
        ("När blir gatlampan på Kyrkogatan lagad?", None),
        # Residents telling each other, asking nothing: no one to redirect.
        ("@Anna det är länstrafiken, inte kommunen. Bussarna är Regionens grej.", None),
        ("Vårdcentralen är Regionens, kommunen har inget med den att göra tyvärr", None),
    ],
)
def test_wrong_authority(text, authority):
    assert triage(text).wrong_authority == authority


@pytest.mark.parametrize(
    "text,authority,detail",
    [
        ("Väg 331 har tjälskott överallt, när får den ny asfalt?", "Trafikverket", "väg 331"),
        ("Bron på 45:an vid Älvros är avstängd igen, vet ni när den öppnar?", "Trafikverket",
         "45:an"),
        ("Linje 31 till Järvsö har fått nya tider, vem kan man prata med?", "Regionen",
         "linje 31"),
    ],
)  # fmt: skip
def test_numbered_roads_and_bus_lines_point_at_their_owner(text, authority, detail):
    from insyn.triage.rules import analyse, apply_rules

    rules = apply_rules(analyse(text))
    evidence = rules.weak[("wrong_authority", authority)]
    assert any(e.detail.endswith(detail) for e in evidence)
    # A street address with a number is the municipality's, not a numbered road.
    assert not apply_rules(analyse("Gatlampan på Storvägen 12 är trasig")).weak


@pytest.mark.parametrize(
    "text,barn",
    [
        ("Min son (12) har blivit kallad apa flera gånger och skolan gör ingenting.", True),
        ("Till rektorn. Vill ha ett möte om min sons avstängning.", True),
        ("Det tar tre veckor att få en tid på psykiatrin för min tonåring.", True),
        ("Min dotter har astma och möglet i klassrummet gör henne sjuk.", True),
        ("Min son älskar nya biblioteket!", False),
        ("Barnen i området mår dåligt av bullret.", False),
    ],
)
def test_a_specific_childs_sensitive_situation_is_barn(text, barn):
    r = triage(text)
    assert ("barn" in r.sensitive) is barn
    if barn:  # decided by the rule, with the child's mention quoted as evidence
        evidence = r.evidence_for("sensitive", "barn")
        assert any(e.detail.startswith("own_child_situation") and e.quote for e in evidence)


def test_sensitive_health_about_a_person_with_evidence():
    r = triage(
        "Hej, min mamma har demens och hemtjänsten har glömt hennes medicin. Ring 070-123 45 67."
    )
    assert {"halsa", "telefon"} <= set(r.sensitive)
    assert r.spans and r.spans[0].kind == "telefon"


def test_every_label_has_evidence_and_the_model_version():
    r = triage(
        "Inga fler invandrarjävlar! Ring mig på 070-123 45 67, jag vet var du bor.", "message"
    )
    for label in r.moderation:
        assert r.evidence_for("moderation", label)
    for label in r.sensitive:
        assert r.evidence_for("sensitive", label)
    assert r.evidence_for("topic", r.topic)
    d = r.to_dict()
    assert d["model_version"] == r.model_version and d["evidence"]


RECYCLING_POST = (
    "Nu öppnar den nya återvinningscentralen på Norrvägen! Här kan du lämna grovavfall, "
    "elektronik och farligt avfall."
)


@pytest.mark.parametrize("reply", ["När öppnar den?", "vad kostar det?", "äntligen!!"])
def test_a_short_reply_takes_its_threads_topic(reply):
    alone = triage(reply)
    in_thread = triage(reply, thread=RECYCLING_POST)
    assert alone.topic != "avfall_atervinning"
    assert in_thread.topic == "avfall_atervinning"
    (ev,) = in_thread.evidence_for("topic")
    assert ev.source == "thread" and "avfall_atervinning" in ev.detail


def test_a_reply_that_says_what_it_is_about_keeps_its_own_topic():
    text = "Gatlampan på Skolvägen är trasig sedan en vecka, när lagar ni den?"
    r = triage(text, thread=RECYCLING_POST)
    assert r.topic == "gata_trafik_parkering"
    assert r.evidence_for("topic")[0].source == "model"


def test_the_thread_weighs_in_on_topic_only_and_not_for_messages():
    text = "Min pappa har demens, när öppnar den?"
    alone, in_thread = triage(text), triage(text, thread=RECYCLING_POST)
    assert in_thread.to_contract() | {"topic": alone.topic} == alone.to_contract()
    assert triage("När öppnar den?", "message", thread=RECYCLING_POST).topic != "avfall_atervinning"
