"""Imports of the platforms' own export files (``insyn import KIND PATH --account ACCOUNT``).

One reader per kind, chosen through a plain dict of dotted paths and imported lazily, as
for the platform modules. ``actions.py`` runs an import; ``base.py`` is the reader contract.
"""

from __future__ import annotations

from importlib import import_module

from .base import ExportReader

IMPORT_KINDS: dict[str, str] = {
    "x-archive": "insyn.capture.imports.x_archive.XArchive",
    "facebook-dyi": "insyn.capture.imports.facebook_dyi.FacebookDyi",
}


def reader_class(kind: str) -> type[ExportReader]:
    try:
        dotted = IMPORT_KINDS[kind]
    except KeyError:
        raise LookupError(f"no import for {kind!r}; known: {', '.join(IMPORT_KINDS)}") from None
    module, _, attr = dotted.rpartition(".")
    return getattr(import_module(module), attr)
