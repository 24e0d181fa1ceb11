"""Diarienummer: the configurable format and gap-free allocation from a locked series row.

A format is a text with the placeholders ``{prefix}`` (the authority's diarium prefix),
``{year}`` (four digits), ``{yy}`` (two digits) and ``{seq}`` (the running number, zero-padded
to the series' ``pad``). Examples: ``{prefix} {year}/{seq}`` → ``KS 2026/123``;
``{year}-{seq}`` with pad 6 → ``2026-000123``; ``{yy}/{seq}`` with pad 5 → ``26/00123``.
The number must contain ``{seq}`` and a year, so numbers never repeat between years.

Allocation locks the series row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every
writing transaction already holds the database's write lock from its first statement) and
increments it inside the caller's transaction, so a rolled-back registration returns its
number and concurrent registrations get consecutive numbers.
"""

from __future__ import annotations

import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from insyn.registry.models import Authority

from .models import DEFAULT_NUMBER_FORMAT, DiariumSeries

PLACEHOLDERS = {"prefix", "year", "yy", "seq"}


def default_format() -> tuple[str, int]:
    """The installation's default format and padding (settings DIARIUM_NUMBER_FORMAT/_PAD)."""
    return (getattr(settings, "DIARIUM_NUMBER_FORMAT", "") or DEFAULT_NUMBER_FORMAT,
            int(getattr(settings, "DIARIUM_NUMBER_PAD", 0) or 0))


def validate_format(number_format: str, pad: int = 0) -> None:
    try:
        parts = list(string.Formatter().parse(number_format))
    except ValueError as exc:
        raise ValidationError(_("Formatet är ogiltigt: %(error)s") % {"error": exc}) from exc
    names = set()
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise ValidationError(_("Okänd platshållare {%(name)s}. Tillåtna: {prefix}, {year}, {yy}, {seq}.")
                                  % {"name": name})
        if spec or conversion:
            raise ValidationError(_("Ange nollutfyllnad med antal siffror, inte i formatet."))
        names.add(name)
    if "seq" not in names:
        raise ValidationError(_("Formatet måste innehålla löpnumret {seq}."))
    if not names & {"year", "yy"}:
        raise ValidationError(_("Formatet måste innehålla året ({year} eller {yy}) så att numren inte upprepas."))
    if not 0 <= pad <= 9:
        raise ValidationError(_("Antalet siffror i löpnumret ska vara mellan 0 och 9."))
    if len(render(number_format, prefix="X" * 12, year=2026, seq=10 ** max(pad, 6), pad=pad)) > 80:
        raise ValidationError(_("Formatet ger för långa diarienummer."))


def render(number_format: str, *, prefix: str, year: int, seq: int, pad: int = 0) -> str:
    return number_format.format(prefix=prefix, year=f"{year:04d}", yy=f"{year % 100:02d}",
                                seq=str(seq).zfill(pad)).strip()


def series_for_update(authority: Authority, year: int) -> DiariumSeries:
    """The authority's series for the year, locked for the current transaction; created on
    first use with the previous year's format (or the installation default)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("diarienummer are allocated inside the registering transaction")
    series = DiariumSeries.objects.select_for_update().filter(authority=authority, year=year).first()
    if series is not None:
        return series
    previous = DiariumSeries.objects.filter(authority=authority, year__lt=year).order_by("-year").first()
    number_format, pad = (previous.number_format, previous.pad) if previous else default_format()
    try:
        with transaction.atomic():
            return DiariumSeries.objects.create(authority=authority, year=year, prefix=authority.diarium_prefix,
                                                number_format=number_format, pad=pad)
    except IntegrityError:
        # Another transaction created it first; wait for its lock like everyone else.
        return DiariumSeries.objects.select_for_update().get(authority=authority, year=year)


def allocate(authority: Authority, year: int) -> tuple[DiariumSeries, int, str]:
    """The next number in the series: (series, seq, diarienummer). Caller's transaction."""
    series = series_for_update(authority, year)
    series.last_seq += 1
    series.save(update_fields=["last_seq"])
    return series, series.last_seq, render(series.number_format, prefix=series.prefix, year=year,
                                           seq=series.last_seq, pad=series.pad)
