"""When an archive item must be registered, and how a secret registration is titled.

OSL 5 kap. 1 §: allmänna handlingar are registered when they come in or are drawn up, except
documents of obviously little importance and documents without sekretess that are kept so
ordered that one can tell whether they came in (Insyn's archive keeps social-media items
that way). Documents with secret content are always registered. Direct messages to the
authority are registered or kept ordered as the policy says (``[registration]
direct_messages``).

Whether sekretess applies is a person's assessment. Triage labels that often mean secret
content (health, a social-services matter) make ``should_register`` say yes, because
registering a document that turns out not to be secret costs little and missing a secret
one breaks the law; the registrator decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from insyn.archive.models import Item, VersionTriage
from insyn.registry.policy import current_policy

# Triage's ``sensitive`` labels that point to sekretess, with the provision a registrator is
# offered first. OSL 21 kap. 1 § protects health information wherever it occurs; 26 kap. 1 §
# is the social services' own secrecy. A suggestion only: the registrator decides.
SEKRETESS_HINTS: dict[str, str] = {
    "socialtjanst_arende": "OSL 26 kap. 1 §",
    "halsa": "OSL 21 kap. 1 §",
}

PLATFORM_NAMES = {
    "facebook_page": "Facebook", "facebook_group": "Facebook", "instagram": "Instagram", "youtube": "YouTube",
    "mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "linkedin": "LinkedIn", "blog": "bloggen",
}
KIND_NAMES = {"post": "Inlägg", "comment": "Kommentar", "reply": "Svar", "message": "Meddelande"}


@dataclass
class Advice:
    required: bool
    reasons: list[str] = field(default_factory=list)
    suggested_osl_reference: str = ""


def latest_triage(item: Item) -> VersionTriage | None:
    return VersionTriage.objects.filter(version__item=item).order_by("-version__number").first()


def registration_advice(item: Item, *, sekretess: bool = False) -> Advice:
    """Whether the rules require registering ``item``, and why (Swedish, for the UI)."""
    advice = Advice(required=False)
    if sekretess:
        advice.required = True
        advice.reasons.append("Handlingen innehåller uppgifter som omfattas av sekretess (OSL 5 kap. 1 §).")
    triage = latest_triage(item) if item.direction == Item.Direction.INKOMMEN else None
    hinted = [label for label in (triage.sensitive if triage else []) if label in SEKRETESS_HINTS]
    if hinted:
        advice.required = True
        advice.suggested_osl_reference = SEKRETESS_HINTS[hinted[0]]
        advice.reasons.append("Bedömningen pekar på uppgifter som kan omfattas av sekretess; "
                              "hemliga handlingar ska alltid registreras (OSL 5 kap. 1 §).")
    if item.record_type == Item.RecordType.DIRECT_MESSAGE and current_policy().direct_messages == "registreras":
        advice.required = True
        advice.reasons.append("Riktlinjerna säger att direktmeddelanden registreras.")
    return advice


def should_register(item: Item, *, sekretess: bool = False) -> bool:
    """True when ``item`` must be registered: it is (or triage suggests it is) secret, or it is
    a direct message and the policy says direct messages are registered."""
    return registration_advice(item, sekretess=sekretess).required


def shielded_title(item: Item | None, osl_reference: str) -> str:
    """The public title of a secret registration, e.g. "Meddelande via Facebook – sekretess
    enligt OSL 26 kap. 1 §". Says what kind of document it is, never what it is about."""
    if item is None:
        what = "Handling"
    else:
        what = f"{KIND_NAMES.get(item.kind, 'Handling')} via {PLATFORM_NAMES.get(item.account.platform, item.account.platform)}"
    return f"{what} – sekretess enligt {osl_reference.strip()}"
