from __future__ import annotations

import json
from collections.abc import Iterable

from django.utils import timezone

from insyn.registry.models import Authority

from ..models import Registration
from .base import FORMAT_VERSION, ExportAdapter, prefetch, registration_record


class JsonAdapter(ExportAdapter):
    name, label, media_type, extension = "json", "JSON", "application/json", "json"

    def export(self, registrations: Iterable[Registration], *, include_protected: bool = False,
               authority: Authority | None = None) -> bytes:
        document = {
            "format": FORMAT_VERSION,
            "generated_at": timezone.localtime().isoformat(timespec="seconds"),
            "authority": authority.name if authority else None,
            "includes_protected": include_protected,
            "registrations": [registration_record(r, include_protected=include_protected) for r in prefetch(registrations)],
        }
        return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
