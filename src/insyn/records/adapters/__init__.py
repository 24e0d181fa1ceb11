"""Handing registrations to other systems: a small adapter interface.

Each adapter turns registrations into one file. They are chosen by name from ``ADAPTERS``
(dotted paths, imported on first use), so an integration with a case-management system
(Public 360 SIF, Platina …) is one more module here:

- ``json``: Insyn's documented JSON (docs/records.md);
- ``csv``: the same as a spreadsheet-safe CSV;
- ``erms``: CITS ERMS XML (= Riksarkivet's FGS Ärendehantering 2.0), one case file per
  registration.

The public part is the default; ``include_protected=True`` adds the fields kept apart under
sekretess, and the caller must have checked the user may read them and logged the read.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from .base import ExportAdapter, registration_record

ADAPTERS: dict[str, str] = {
    "json": "insyn.records.adapters.jsonfile.JsonAdapter",
    "csv": "insyn.records.adapters.csvfile.CsvAdapter",
    "erms": "insyn.records.adapters.erms.ErmsAdapter",
}


def get_adapter(name: str) -> ExportAdapter:
    try:
        path = ADAPTERS[name]
    except KeyError:
        raise LookupError(f"no export adapter named {name!r}; known: {', '.join(sorted(ADAPTERS))}") from None
    return import_string(path)()


__all__ = ["ADAPTERS", "ExportAdapter", "get_adapter", "registration_record"]
