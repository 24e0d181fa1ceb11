"""Generators for valid and invalid personnummer and for look-alike distractors."""

from __future__ import annotations

import random
from datetime import date, timedelta

from insyn.triage.pii import luhn_ok


def check_digit(nine: str) -> str:
    for k in range(10):
        if luhn_ok(nine + str(k)):
            return str(k)
    raise AssertionError("unreachable")


def valid_personnummer(rng: random.Random, *, samordning: bool = False, form: str = "10-") -> str:
    """A valid number for a random birth date, in one of the written forms.

    ``form``: "10-" (YYMMDD-NNNK), "10+" (100 years or older), "10" (no separator),
    "12-" (YYYYMMDD-NNNK), "12" (YYYYMMDDNNNK).
    """
    today = date(2026, 11, 25)
    if form == "10+":
        born = date(1900, 1, 1) + timedelta(days=rng.randrange(0, 365 * 25))
    else:
        born = date(1927, 1, 1) + timedelta(days=rng.randrange(0, (today - date(1927, 1, 1)).days))
    day = born.day + (60 if samordning else 0)
    six = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
    serial = f"{rng.randrange(0, 1000):03d}"
    k = check_digit(six + serial)
    tail = serial + k
    century = f"{born.year // 100}"
    return {
        "10-": f"{six}-{tail}",
        "10+": f"{six}+{tail}",
        "10": f"{six}{tail}",
        "12-": f"{century}{six}-{tail}",
        "12": f"{century}{six}{tail}",
    }[form]


def bad_luhn(rng: random.Random) -> str:
    good = valid_personnummer(rng)
    k = int(good[-1])
    return good[:-1] + str((k + rng.randrange(1, 10)) % 10)


def impossible_date(rng: random.Random) -> str:
    """Luhn-valid numbers whose date does not exist (incl. 29 Feb in a non-leap year)."""
    six = rng.choice(["230229", "190229", "850230", "851301", "850132", "850000", "850431",
                      "010229", "850100", "850192", "850229"])  # fmt: skip
    serial = f"{rng.randrange(0, 1000):03d}"
    return f"{six}-{serial}{check_digit(six + serial)}"


def organisationsnummer(rng: random.Random) -> str:
    """Luhn-valid organisationsnummer: third digit >= 2 (month 20-99)."""
    nine = f"{rng.choice([16, 55, 21, 80, 82, 90])}{rng.randrange(2, 10)}{rng.randrange(0, 10)}"
    nine += f"{rng.randrange(0, 100000):05d}"
    nine = nine[:9]
    if int(nine[2]) < 2:
        nine = nine[:2] + "5" + nine[3:]
    return f"{nine[:6]}-{nine[6:]}{check_digit(nine)}"


def phone(rng: random.Random) -> str:
    return rng.choice([
        f"070-{rng.randrange(100, 999)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
        f"+46 70 {rng.randrange(100, 999)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
        f"08-{rng.randrange(100, 999)} {rng.randrange(100, 999)} {rng.randrange(10, 99)}",
        f"0771-{rng.randrange(100, 999)} {rng.randrange(100, 999)}",
        f"073{rng.randrange(1000000, 9999999)}",
    ])  # fmt: skip


def iso_date(rng: random.Random) -> str:
    d = date(2000, 1, 1) + timedelta(days=rng.randrange(0, 9000))
    return rng.choice([d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%d/%m/%Y")])


def order_number(rng: random.Random) -> str:
    """A ten-digit number that would pass as a personnummer, but labelled as an order."""
    label = rng.choice(
        ["ordernummer", "Ordernr:", "fakturanummer", "OCR", "kundnummer", "Bokningsnr"]
    )
    return f"{label} {valid_personnummer(rng, form='10')}"


def embedded(rng: random.Random) -> str:
    """A valid number inside a longer digit run is not a personnummer."""
    good = valid_personnummer(rng, form=rng.choice(["10", "12"]))
    return rng.choice([f"{rng.randrange(1, 9)}{good}", f"{good}{rng.randrange(0, 9)}"])


FILLERS = [
    "Hej! Jag undrar över min ansökan,",
    "Min mamma har fått fel faktura.",
    "ring mig gärna",
    "det gäller ärendet från i våras:",
    "tack på förhand /Anna",
    "👍",
    "snälla svara snabbt!!",
    "(mitt pnr)",
    "Personnummer:",
]
