"""The contract between capture and one platform module.

A platform module is a client (``poll``, the moderation verbs) plus a pure normaliser
(``normalise``). Capture stores every fetched page as raw bytes *before* it is normalised, so
the archive is a re-runnable function of the raw log: ``normalise`` must depend on nothing
but its arguments (no clock, no network, no database), and must raise ``MalformedPayload``
— never anything else — for data it cannot read.

This module imports no Django and nothing from the simulator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from insyn.lib.http import HttpSeam

Kind = Literal["post", "comment", "reply", "message"]
Direction = Literal["inkommen", "upprattad"]
# public_comment: a comment on a public forum (R17: usually not registered);
# direct_message: a message sent to the authority in its service (an inkommen handling);
# own_post: drawn up by the authority (upprättad).
RecordType = Literal["public_comment", "direct_message", "own_post"]
State = Literal["visible", "hidden", "deleted_on_platform"]


class PlatformError(Exception):
    """A platform said no. ``permanent`` errors stop retrying; others are tried again later."""

    permanent = False

    def __init__(self, message: str, *, status: int | None = None, code: str | int | None = None,
                 retry_at: datetime | None = None):
        super().__init__(message)
        self.status, self.code, self.retry_at = status, code, retry_at


class TokenInvalid(PlatformError):
    """Expired or revoked access token (Graph error 190, Mastodon 401): stop and alert."""

    permanent = True


class RateLimited(PlatformError):
    """The platform's rate limit is reached; ``retry_at`` says when to come back."""


class NotFound(PlatformError):
    """The object does not exist (any more) on the platform."""

    permanent = True


class MalformedPayload(Exception):
    """A payload the normaliser cannot read: quarantined with this message, never a crash."""


@dataclass(frozen=True)
class Connection:
    """What a client needs to reach one account. ``token`` is decrypted only for the call."""

    platform: str
    external_id: str          # the page id, the Mastodon account id, …
    handle: str
    base_url: str             # Graph API root (setting) or the Mastodon instance URL
    token: str


@dataclass(frozen=True)
class FetchedPage:
    """One response as received. ``context`` holds what ``normalise`` needs to read it
    (which endpoint, which parent object); capture adds ``account_external_id``."""

    url: str                  # without the access token
    status: int
    headers: dict[str, str]
    body: bytes
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaRef:
    url: str
    mime_type: str = ""
    platform_id: str = ""


@dataclass(frozen=True)
class NormalizedItem:
    platform_id: str
    kind: Kind
    direction: Direction
    record_type: RecordType
    text: str
    author_id: str
    author_name: str
    created_at: datetime | None           # the platform's creation time (aware, UTC)
    parent_platform_id: str | None = None  # the post for a comment, the comment for a reply
    thread_platform_id: str | None = None  # the post at the top, or the conversation
    edited_at: datetime | None = None      # the platform's time for this text, when it says
    state: State | None = None             # what the payload says, None when it says nothing
    url: str = ""
    media: tuple[MediaRef, ...] = ()
    # Earlier texts the platform reports (Mastodon edit history), oldest first, with their times.
    history: tuple[tuple[str, datetime | None], ...] = ()


@dataclass(frozen=True)
class StateSignal:
    """The platform says an item changed state without giving its content (a removal)."""

    platform_id: str
    state: State
    at: datetime | None = None


@dataclass
class Normalised:
    items: list[NormalizedItem] = field(default_factory=list)
    signals: list[StateSignal] = field(default_factory=list)


class Platform(ABC):
    """One platform: a client bound to one account's connection, and a pure normaliser."""

    name: str = ""
    # Kinds a full pass cannot list (Instagram direct messages arrive only by webhook): their
    # absence from a pass proves nothing, so capture never marks them gone for it.
    unlisted_kinds: tuple[str, ...] = ()

    def __init__(self, connection: Connection, http: HttpSeam):
        self.connection = connection
        self.http = http

    @abstractmethod
    def verify_credentials(self) -> dict[str, Any]:
        """Check the token by reading the account itself; raises TokenInvalid."""

    @abstractmethod
    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        """Fetch what is new since ``state`` (or everything when ``full``), page by page.

        ``state`` is the account's incremental cursor; the generator updates it in place as
        pages are consumed, so the caller persists it after storing each page. A full pass
        yields every item still visible, so items missing from it can be marked as gone.
        """

    @staticmethod
    @abstractmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        """Read one raw page or webhook body. Pure; raises MalformedPayload only."""

    def refetch(self, platform_id: str) -> FetchedPage | None:
        """Re-read one known item to confirm it still exists; ``NotFound`` when it is gone,
        None when the platform offers no way to ask (then a full pass's absence is trusted)."""
        return None

    # Moderation and answering (used by the inbox). Each returns the platform's id of what it
    # created, or None; each raises PlatformError subclasses.
    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        raise NotImplementedError(f"{self.name}: replying is not supported")

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        raise NotImplementedError(f"{self.name}: hiding is not supported")

    def delete(self, platform_id: str) -> None:
        raise NotImplementedError(f"{self.name}: deleting is not supported")
