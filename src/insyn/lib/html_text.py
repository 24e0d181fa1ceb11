"""Sanitized HTML as plain text: Mastodon's status HTML (api/guidelines#formatting) and
WordPress's rendered posts and comments. Pure, no Django."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = {
    "p", "div", "blockquote", "pre", "ul", "ol", "dl", "table", "section", "article",
    "header", "footer", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
_LINES = {"br", "li", "dt", "dd", "tr", "figcaption"}
_HIDDEN = {"script", "style", "template", "head", "title"}
_SPACE = " \t\n\r\f\v"


class _TextExtractor(HTMLParser):
    """Mastodon's sanitized HTML as the reader sees it (api/guidelines#formatting).

    Paragraphs become blank-line separated blocks, ``<br>`` a newline, a link its text (the
    ``invisible`` spans included, so a shortened URL comes back whole), entities unescaped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = [[""]]
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._block()
        elif tag in _LINES:
            self.blocks[-1].append("")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS:
            self._block()
        elif tag in _LINES:
            self.blocks[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._block()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.blocks[-1][-1] += "".join(" " if c in _SPACE else c for c in data)

    def _block(self) -> None:
        if any(line.strip(_SPACE) for line in self.blocks[-1]):
            self.blocks.append([""])
        else:
            self.blocks[-1] = [""]

    def text(self) -> str:
        paragraphs = []
        for lines in self.blocks:
            cleaned = [" ".join(part for part in line.split(" ") if part) for line in lines]
            while cleaned and not cleaned[0]:
                cleaned.pop(0)
            while cleaned and not cleaned[-1]:
                cleaned.pop()
            if cleaned:
                paragraphs.append("\n".join(cleaned))
        return "\n\n".join(paragraphs)


def html_to_text(content: str) -> str:
    """Plain text of a status's HTML ``content``; never raises on odd markup."""
    for source in (content, content.replace("<!", "&lt;!")):
        parser = _TextExtractor()
        try:
            parser.feed(source)
            parser.close()
        except AssertionError:  # html.parser's marked-section checks (``<![foo[``)
            continue
        return parser.text()
    return " ".join(content.split())  # unreachable in practice: no "<!" left to trip on
