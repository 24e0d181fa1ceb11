"""The one PDF/A door (records/pdf.py): archival PDFs keep what residents wrote, fetch nothing."""

from __future__ import annotations

import io
import shutil
import subprocess

import pypdf
import pytest

from insyn.records.pdf import render_html_pdfa, render_pdfa


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_is_pdf_a_with_swedish_text():
    pdf = render_pdfa("records/pdf_base.html", {}, title="Prov")
    reader = pypdf.PdfReader(io.BytesIO(render_html_pdfa("<p>Älvby åäö ÅÄÖ</p>", title="Prov")))
    assert reader.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert "Älvby åäö ÅÄÖ" in reader.pages[0].extract_text()
    assert pdf.startswith(b"%PDF-")


def _has_symbola() -> bool:
    fc_list = shutil.which("fc-list")
    return bool(fc_list) and "symbola" in subprocess.run([fc_list], capture_output=True, text=True).stdout.lower()


@pytest.mark.skipif(not _has_symbola(), reason="the Symbola font (Debian fonts-symbola) is not installed; .ci/run installs it")
def test_emoji_in_a_comment_survive_into_the_pdf():
    from django.template.loader import render_to_string

    html = render_to_string("records/pdf_base.html", {"pdf_title": "x"}).replace(
        "</body>", "<p class='text'>Snöröjningen 🙄🤔 men tack 💪</p></body>")
    assert "🙄🤔" in _text(render_html_pdfa(html, title="Emoji"))


def test_a_remote_image_is_never_fetched():
    from insyn.records.pdf import _local_fetcher

    for url in ("file:///etc/passwd", "http://192.0.2.1/x.png"):
        with pytest.raises(ValueError):
            _local_fetcher().fetch(url)
    # An <img> pointing at the network renders without it rather than calling out.
    assert "Text kvar" in _text(render_html_pdfa("<img src='http://192.0.2.1/x.png'><p>Text kvar</p>", title="x"))
