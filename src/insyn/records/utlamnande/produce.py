"""What is handed out: the decision letter (beslut) and the documents, as PDF/A and CSV.

Everything is computed from the stored decisions: the masked text comes from the reviewed
version's text and the stored masks (``masking.segments``), never from a form. A masked
passage is not in the output at all, not even under a black box: the PDF's text layer holds
only the marker and its provision.

The letter's wording comes from the policy's optional ``[utlamnande]`` table
(``cover_letter``, ``appeal``; placeholders ``{myndighet}``, ``{referens}``, ``{inkom}``,
``{beslutsdatum}``), else the defaults below. When anything is masked or refused the letter
carries a besvärshänvisning (OSL 6 kap. 7–8 §§, förvaltningslagen 44 §): how to appeal to the
kammarrätt, through the authority, within three weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from insyn.lib.policy import render_template
from insyn.lib.tabular import csv_bytes
from insyn.records.pdf import render_pdfa
from insyn.registry.policy import current_policy

from . import masking
from .models import Request, RequestItem

DEFAULT_COVER_LETTER = (
    "Du har den {inkom} begärt att få ta del av allmänna handlingar hos {myndighet} (vår referens {referens}). "
    "{myndighet} har prövat begäran enligt 2 kap. tryckfrihetsförordningen och offentlighets- och "
    "sekretesslagen (2009:400). Beslutet för varje handling framgår nedan."
)
DEFAULT_APPEAL = (
    "Du kan överklaga beslutet att inte lämna ut handlingar eller uppgifter till kammarrätten "
    "(6 kap. 8 § offentlighets- och sekretesslagen). Skriv till kammarrätten, men skicka eller lämna "
    "överklagandet till {myndighet}. Det ska ha kommit in inom tre veckor från den dag du fick del av "
    "beslutet (44 § förvaltningslagen). Ange vilket beslut du överklagar ({referens}), hur du vill att "
    "beslutet ska ändras och varför. Du behöver inte uppge ditt namn för att överklaga, men du behöver "
    "kunna nås av beslutet."
)


@dataclass
class Produced:
    letter_pdf: bytes
    documents_pdf: bytes
    documents_csv: bytes
    counts: dict
    appeal: bool


@dataclass
class Entry:
    ri: RequestItem
    segments: list
    text: str
    author: str
    provisions: list[str]


def _texts(req: Request, decided_on) -> tuple[str, str]:
    table = current_policy().raw.get("utlamnande", {}) if current_policy().raw else {}
    values = {"myndighet": req.authority.name, "referens": req.reference,
              "inkom": timezone.localtime(req.received_at).strftime("%Y-%m-%d"),
              "beslutsdatum": decided_on.strftime("%Y-%m-%d")}
    cover = table.get("cover_letter") if isinstance(table.get("cover_letter"), str) else DEFAULT_COVER_LETTER
    appeal = table.get("appeal") if isinstance(table.get("appeal"), str) else DEFAULT_APPEAL
    return render_template(cover, values), render_template(appeal, values)


def entries(req: Request) -> list[Entry]:
    """Each decided item with its masked text, in the order they were selected."""
    out = []
    for ri in req.items.select_related("item__account", "version").order_by("added_at", "id"):
        text = ri.version.text
        masks = ri.masks if ri.decision == RequestItem.Decision.MASKERAD else []
        provisions = sorted({m["osl"] for m in masks} | ({ri.author_osl} if ri.mask_author else set())
                            | ({ri.osl_reference} if ri.osl_reference else set()))
        if ri.decision == RequestItem.Decision.LAMNAS_INTE_UT:
            out.append(Entry(ri, [], "", "", provisions))
            continue
        author = ("[" + _("maskerat, %(osl)s") % {"osl": ri.author_osl} + "]") if ri.mask_author else ri.item.author_name
        out.append(Entry(ri, masking.segments(text, masks), masking.masked_text(text, masks), author, provisions))
    return out


def produce(req: Request, *, actor, now) -> Produced:
    # The decision and the documents are the authority's, in Swedish (språklagen 10 §),
    # whatever language the handler's screen is in.
    with translation.override("sv"):
        return _produce(req, actor=actor, now=now)


def _produce(req: Request, *, actor, now) -> Produced:
    items = entries(req)
    decided_on = timezone.localtime(req.decided_at or now).date()
    cover, appeal_text = _texts(req, decided_on)
    counts = {
        "handed_out": sum(e.ri.decision == RequestItem.Decision.LAMNAS_UT for e in items),
        "masked": sum(e.ri.decision == RequestItem.Decision.MASKERAD for e in items),
        "refused": sum(e.ri.decision == RequestItem.Decision.LAMNAS_INTE_UT for e in items),
    }
    appeal = bool(counts["masked"] or counts["refused"])
    context = {
        "req": req, "entries": items, "cover": cover, "appeal": appeal_text if appeal else "", "counts": counts,
        "decided_on": decided_on, "decided_by": req.decided_by or actor, "produced_at": timezone.localtime(now),
        "Decision": RequestItem.Decision,
    }
    author = req.authority.name
    letter = render_pdfa("utlamnande/pdf/beslut.html", context,
                         title=_("Beslut om utlämnande %(ref)s") % {"ref": req.reference}, author=author, created=now)
    documents = render_pdfa("utlamnande/pdf/handlingar.html", context,
                            title=_("Utlämnade handlingar %(ref)s") % {"ref": req.reference}, author=author, created=now)
    header = [_("Begäran"), _("Post i Insyn"), _("Konto"), _("Plattform"), _("Typ"), _("Inkom/upprättad"),
              _("Avsändare"), _("Version"), _("Text"), _("Beslut"), _("Sekretessbestämmelser")]
    rows = []
    for e in items:
        item = e.ri.item
        rows.append([req.reference, item.pk, item.account.name, item.account.get_platform_display(),
                     item.get_kind_display(), timezone.localtime(item.effective_time).strftime("%Y-%m-%d %H:%M"),
                     e.author, e.ri.version.number,
                     e.text if e.ri.decision != RequestItem.Decision.LAMNAS_INTE_UT else _("[lämnas inte ut]"),
                     e.ri.get_decision_display(), "; ".join(e.provisions)])
    return Produced(letter, documents, csv_bytes(header, rows), counts, appeal)
