"""Just enough WSGI: a parsed request, a response, and JSON helpers (stdlib only)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote


class Request:
    """A WSGI request with the query, form/JSON body and headers parsed once."""

    def __init__(self, environ: dict) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = environ.get("PATH_INFO", "") or "/"
        self.script_name = environ.get("SCRIPT_NAME", "")
        self.query_string = environ.get("QUERY_STRING", "")
        self.query: list[tuple[str, str]] = parse_qsl(self.query_string, keep_blank_values=True)
        self.headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        self.body = self._read_body()
        self.form: list[tuple[str, str]] = []
        self.json: Any = None
        content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if self.body:
            if content_type == "application/json":
                try:
                    self.json = json.loads(self.body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    self.json = None
            elif content_type in (
                "application/x-www-form-urlencoded",
                "",
            ) or content_type.startswith("text/"):
                self.form = parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            elif content_type == "multipart/form-data":
                self.form = _parse_multipart(self.body, self.headers["content-type"])

    def _read_body(self) -> bytes:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return b""
        return self.environ["wsgi.input"].read(length)

    @property
    def host_url(self) -> str:
        scheme = self.environ.get("wsgi.url_scheme", "http")
        host = (
            self.headers.get("host")
            or f"{self.environ.get('SERVER_NAME', '127.0.0.1')}:{self.environ.get('SERVER_PORT', '80')}"
        )
        return f"{scheme}://{host}"

    def params(self) -> dict[str, Any]:
        """Query, form and JSON body merged into one dict (the last value of a key wins)."""
        merged: dict[str, Any] = {}
        for key, value in self.query:
            merged[key] = value
        for key, value in self.form:
            merged[key] = value
        if isinstance(self.json, dict):
            merged.update(self.json)
        return merged

    def values(self, key: str) -> list[str]:
        """Every value of a repeated key (`types[]=a&types[]=b`), from query and form."""
        found = [v for k, v in self.query if k == key] + [v for k, v in self.form if k == key]
        if isinstance(self.json, dict) and isinstance(self.json.get(key.removesuffix("[]")), list):
            found += [str(v) for v in self.json[key.removesuffix("[]")]]
        return found

    def bearer_token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and value.strip():
            return value.strip()
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        reason = (
            HTTPStatus(self.status).phrase
            if self.status in HTTPStatus._value2member_map_
            else "Unknown"
        )
        headers = list(self.headers)
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers.append(("Content-Length", str(len(self.body))))
        start_response(f"{self.status} {reason}", headers)
        return [self.body]


def json_response(
    data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(
        status, body, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])]
    )


def text_response(
    text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8"
) -> Response:
    return Response(status, text.encode("utf-8"), [("Content-Type", content_type)])


def url_with(base: str, params: list[tuple[str, str]]) -> str:
    """base?k=v&… with values percent-encoded the way real APIs do it."""
    if not params:
        return base
    query = "&".join(f"{quote(str(k), safe='[]')}={quote(str(v), safe='')}" for k, v in params)
    return f"{base}?{query}"


def _parse_multipart(body: bytes, content_type: str) -> list[tuple[str, str]]:
    boundary = ""
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        return []
    fields: list[tuple[str, str]] = []
    for chunk in body.split(b"--" + boundary.encode()):
        chunk = chunk.strip(b"\r\n")
        if not chunk or chunk == b"--":
            continue
        head, _, value = chunk.partition(b"\r\n\r\n")
        name = None
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition"):
                for item in line.split(";"):
                    key, _, val = item.strip().partition("=")
                    if key == "name":
                        name = val.strip('"')
        if name is not None:
            fields.append((name, value.decode("utf-8", "replace")))
    return fields
