"""The contract for reading one platform's export file, streamed.

An export is a folder, a .zip or a single file (``ExportSource``). A reader (``ExportReader``)
walks its files in a fixed order and yields ``Record``s one at a time, each with its file,
its number in that file (1-based) and its ordinal in the whole export (``position``, the
resume key). Nothing here holds more than one record and the parser's buffer in memory:
JSON is parsed with ijson, zip members are read as streams.

Per kind there is a pure normaliser (``normalise_record``) that turns one record into
``NormalizedItem``s and raises ``MalformedPayload`` — never anything else — for data it cannot
read, exactly like the platform modules' normalisers (platforms/base.py).

This module imports no Django.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson

from insyn.capture.platforms.base import MalformedPayload, Normalised, NormalizedItem

# How much of the start and the end of a file goes into its fingerprint.
FINGERPRINT_EDGE = 1024 * 1024
READ_CHUNK = 64 * 1024


class WrongExport(ValueError):
    """The path is not an export of this kind (or not readable at all): nothing was imported."""


class ExportSyntaxError(ValueError):
    """A file of the export is not valid JSON from some point on; the rest of that file is
    unreadable (its earlier records were read)."""


@dataclass(frozen=True)
class Record:
    file: str          # the member's path inside the export (e.g. data/tweets.js)
    number: int        # 1-based, within the file
    position: int      # 0-based ordinal in the whole export: the resume key
    section: str       # what the file holds: tweets, direct_messages, posts, comments, messages
    data: Any          # the parsed JSON value (with the file's own strings, unfixed)


class ExportSource:
    """A folder, a zip file or one single file, read without extracting anything."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise WrongExport(f"{self.path}: finns inte (no such file or folder)")
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            self.kind = "folder"
            self._names = sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())
        elif zipfile.is_zipfile(self.path):
            self.kind = "zip"
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise WrongExport(f"{self.path}: zip-filen går inte att läsa (unreadable zip): {exc}") from exc
            self._names = sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        else:
            self.kind = "file"
            self._names = [self.path.name]
        self._name_set = set(self._names)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def names(self) -> list[str]:
        return self._names

    def exists(self, name: str) -> bool:
        return name in self._name_set

    def size(self, name: str) -> int:
        if self._zip is not None:
            return self._zip.getinfo(name).file_size
        return self._file_path(name).stat().st_size

    def open(self, name: str) -> IO[bytes]:
        if self._zip is not None:
            return self._zip.open(name)
        return open(self._file_path(name), "rb")

    def read(self, name: str, limit: int | None = None) -> bytes:
        with self.open(name) as fh:
            return fh.read() if limit is None else fh.read(limit)

    def _file_path(self, name: str) -> Path:
        if self.kind == "file":
            return self.path
        path = (self.path / name).resolve()
        if not path.is_relative_to(self.path.resolve()):
            raise WrongExport(f"{name}: outside the export folder")
        return path

    def fingerprint(self, members: list[str]) -> tuple[str, int]:
        """(sha256, size) identifying the export's content without reading all of it.

        A file (or zip) is fingerprinted by its size and the hash of its first and last MB —
        for a zip the end holds the central directory with every member's CRC. A folder by
        the names, sizes and first/last MB of the files the import reads. A changed file gets
        a different fingerprint, so an import never resumes another file's position.
        """
        digest = hashlib.sha256()
        if self.kind in ("zip", "file"):
            size = self.path.stat().st_size
            digest.update(f"{self.kind}:{size}:".encode())
            _edges(self.path.open("rb"), size, digest)
            return digest.hexdigest(), size
        total = 0
        for name in members:
            size = self.size(name)
            total += size
            digest.update(f"{name}:{size}:".encode())
            _edges(self.open(name), size, digest)
        return digest.hexdigest(), total


def _edges(fh: IO[bytes], size: int, digest) -> None:
    with fh:
        digest.update(fh.read(FINGERPRINT_EDGE))
        if size > 2 * FINGERPRINT_EDGE:
            fh.seek(size - FINGERPRINT_EDGE)
            digest.update(fh.read(FINGERPRINT_EDGE))
        elif size > FINGERPRINT_EDGE:
            digest.update(fh.read())


class CountingReader:
    """A binary stream that counts the bytes read (for the progress bar)."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None] | None = None):
        self._raw, self._on_read = raw, on_read

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if data and self._on_read:
            self._on_read(len(data))
        return data

    def close(self) -> None:
        self._raw.close()


class JsAssignmentReader:
    """The JSON inside an X archive file ``window.YTD.tweets.part0 = [ … ];`` as a stream.

    Skips everything up to and including the first ``=`` and drops a trailing ``;`` (and
    whitespace), without reading the file into memory and without evaluating anything.
    """

    _TAIL = b" \t\r\n;"

    def __init__(self, raw: IO[bytes], name: str):
        self._raw, self._held, self._eof = raw, b"", False
        head = b""
        while b"=" not in head:
            chunk = raw.read(READ_CHUNK)
            if not chunk or len(head) > READ_CHUNK:
                raise WrongExport(f"{name}: börjar inte med window.YTD.… = (not an X archive data file)")
            head += chunk
        prefix, _, rest = head.partition(b"=")
        if not re.match(rb"^\s*(\xef\xbb\xbf)?\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*$", prefix):
            raise WrongExport(f"{name}: börjar inte med window.YTD.… = (not an X archive data file)")
        self._held = rest

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""  # ijson asks for 0 bytes to learn whether the stream gives bytes or text
        while True:
            chunk = b"" if self._eof else self._raw.read(READ_CHUNK if n is None or n < 0 else max(n, 1))
            if not chunk:
                self._eof = True
                out, self._held = self._held.rstrip(self._TAIL), b""
                return out
            data = self._held + chunk
            # Hold back a trailing run of ; and whitespace: it may be the end of the file.
            cut = len(data.rstrip(self._TAIL))
            out, self._held = data[:cut], data[cut:]
            if out:
                return out

    def close(self) -> None:
        self._raw.close()


def stream_items(fh, prefix: str, name: str) -> Iterator[Any]:
    """The values at ``prefix`` (ijson's notation: ``item``, ``comments.item``) one by one.

    Numbers come back as int or float (not Decimal), as ``json.loads`` gives them.
    A syntax error raises ``ExportSyntaxError`` after the values before it were yielded.
    """
    try:
        yield from ijson.items(fh, prefix, use_float=True)
    except ijson.JSONError as exc:
        raise ExportSyntaxError(f"{name}: ogiltig JSON (invalid JSON): {exc}") from exc


class ExportReader(ABC):
    """One kind of export. Subclasses say which files to read and how to read a record."""

    kind: str = ""
    label: str = ""                           # for messages: "X-arkiv", "Facebook-export"
    platforms: tuple[str, ...] = ()           # account platforms this export may go to

    def __init__(self, source: ExportSource):
        self.source = source
        self.members = self.find_members()
        if not self.members:
            raise WrongExport(self.not_found_message())
        for name, section in self.members:
            self.check_member(name, section)

    @abstractmethod
    def find_members(self) -> list[tuple[str, str]]:
        """(file name, section) of the files to import, in the order they are read."""

    @abstractmethod
    def not_found_message(self) -> str:
        """A clear Swedish/English message for a path that holds none of this kind's files."""

    @abstractmethod
    def iter_file(self, fh, name: str, section: str) -> Iterator[Any]:
        """The records of one file as parsed JSON values, streamed."""

    def check_member(self, name: str, section: str) -> None:
        """Raise WrongExport when a file's beginning shows it is not what its name says, so a
        wrong file is refused before anything is stored. JSON files need no check: ijson
        reports them as invalid JSON."""
        return None

    def owner(self, account_external_id: str, account_name: str) -> dict[str, Any]:
        """What the normaliser needs to know about the account the export belongs to (it goes
        into every raw capture's context, so normalising stays a function of the raw row).
        Raises WrongExport when the export says it belongs to another account."""
        return {"id": account_external_id, "name": account_name}

    def media_member(self, item: NormalizedItem, media_url: str) -> str | None:
        """The export's own copy of an attachment, when the export includes it."""
        return None

    def fingerprint(self) -> tuple[str, int]:
        return self.source.fingerprint([name for name, _ in self.members])

    def total_bytes(self) -> int:
        return sum(self.source.size(name) for name, _ in self.members)

    def records(self, *, on_bytes: Callable[[int], None] | None = None,
                on_file_error: Callable[[str, int, int, str], None] | None = None) -> Iterator[Record]:
        """Every record of the export in a fixed order. A file that turns out not to be valid
        JSON part-way is reported through ``on_file_error(file, next record number, next
        position, message)`` and the walk goes on with the next file."""
        position = 0
        for name, section in self.members:
            number = 0
            fh = CountingReader(self.source.open(name), on_bytes)
            try:
                for data in self.iter_file(fh, name, section):
                    number += 1
                    yield Record(file=name, number=number, position=position, section=section, data=data)
                    position += 1
            except (ExportSyntaxError, WrongExport) as exc:
                if on_file_error is None:
                    raise
                on_file_error(name, number + 1, position, str(exc))
            finally:
                fh.close()

    # The normaliser: pure, one record at a time.
    @staticmethod
    @abstractmethod
    def normalise_record(section: str, data: Any, context: dict[str, Any]) -> list[NormalizedItem]:
        """One record's items. Pure; raises MalformedPayload only."""

    @classmethod
    def normalise_batch(cls, body: bytes, context: dict[str, Any]) -> Normalised:
        """A raw capture of an import batch: ``{"section": …, "records": [...]}``."""
        try:
            batch = json.loads(body)
            section, records = batch["section"], batch["records"]
            if not isinstance(records, list):
                raise TypeError("records is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedPayload(f"import batch unreadable: {exc}") from exc
        items: list[NormalizedItem] = []
        for data in records:
            items.extend(cls.normalise_record(section, data, context))
        return Normalised(items=items)


def batch_body(section: str, records: list[Any]) -> bytes:
    """The raw bytes stored for a batch: the records as parsed from the file, in order."""
    return json.dumps({"section": section, "records": records}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise MalformedPayload(message)


def text_field(data: dict, key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    require(isinstance(value, str), f"{where}: {key} saknas eller är inte text (missing or not a string)")
    return value
