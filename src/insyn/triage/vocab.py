"""The triage contract's fixed vocabularies (MISSION.md, "The triage contract").

Everything that leaves the triage package uses exactly these strings; the dataset loader
validates the example files against them so a typo in a label fails loudly instead of
silently training a thirteenth topic.
"""

from __future__ import annotations

KINDS: tuple[str, ...] = ("comment", "reply", "message", "post")

TOPICS: tuple[str, ...] = (
    "skola_forskola",
    "aldreomsorg_lss",
    "socialtjanst",
    "bygglov_plan",
    "gata_trafik_parkering",
    "vatten_avlopp",
    "avfall_atervinning",
    "kultur_fritid",
    "miljo_halsa",
    "arbete_naringsliv",
    "politik_styrning",
    "ovrigt",
)
DEFAULT_TOPIC = "ovrigt"

MODERATION: tuple[str, ...] = (
    "personangrepp_fortal",
    "hets_mot_folkgrupp",
    "sexism_trakasserier",
    "olaga_hot",
    "olaga_valdsskildring",
    "pornografi",
    "uppmaning_till_brott",
    "upphovsratt",
    "spam",
)

SENSITIVE: tuple[str, ...] = (
    "personnummer",
    "halsa",
    "socialtjanst_arende",
    "barn",
    "adress",
    "telefon",
    "epost",
    "ekonomi",
)

# Sensitive labels that follow from personal-data spans rather than from the text's meaning.
SPAN_SENSITIVE: dict[str, str] = {
    "personnummer": "personnummer",
    "samordningsnummer": "personnummer",
    "adress": "adress",
    "telefon": "telefon",
    "epost": "epost",
}
# Sensitive labels decided from meaning (lexicon, rules and a model).
CONTENT_SENSITIVE: tuple[str, ...] = ("halsa", "socialtjanst_arende", "barn", "ekonomi")

AUTHORITIES: tuple[str, ...] = (
    "Polisen",
    "Försäkringskassan",
    "Skatteverket",
    "Regionen",
    "Trafikverket",
    "Arbetsförmedlingen",
    "Migrationsverket",
    "Länsstyrelsen",
)

SPAN_KINDS: tuple[str, ...] = ("personnummer", "samordningsnummer", "telefon", "epost", "adress")

CONTRACT_KEYS: tuple[str, ...] = (
    "needs_answer",
    "topic",
    "moderation",
    "sensitive",
    "wrong_authority",
    "spans",
)
