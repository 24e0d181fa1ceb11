"""The Graph API `fields` parameter, with field expansion.

    fields=id,message,from{name},comments.filter(stream).summary(true).limit(5){id,parent{id}}

parses into FieldSpec trees. Modifiers may stand before or after the braces.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class FieldSyntaxError(ValueError):
    pass


@dataclass
class FieldSpec:
    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    subfields: list[FieldSpec] | None = None

    def render(self) -> str:
        """Back to the wire syntax (used in nested paging.next URLs)."""
        text = self.name + "".join(f".{k}({v})" for k, v in self.modifiers.items())
        if self.subfields is not None:
            text += "{" + ",".join(s.render() for s in self.subfields) + "}"
        return text


def parse_fields(text: str) -> list[FieldSpec]:
    parser = _Parser(text)
    specs = parser.fields(top=True)
    if parser.pos != len(parser.text):
        raise FieldSyntaxError(f"unexpected {parser.text[parser.pos]!r} at {parser.pos}")
    return specs


def render_fields(specs: list[FieldSpec]) -> str:
    return ",".join(s.render() for s in specs)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.pos = 0

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def _peek(self) -> str:
        self._skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _name(self) -> str:
        self._skip()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_"
        ):
            self.pos += 1
        if start == self.pos:
            raise FieldSyntaxError(f"expected a field name at {start}")
        return self.text[start : self.pos]

    def fields(self, top: bool = False) -> list[FieldSpec]:
        specs: list[FieldSpec] = []
        while True:
            if not self._peek():
                if top:
                    break
                raise FieldSyntaxError("unclosed '{'")
            if self._peek() == "," and top:
                self.pos += 1
                continue
            specs.append(self.field())
            nxt = self._peek()
            if nxt == ",":
                self.pos += 1
                continue
            if nxt == "}" and not top:
                break
            if nxt == "" and top:
                break
            raise FieldSyntaxError(f"unexpected {nxt!r} at {self.pos}")
        return specs

    def field(self) -> FieldSpec:
        spec = FieldSpec(self._name())
        while True:
            nxt = self._peek()
            if nxt == ".":
                self.pos += 1
                name = self._name()
                if self._peek() != "(":
                    raise FieldSyntaxError(f"expected '(' after .{name}")
                self.pos += 1
                end = self.text.find(")", self.pos)
                if end < 0:
                    raise FieldSyntaxError("unclosed '('")
                spec.modifiers[name] = self.text[self.pos : end].strip()
                self.pos = end + 1
            elif nxt == "{":
                if spec.subfields is not None:
                    raise FieldSyntaxError("two '{' groups on one field")
                self.pos += 1
                spec.subfields = self.fields()
                if self._peek() != "}":
                    raise FieldSyntaxError("expected '}'")
                self.pos += 1
            else:
                return spec
