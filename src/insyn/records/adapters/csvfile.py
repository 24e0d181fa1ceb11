from __future__ import annotations

from collections.abc import Iterable

from insyn.lib.tabular import csv_bytes
from insyn.registry.models import Authority

from ..models import Registration
from .base import ExportAdapter, prefetch, registration_record

COLUMNS = [
    ("Diarienummer", lambda r: r["diarienummer"]),
    ("Myndighet", lambda r: r["authority"]["name"]),
    ("Registrerad", lambda r: r["registered_at"]),
    ("Datum", lambda r: r["document_date"]),
    ("Riktning", lambda r: r["direction"]),
    ("Avsändare/mottagare", lambda r: r["counterpart"]),
    ("Ärendemening", lambda r: r["title"]),
    ("Sekretess", lambda r: "ja" if r["sekretess"] else "nej"),
    ("Sekretessbestämmelse", lambda r: r["osl_reference"]),
    ("Status", lambda r: r["status"]),
    ("Avslutad", lambda r: r["closed_at"]),
    ("Handläggare", lambda r: r["handler"]["name"] if r["handler"] else None),
    ("Post i Insyn", lambda r: r["item"]["id"] if r["item"] else None),
    ("Plattformens id", lambda r: (r["item"] or {}).get("platform_id")),
    ("Adress", lambda r: (r["item"] or {}).get("url")),
]
PROTECTED_COLUMNS = [
    ("Avsändare/mottagare (skyddad)", lambda r: r.get("protected", {}).get("counterpart")),
    ("Vad handlingen rör (skyddad)", lambda r: r.get("protected", {}).get("subject")),
]


class CsvAdapter(ExportAdapter):
    """Spreadsheet-safe CSV: every cell that could start a formula is neutralised."""

    name, label, media_type, extension = "csv", "CSV", "text/csv; charset=utf-8", "csv"

    def export(self, registrations: Iterable[Registration], *, include_protected: bool = False,
               authority: Authority | None = None) -> bytes:
        columns = COLUMNS + (PROTECTED_COLUMNS if include_protected else [])
        records = (registration_record(r, include_protected=include_protected) for r in prefetch(registrations))
        return csv_bytes([c for c, _ in columns], ([f(rec) for _, f in columns] for rec in records))
