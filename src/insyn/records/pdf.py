"""Archival PDF (PDF/A) from Django templates, for snapshots, utlämnande and e-archive packages.

One door: ``render_pdfa(template, context)`` returns the bytes of a PDF/A-2b document. WeasyPrint
embeds every font and writes the sRGB output intent and XMP metadata that PDF/A asks for. The
renderer never fetches anything from the network: user content is escaped by the templates, and
the URL fetcher refuses everything but the package's own static files and ``data:`` URLs, so a
comment that mentions an image URL cannot make the server call out.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from django.template.loader import render_to_string

PDFA_VARIANT = "pdf/a-2b"
# fontTools reports every font subset at INFO; that is noise in the worker's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
_STATIC = (Path(__file__).resolve().parent.parent / "static").resolve()


class PdfRenderError(Exception):
    """The document could not be rendered (a template or font problem, never user input)."""


def _local_fetcher():
    """A WeasyPrint fetcher for ``data:`` URLs and Insyn's own static files, nothing else."""
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url[len("file://"):]).resolve()
                if not path.is_relative_to(_STATIC):
                    raise ValueError(f"outside Insyn's static files: {url[:80]}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols={"data", "file"}, timeout=5)


def render_html_pdfa(html: str, *, title: str, author: str = "Insyn",
                     created: datetime | None = None) -> bytes:
    """Render an HTML document to PDF/A-2b bytes."""
    from weasyprint import HTML

    try:
        document = HTML(string=html, base_url=_STATIC.as_uri() + "/", url_fetcher=_local_fetcher())
        rendered = document.render()
        rendered.metadata.title = title
        rendered.metadata.authors = [author]
        if created is not None:
            rendered.metadata.created = created.isoformat(timespec="seconds")
        return rendered.write_pdf(pdf_variant=PDFA_VARIANT)
    except ValueError as exc:
        raise PdfRenderError(str(exc)) from exc


def render_pdfa(template_name: str, context: dict, *, title: str, author: str = "Insyn",
                created: datetime | None = None) -> bytes:
    """Render a Django template (a whole HTML document, see records/pdf_base.html) to PDF/A."""
    html = render_to_string(template_name, {**context, "pdf_title": title})
    return render_html_pdfa(html, title=title, author=author, created=created)


def render_items_pdfa(items, *, title: str, intro: str = "", author: str = "Insyn",
                      created: datetime | None = None) -> bytes:
    """Archive items as PDF/A: each with its metadata, every version's text and its state
    changes (records/pdf_items.html). ``items`` should come with ``account``, ``versions`` and
    ``state_changes`` prefetched; the caller decides whose content may be rendered."""
    return render_pdfa("records/pdf_items.html", {"items": items, "intro": intro}, title=title, author=author,
                       created=created)
