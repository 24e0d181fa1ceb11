"""The records of the simulated world: plain dataclasses, persisted as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

TOKEN_STATES = ("valid", "expired", "password_changed", "revoked", "invalid")
VISIBILITIES = ("public", "unlisted", "private", "direct")
FORMAT_VERSION = 1


class NotFound(Exception):
    """The object does not exist (or no longer does)."""


class Invalid(Exception):
    """The request cannot be carried out as asked."""


# --- Facebook -----------------------------------------------------------------------------


@dataclass
class FbUser:
    id: str
    name: str
    first_name: str = ""
    last_name: str = ""


@dataclass
class Page:
    id: str
    name: str
    username: str
    category: str = "Government organization"
    followers_count: int = 0
    subscribed_fields: list[str] = field(default_factory=lambda: ["feed", "messages"])


@dataclass
class Token:
    token: str
    platform: str  # "graph" | "mastodon"
    subject_id: str  # page id or Mastodon account id
    state: str = "valid"
    created_at: float = 0.0
    changed_at: float = 0.0


@dataclass
class Post:
    id: str
    page_id: str
    from_id: str
    message: str
    created_time: float
    updated_time: float
    seq: int
    attachments: list[dict] = field(default_factory=list)
    status_type: str = "mobile_status_update"
    is_published: bool = True
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)


@dataclass
class Comment:
    id: str
    post_id: str
    parent_id: str | None  # None for a top-level comment, else the top-level comment's id
    from_id: str
    message: str
    created_time: float
    seq: int
    updated_time: float = 0.0
    is_hidden: bool = False
    attachment: dict | None = None
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)


@dataclass
class Conversation:
    id: str
    page_id: str
    user_id: str
    updated_time: float
    seq: int
    unread_count: int = 0


@dataclass
class Message:
    id: str
    conversation_id: str
    from_id: str
    to_id: str
    message: str
    created_time: float
    seq: int
    attachments: list[dict] = field(default_factory=list)


# --- Mastodon -----------------------------------------------------------------------------


@dataclass
class MAccount:
    id: str
    username: str
    display_name: str
    domain: str | None = None  # None: local to the simulated instance
    note: str = ""
    created_at: float = 0.0
    bot: bool = False
    locked: bool = False
    followers_count: int = 0
    following_count: int = 0

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    created_at: float
    visibility: str = "public"
    spoiler_text: str = ""
    sensitive: bool = False
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    language: str = "sv"
    mentions: list[str] = field(default_factory=list)
    edited_at: float | None = None
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)
    favourited_by: list[str] = field(default_factory=list)
    reblogged_by: list[str] = field(default_factory=list)
    media_attachments: list[dict] = field(default_factory=list)
    application: dict | None = None


@dataclass
class Notification:
    id: str
    account_id: str  # who receives it
    type: str
    from_account_id: str
    status_id: str | None
    created_at: float


@dataclass
class MConversation:
    id: str
    owner_id: str
    participant_ids: list[str]  # the others, not the owner
    root_status_id: str
    last_status_id: str | None
    unread: bool = True


@dataclass
class SimEvent:
    """One thing that happened, as the platform would tell it."""

    seq: int
    time: float
    kind: str  # "fb.feed" | "fb.messaging" | "mastodon.status" | "mastodon.edit" | ...
    subject_id: str  # page id or Mastodon account id the event concerns
    payload: dict
    summary: str = ""

    def to_json(self) -> dict:
        return asdict(self)
