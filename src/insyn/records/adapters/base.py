"""The adapter interface and the one description of a registration every adapter starts from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from insyn.registry.models import Authority

from ..models import Registration

FORMAT_VERSION = "insyn-diarium/1"


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def registration_record(reg: Registration, *, include_protected: bool = False) -> dict:
    """A registration as plain data. Without ``include_protected`` a secret registration shows
    only its shielded title, no counterpart and no link to the item's content."""
    shielded = reg.sekretess and not include_protected
    item = reg.item
    record = {
        "diarienummer": reg.diarienummer,
        "authority": {"name": reg.authority.name, "diarium_prefix": reg.authority.diarium_prefix,
                      "org_number": reg.authority.org_number or None},
        "year": reg.series.year,
        "seq": reg.seq,
        "registered_at": _iso(reg.registered_at),
        "document_date": reg.document_date.isoformat(),
        "direction": reg.direction,
        "counterpart": reg.counterpart or None,
        "title": reg.title,
        "sekretess": reg.sekretess,
        "osl_reference": reg.osl_reference or None,
        "status": reg.status,
        "closed_at": _iso(reg.closed_at),
        "handler": {"name": str(reg.handler), "username": reg.handler.username} if reg.handler else None,
        "item": None,
    }
    if item is not None:
        record["item"] = {"id": item.pk} if shielded else {
            "id": item.pk, "account": item.account.name, "platform": item.account.platform,
            "platform_id": item.platform_id, "kind": item.kind, "url": item.url or None,
            "inkommen_at": _iso(item.inkommen_at), "text_sha256": item.text_sha256 or None,
            "first_raw_sha256": item.first_raw.sha256 if item.first_raw_id else None,
        }
    if include_protected and reg.sekretess:
        record["protected"] = {"counterpart": reg.protected_counterpart or None, "subject": reg.protected_subject}
    return record


def prefetch(registrations: Iterable[Registration]) -> list[Registration]:
    if hasattr(registrations, "select_related"):
        registrations = registrations.select_related("authority__organisation", "series", "handler",
                                                     "item__account", "item__first_raw")
    return list(registrations)


class ExportAdapter(ABC):
    name: str = ""
    label: str = ""
    media_type: str = "application/octet-stream"
    extension: str = ""

    @abstractmethod
    def export(self, registrations: Iterable[Registration], *, include_protected: bool = False,
               authority: Authority | None = None) -> bytes:
        """The registrations as one file."""
