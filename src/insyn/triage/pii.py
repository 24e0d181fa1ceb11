"""Personal data spans: personnummer, samordningsnummer, telefon, epost, adress.

Offsets are exact character offsets into the text as given (Python string indices), so a
moderator's view can highlight them and the archive can mask them.

Personnummer (folkbokföringslagen 18 §, reference/swedish-records-law.md §7):
``YYMMDD[-+]NNNK`` or ``YYYYMMDD[-]NNNK`` (12 digits, century 18/19/20). ``K`` is a Luhn
check digit over the ten digits ``YYMMDDNNN``; the date must exist (leap years included);
a samordningsnummer has the day + 60. What is *not* one, even if it has ten digits:
an organisationsnummer (its "month" is 20 or more, so the date check rejects it), a number
inside a longer digit run, a date, a phone number and an order/invoice/case number (a
keyword such as "ordernummer" just before it). "Organisationsnummer" is deliberately not
such a keyword: a legal person's number already fails the date check, and a number with a
real date after it is an enskild firma's — the owner's personnummer, which is personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from insyn.triage.vocab import SPAN_KINDS


@dataclass(frozen=True, slots=True, order=True)
class Span:
    start: int
    end: int
    kind: str

    def to_dict(self) -> dict[str, int | str]:
        return {"start": self.start, "end": self.end, "kind": self.kind}


# --- personnummer / samordningsnummer ---------------------------------------------------------

# Six or eight date digits, an optional separator and four digits, never inside a longer
# number: "(?<!\d)" and "(?!\d)" plus a guard against "123-850101-1234"-style ids.
_PNR_RE = re.compile(r"(?<![\d])(?<!\d[-/.])(\d{8}|\d{6})([-+]?)(\d{4})(?![\d])(?![-/.]\d)")

# Words that make a ten-digit number something else, looked for just before it.
_NOT_PNR_CONTEXT_RE = re.compile(
    r"(?:(?:order|ordernummer|beställning|beställningsnummer|faktura|fakturanummer|ocr|"
    r"kundnummer|kund-id|referens|ärende|ärendenummer|diarienummer|bokning|bokningsnummer|kvitto|"
    r"avi|bankgiro|plusgiro|konto|kontonummer|clearing|"
    r"tracking|sändningsnummer|kollinummer|spårningsnummer|id-nummer|artikelnummer|serienummer|"
    r"mätarnummer|anläggningsnummer|avtalsnummer|lägenhetsnummer|objektnummer|fastighetsnummer|"
    r"registreringsnummer)(?:s?\s*(?:nr|nummer|no|id)\.?)?"
    # Abbreviations may end in a dot: "ordernr. 1234", "reg.nr. 5560".
    r"|(?:order|faktura|kund|ärende|diarie|bokning|avi|art|konto|reg\.?)\s?(?:nr|no)\.?"
    r"|dnr\.?|ref\.?|bg\.?|pg\.?)"
    r"[\s:#=\-]*(?:(?:är|blev|var)[\s:]*)?$",
    re.IGNORECASE,
)
_PNR_CONTEXT_RE = re.compile(r"(?:person|pers|p|samordnings)[\s.\-]*(?:nr|nummer|n:r)|pnr", re.I)
_PHONE_CONTEXT_RE = re.compile(
    r"(?:tel|telefon|mobil|mob|ring|nummer|nr|sms|swish)\w*[\s.:]*$", re.I
)


def luhn_ok(digits: str) -> bool:
    """Luhn ("modulus 10, weights 2-1") over the digits, the last being the check digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _century(yy: int, plus: bool, today: date) -> int:
    """The most recent century that puts the birth date in the past (+ means 100+ years)."""
    year = today.year - today.year % 100 + yy
    if year > today.year:
        year -= 100
    if plus:
        year -= 100
    return year // 100


def classify_personnummer(candidate: str, today: date | None = None) -> str | None:
    """``"personnummer"``, ``"samordningsnummer"`` or ``None`` for a 10/12-digit string.

    ``candidate`` may contain one ``-`` or ``+`` separator before the last four digits.
    """
    sep = ""
    if len(candidate) in (11, 13) and candidate[-5] in "-+":
        sep = candidate[-5]
        candidate = candidate[:-5] + candidate[-4:]
    if not candidate.isdigit() or not candidate.isascii() or len(candidate) not in (10, 12):
        return None
    if len(candidate) == 12:
        if sep == "+":
            return None  # '+' belongs to the ten-digit form only
        century = int(candidate[:2])
        if century not in (18, 19, 20):
            return None
        ten = candidate[2:]
    else:
        ten = candidate
        century = None
    yy, mm, dd = int(ten[0:2]), int(ten[2:4]), int(ten[4:6])
    kind = "personnummer"
    if dd > 60:
        dd -= 60
        kind = "samordningsnummer"
    if not 1 <= mm <= 12:  # also rejects organisationsnummer (month digits >= 20)
        return None
    if century is None:
        century = _century(yy, sep == "+", today or datetime.now(UTC).date())
    try:
        date(century * 100 + yy, mm, dd)
    except ValueError:
        return None
    if not luhn_ok(ten):
        return None
    return kind


def find_personnummer(text: str, today: date | None = None) -> list[Span]:
    spans: list[Span] = []
    for m in _PNR_RE.finditer(text):
        datepart, sep, tail = m.groups()
        if len(datepart) == 8 and sep == "+":
            continue
        kind = classify_personnummer(datepart + sep + tail, today)
        if kind is None:
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        if _NOT_PNR_CONTEXT_RE.search(before):
            continue
        # An unformatted ten-digit number starting 07 is a mobile number written without
        # spaces far more often than the personnummer of someone born 2007-2009.
        if len(datepart) == 6 and not sep and datepart.startswith("07"):
            if not _PNR_CONTEXT_RE.search(text[max(0, m.start() - 30) : m.start()]):
                continue
        if _PHONE_CONTEXT_RE.search(before[-20:]) and not _PNR_CONTEXT_RE.search(before):
            if not sep and datepart.startswith("0"):
                continue
        spans.append(Span(m.start(), m.end(), kind))
    return spans


# --- telefon -----------------------------------------------------------------------------------

# Runs of digit groups joined by a single space, hyphen, slash or parentheses, optionally
# starting with +46 / 0046. Decided group by group below, so two numbers written one after
# the other ("070-123 45 67 08-123 456") are split instead of rejected.
# The separator between groups is mandatory, so a long digit run has exactly one parse and
# the regex can't backtrack through ways of splitting it.
# Every Swedish number starts with "+" or "0", which lets the scan skip other positions fast.
_PHONE_RUN_RE = re.compile(
    r"[+0](?<![\w+][+0])(?:(?<=\+) ?\d)?"
    r"\d*(?:(?:[ ]?[-/][ ]?|[ ])?\(\d+\)|(?:[ ]?[-/][ ]?|[ ])\d+){0,8}(?![\w])"
)
_DIGITS_RE = re.compile(r"\d+")
_DATE_LIKE_RE = re.compile(r"^\d{2}[-/.]\d{2}[-/.]\d{2,4}$|^\d{4}[-/.]\d{2}[-/.]\d{2}$")


def _national_digits(groups: list[str]) -> str | None:
    """Digits in national form (leading 0) or None if the run can't be a Swedish number."""
    digits = "".join(groups)
    if groups[0].startswith("+"):
        if not digits[1:].startswith("46"):
            return None
        rest = digits[3:]
        rest = rest[1:] if rest.startswith("0") else rest  # "+46 (0)70 ..."
        return "0" + rest
    if digits.startswith("0046"):
        rest = digits[4:]
        rest = rest[1:] if rest.startswith("0") else rest
        return "0" + rest
    if digits.startswith("00") or not digits.startswith("0"):
        return None
    return digits


def _valid_national(nat: str) -> bool:
    if not nat.isdigit():
        return False
    if len(nat) < 8:
        return False
    if nat.startswith("07") and nat[2] in "02369":  # mobile: always 07x-xxx xx xx
        return len(nat) == 10
    # Landline (area code 08, 0xx, 0xxx) and service numbers (020, 0771, 0900).
    return 8 <= len(nat) <= 10 and nat[1] != "0"


def find_phones(text: str, exclude: list[Span] = ()) -> list[Span]:
    spans: list[Span] = []
    taken = [(s.start, s.end) for s in exclude]
    for m in _PHONE_RUN_RE.finditer(text):
        run = m.group(0)
        if _DATE_LIKE_RE.match(run):
            continue
        # Positions of each digit group inside the run.
        groups = [(g.start(), g.end(), g.group(0)) for g in _DIGITS_RE.finditer(run)]
        if not groups:
            continue
        if run[0] == "+":  # "+ 46 70 ..." with a space after the plus
            groups[0] = (0, groups[0][1], "+" + groups[0][2])
        i = 0
        while i < len(groups):
            best: int | None = None
            for j in range(i, min(len(groups), i + 6)):
                nat = _national_digits([g[2] for g in groups[i : j + 1]])
                if nat is None:
                    break
                if len(nat) > 10:
                    break
                if _valid_national(nat):
                    best = j
            if best is None:
                i += 1
                continue
            start = m.start() + groups[i][0]
            end = m.start() + groups[best][1]
            if text[start - 1 : start] == "(":
                start -= 1
            if not any(s < end and start < e for s, e in taken):
                spans.append(Span(start, end, "telefon"))
            i = best + 1
    return spans


# --- epost -------------------------------------------------------------------------------------

# The lookbehind makes every attempt start at the beginning of a token, which keeps the scan
# linear even on a megabyte of letters without any "@".
_EMAIL_RE = re.compile(
    r"(?<![\w.+\-])[\w.+\-]{1,64}(?:@|\s?[\(\[]at[\)\]]\s?)[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,6}"
    r"\.[a-zA-Z]{2,12}(?![\w\-])"
)


# Role addresses of an organisation ("kontaktcenter@kommunen.se") are not personal data.
_ROLE_MAILBOXES = frozenset(
    """
    info kontakt kontaktcenter kundtjanst kundtjänst support registrator registratur kommun
    kommunen kommunstyrelsen kansli kansliet noreply no-reply servicecenter medborgarservice post
    bygglov miljo miljö miljoforvaltningen socialtjansten socialtjänsten skola forskola
    barnochutbildning press media webmaster admin felanmalan felanmälan ekonomi fakturor
    """.split()
)


def find_emails(text: str) -> list[Span]:
    if "@" not in text and "(at)" not in text and "[at]" not in text:
        return []  # (the pattern's "(at)" is lower case too)
    out = []
    for m in _EMAIL_RE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start] in ".-+":
            start += 1
        local = re.split(r"@|\s?[\(\[]at[\)\]]", text[start:end], maxsplit=1)[0].lower()
        if local in _ROLE_MAILBOXES:
            continue
        out.append(Span(start, end, "epost"))
    return out


# --- adress ------------------------------------------------------------------------------------

# Street words. A compound ending in one ("Storgatan", "björkvägen") or a capitalised name
# followed by one as a separate word ("Drottning Kristinas väg") makes a street name.
_STREET_SUFFIXES = (
    "gatan", "gata", "vägen", "väg", "stigen", "stig", "torget", "torg", "gränd", "gränden",
    "backen", "backe", "allén", "allé", "allen", "plan", "planen", "leden", "led", "platsen",
    "gången", "kajen", "esplanaden", "promenaden", "slingan", "ringen", "liden", "udden",
    "terrassen", "parken", "hagen", "höjden", "vägen", "tået", "tåget", "gårdet",
)  # fmt: skip
# Street words that are also ordinary nouns: only accepted in a capitalised compound
# ("Järntorgsplan 2", not "plan 3" or "detaljplan 4").
_WEAK_SUFFIXES = ("plan", "planen", "led", "leden", "gången", "ringen", "parken", "hagen",
                  "liden", "udden", "höjden", "slingan", "tåget", "backe", "stig")  # fmt: skip
_STANDALONE = frozenset(("gata", "gatan", "väg", "vägen", "gränd", "allé", "torg", "plan",
                         "stig", "backe", "led"))  # fmt: skip
_STREET_PREFIX_WORDS = frozenset(("stora", "lilla", "norra", "södra", "östra", "västra",
                                  "gamla", "nya", "övre", "nedre", "sankt", "s:t"))  # fmt: skip
# Compounds ending in a street word that are not streets (road numbers, plans, pitches).
_NOT_STREET = frozenset(
    """
    riksväg riksvägen länsväg länsvägen europaväg europavägen motorväg motorvägen landsväg
    landsvägen cykelväg cykelvägen gångväg gångvägen skolväg skolvägen huvudväg huvudvägen
    omväg omvägen genväg genvägen infartsväg utfartsväg farled farleden vandringsled
    vandringsleden skoterled skoterleden cykelled cykelleden detaljplan detaljplanen
    översiktsplan översiktsplanen handlingsplan handlingsplanen stadsplan tidplan tidsplan
    budgetplan åtgärdsplan verksamhetsplan genomförandeplan bostadsplan parkeringsplan
    trafikplan grönplan vattenplan avfallsplan skolplan läroplan läroplanen idrottsplan
    fotbollsplan fotbollsplanen konstgräsplan konstgräsplanen grusplan grusplanen bollplan
    bollplanen våningsplan entréplan markplan gräsplan gräsplanen tennisplan medelväg
    mellanväg halvväg matsalsgången korridorgången tunnelbanan pendeltåget tåget
    """.split()
)
# A word (3-40 letters, ":" for "S:t") directly followed by a house number:
# ``(?<![\w:])[^\W\d_][\w:]{2,39} \d{1,4}(?![\d,.:]\d)(?!\d)``, found from the number back:
# the number's pattern starts with a space, which the regex engine skips to directly, and only
# its few matches have the word before them looked for (``_street_numbers``).
_HOUSE_NUMBER_RE = re.compile(r" \d{1,4}(?![\d,.:]\d)(?!\d)")
_STREET_WORD_RE = re.compile(r"(?<![\w:])[^\W\d_][\w:]{2,39}\Z")
_ADDRESS_TAIL_RE = re.compile(
    r"(?:(?:[A-Za-z]| [A-H])(?![\w]))?"  # 12B, 12b, 12 B (but not "12 i Sörforsen")
    r"(?:,? (?:lgh|lägenhet) \d{3,4})?"
    r"(?:,? \d{3} ?\d{2}(?: [A-ZÅÄÖ][a-zåäö]+(?:-[A-ZÅÄÖ][a-zåäö]+)?)?)?"
)
_UNIT_AFTER_RE = re.compile(
    r" ?(?:km|m|meter|min|minuter|kr|kronor|%|st|år|dagar|timmar|procent|mil|gånger|ggr|"
    r"bilar|barn|personer|platser|veckor|månader)\b",
    re.I,
)
_CAP_WORD_RE = re.compile(r"(?:[A-ZÅÄÖ][\w:]+s? ){1,2}$")


def _street_numbers(text: str) -> Iterator[tuple[str, int, int]]:
    """(word, start, end) of each word of 3-40 characters directly followed by a house number;
    the word is all of a run of word characters and ":", and starts with a letter."""
    for m in _HOUSE_NUMBER_RE.finditer(text):
        word_end = m.start()
        # Ending where the number starts (``endpos``); the lookbehind sees the whole text.
        word = _STREET_WORD_RE.search(text, max(0, word_end - 40), word_end)
        if word is not None:
            yield word.group(), word.start(), m.end()


def find_addresses(text: str) -> list[Span]:
    out: list[Span] = []
    for word, start, end in _street_numbers(text):
        low = word.lower()
        if low in _NOT_STREET or not low.endswith(_STREET_SUFFIXES):
            continue
        if low in _STANDALONE:
            # "Drottning Kristinas väg 12": a separate street word needs a capitalised name.
            name = _CAP_WORD_RE.search(text, max(0, start - 40), start)
            if name is None or low in ("plan", "led", "backe", "stig"):
                continue
            start = name.start()
        else:
            suffix = next(s for s in _STREET_SUFFIXES if low.endswith(s))
            if len(low) - len(suffix) < 2:
                continue
            if low.endswith(_WEAK_SUFFIXES) and not word[0].isupper():
                continue
        if _UNIT_AFTER_RE.match(text, end):
            continue
        # "Stora Nygatan", "Norra Kungsvägen": the adjective belongs to the name.
        before = text[max(0, start - 8) : start].split(" ")
        if len(before) >= 2 and before[-1] == "" and before[-2].lower() in _STREET_PREFIX_WORDS:
            start -= len(before[-2]) + 1
        tail = _ADDRESS_TAIL_RE.match(text, end)
        out.append(Span(start, tail.end() if tail else end, "adress"))
    return out


def find_spans(text: str, today: date | None = None) -> list[Span]:
    """All personal-data spans, sorted, without overlaps (personnummer wins)."""
    if not text:
        return []
    pnr = find_personnummer(text, today) if _has_digit_run(text) else []
    spans = list(pnr)
    spans.extend(find_emails(text))
    spans.extend(find_phones(text, exclude=spans))
    spans.extend(find_addresses(text))
    spans.sort()
    result: list[Span] = []
    for span in spans:
        assert span.kind in SPAN_KINDS
        if result and span.start < result[-1].end:
            continue  # earlier (and personnummer-first) span already covers it
        result.append(span)
    return result


_DIGIT_RUN_RE = re.compile(r"\d{6}")


def _has_digit_run(text: str) -> bool:
    return _DIGIT_RUN_RE.search(text) is not None
