"""The Bluesky half of the simulated world: actors, repository records, notifications, sessions.

Invariants:
- It shares the World's lock and clock (one time line for every platform) but keeps its own
  random stream, tables and file (``bluesky.json`` next to ``world.json``), so adding Bluesky
  changes nothing in the Graph and Mastodon worlds of a given seed.
- Records are never removed: ``deleteRecord`` sets ``deleted_at`` (the API then behaves as if
  the record were gone: missing from feeds and threads, omitted by getPosts, its
  notifications withdrawn, as the AppView does).
- App passwords are World tokens (platform ``bluesky``, subject = the DID), so
  ``/_sim/tokens`` revokes them like any other token. Revoking one ends its sessions'
  refresh tokens; access tokens stay valid until they expire, as the PDS verifies them
  statelessly — ``expire_sessions`` makes them expire now.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any

from ..store import Invalid, NotFound
from .ids import at_uri, cid_for, iso, jwt_decode, jwt_encode, random_did, split_uri, tid

POST = "app.bsky.feed.post"
LIKE = "app.bsky.feed.like"
THREADGATE = "app.bsky.feed.threadgate"
COLLECTIONS = (POST, LIKE, THREADGATE, "app.bsky.feed.repost", "app.bsky.feed.postgate",
               "app.bsky.graph.block")  # fmt: skip
ACCESS_SECONDS = 2 * 3600  # the PDS's access JWTs live two hours
REFRESH_SECONDS = 90 * 86_400  # refresh JWTs ninety days
REPLY_NOTIF_DEPTH = 5  # the AppView notifies the authors of up to five ancestors of a reply
MAX_HIDDEN_REPLIES = 300  # app.bsky.feed.threadgate#hiddenReplies maxLength
MAX_POST_GRAPHEMES = 300
MAX_POST_BYTES = 3000
_MENTION_RE = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9.\-]*\.[a-z]{2,})", re.IGNORECASE)


class XrpcFailure(Exception):
    """An XRPC error as the PDS answers it: HTTP status, ``error`` name and ``message``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class Actor:
    did: str
    handle: str
    display_name: str
    created_at: float
    description: str = ""
    kommun: bool = False


@dataclass
class Record:
    uri: str
    cid: str
    did: str
    collection: str
    rkey: str
    value: dict
    indexed_at: float
    seq: int
    deleted_at: float | None = None


@dataclass
class Notif:
    recipient: str
    uri: str
    reason: str
    indexed_at: float
    reason_subject: str | None = None


@dataclass
class Session:
    jti: str
    did: str
    password: str
    created_at: float
    refresh_exp: float
    access: list[str] = field(default_factory=list)  # signatures of the access JWTs issued
    revoked: bool = False


class BlueskyStore:
    """Verbs on a Bluesky PDS + AppView. Use them under ``world.lock``."""

    def __init__(self, world, *, seed: int = 0) -> None:
        self.world = world
        self.lock = world.lock
        self.rng = random.Random(f"bsky:{seed}")
        self.secret = f"insyn-simulator-bluesky-{seed}".encode()
        self.actors: dict[str, Actor] = {}
        self.records: dict[str, Record] = {}
        self.notifications: list[Notif] = []
        self.sessions: dict[str, Session] = {}
        self.expired_access: set[str] = set()
        self.meta: dict[str, Any] = {"kommun": [], "kinds": {}}
        self.seq = 0
        self._last_micros = 0
        self._reindex()

    # --- ids and time -------------------------------------------------------------------

    def now(self) -> float:
        return self.world.now()

    def _stamp(self, at: float | None = None) -> tuple[float, str]:
        """A unique, increasing index time and the TID for it."""
        micros = max(int((self.now() if at is None else at) * 1_000_000), self._last_micros + 1000)
        self._last_micros = micros
        return micros / 1_000_000, tid(micros, self.rng.randint(0, 1023))

    def next_rev(self) -> str:
        """A repository revision (a TID, increasing like the PDS's commit revs)."""
        return self._stamp()[1]

    def _touch(self) -> None:
        self.world.dirty = True

    # --- actors -------------------------------------------------------------------------

    def create_actor(
        self,
        handle: str,
        display_name: str,
        *,
        kommun: bool = False,
        did: str | None = None,
        description: str = "",
    ) -> Actor:
        with self.lock:
            handle = handle.lower().lstrip("@")
            if any(a.handle == handle for a in self.actors.values()):
                raise Invalid(f"handle {handle} is taken")
            did = did or random_did(self.rng)
            while did in self.actors:
                did = random_did(self.rng)
            created = self.now() - self.rng.randint(30, 900) * 86_400
            actor = Actor(did, handle, display_name, created, description, kommun)
            self.actors[did] = actor
            if kommun:
                self.meta["kommun"].append(did)
            self._touch()
            return actor

    def new_app_password(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz234567"
        return "-".join("".join(self.rng.choice(alphabet) for _ in range(4)) for _ in range(4))

    def actor(self, ref: str) -> Actor:
        ref = (ref or "").lower().lstrip("@")
        found = self.actors.get(ref) or next(
            (a for a in self.actors.values() if a.handle == ref), None
        )
        if found is None:
            raise NotFound(ref)
        return found

    def kommun_actors(self) -> list[Actor]:
        return [self.actors[d] for d in self.meta.get("kommun", []) if d in self.actors]

    # --- records ------------------------------------------------------------------------

    def live(self, uri: str) -> Record:
        record = self.records.get(uri)
        if record is None or record.deleted_at is not None:
            raise NotFound(uri)
        return record

    def record_at(self, did: str, collection: str, rkey: str) -> Record | None:
        record = self.records.get(at_uri(did, collection, rkey))
        return record if record is not None and record.deleted_at is None else None

    def posts_of(self, did: str) -> list[Record]:
        return [
            r for u in self._by_author.get(did, []) if (r := self.records[u]).deleted_at is None
        ]

    def replies_to(self, uri: str) -> list[Record]:
        return [r for u in self._children.get(uri, []) if (r := self.records[u]).deleted_at is None]

    def write(
        self,
        did: str,
        collection: str,
        value: dict,
        *,
        rkey: str | None = None,
        replace: bool = False,
        swap: str | None = None,
        at: float | None = None,
        emit: bool = True,
    ) -> Record:
        """createRecord (``replace`` False) or putRecord (True) in ``did``'s repository."""
        with self.lock:
            if did not in self.actors:
                raise XrpcFailure(400, "InvalidRequest", f"Could not find repo: {did}")
            if collection not in COLLECTIONS:
                raise XrpcFailure(400, "InvalidRequest", f"Unknown collection: {collection}")
            if not isinstance(value, dict) or value.get("$type") not in (None, collection):
                raise XrpcFailure(400, "InvalidRecord", f"Invalid $type: expected {collection}")
            value = {"$type": collection, **value}
            indexed, fresh_tid = self._stamp(at)
            rkey = rkey or fresh_tid
            if not re.fullmatch(r"[A-Za-z0-9._:~\-]{1,512}", rkey) or rkey in (".", ".."):
                raise XrpcFailure(400, "InvalidRequest", "Invalid record key")
            uri = at_uri(did, collection, rkey)
            existing = self.records.get(uri)
            live = existing if existing is not None and existing.deleted_at is None else None
            if swap is not None and (live.cid if live else None) != swap:
                raise XrpcFailure(
                    400, "InvalidSwap", f"Record was at {live.cid if live else 'null'}"
                )
            if live is not None and not replace:
                raise XrpcFailure(400, "InvalidRequest", f"Record already exists: {uri}")
            self._validate(did, collection, rkey, value)
            self.seq += 1
            record = Record(uri, cid_for(value), did, collection, rkey, value, indexed, self.seq)
            self.records[uri] = record
            if existing is None:
                self._index(record)
            if collection == POST and live is None:
                self._notify(record)
            if emit:
                kind = "bsky.update" if live else "bsky.create"
                self.world._emit(
                    kind,
                    uri,
                    {"uri": uri, "cid": record.cid, "record": value},
                    f"{collection} {'updated' if live else 'created'} by {self.actors[did].handle}",
                )
            self._touch()
            return record

    def delete(
        self, did: str, collection: str, rkey: str, *, swap: str | None = None
    ) -> Record | None:
        with self.lock:
            record = self.record_at(did, collection, rkey)
            if swap is not None and (record.cid if record else None) != swap:
                raise XrpcFailure(
                    400, "InvalidSwap", f"Record was at {record.cid if record else 'null'}"
                )
            if record is None:
                return None  # deleting what is not there succeeds, as on the PDS
            record.deleted_at = self.now()
            self.world._emit(
                "bsky.delete",
                record.uri,
                {"uri": record.uri},
                f"{collection} deleted by {self.actors[did].handle}",
            )
            self._touch()
            return record

    def _validate(self, did: str, collection: str, rkey: str, value: dict) -> None:
        def invalid(message: str) -> XrpcFailure:
            return XrpcFailure(400, "InvalidRecord", f"Invalid {collection} record: {message}")

        if not isinstance(value.get("createdAt"), str):
            raise invalid('Record must have the property "createdAt"')
        if collection == POST:
            text = value.get("text")
            if not isinstance(text, str):
                raise invalid('Record must have the property "text"')
            from .ids import graphemes

            if graphemes(text) > MAX_POST_GRAPHEMES or len(text.encode()) > MAX_POST_BYTES:
                raise invalid(f"Record/text must not be longer than {MAX_POST_GRAPHEMES} graphemes")
            reply = value.get("reply")
            if reply is not None:
                for part in ("root", "parent"):
                    ref = reply.get(part) if isinstance(reply, dict) else None
                    if (
                        not isinstance(ref, dict)
                        or not split_uri(ref.get("uri", ""))
                        or not isinstance(ref.get("cid"), str)
                    ):
                        raise invalid(f"Record/reply/{part} must be a strong ref (uri, cid)")
        elif collection == THREADGATE:
            post = value.get("post")
            parts = split_uri(post) if isinstance(post, str) else None
            if parts is None:
                raise invalid('Record must have the property "post"')
            if parts != (did, POST, rkey):
                raise XrpcFailure(
                    400,
                    "InvalidRecord",
                    "Invalid app.bsky.feed.threadgate record: the record key must be the post's, "
                    "in the same repository",
                )
            hidden = value.get("hiddenReplies", [])
            if not isinstance(hidden, list) or not all(split_uri(u) for u in hidden):
                raise invalid("Record/hiddenReplies must be an array of at-uris")
            if len(hidden) > MAX_HIDDEN_REPLIES:
                raise invalid(
                    f"Record/hiddenReplies must not have more than {MAX_HIDDEN_REPLIES} elements"
                )
            allow = value.get("allow")
            if allow is not None and (not isinstance(allow, list) or len(allow) > 5):
                raise invalid("Record/allow must not have more than 5 elements")
        elif collection == LIKE:
            subject = value.get("subject")
            if not isinstance(subject, dict) or not split_uri(subject.get("uri", "")):
                raise invalid('Record must have the property "subject"')

    def _index(self, record: Record) -> None:
        if record.collection != POST:
            return
        self._by_author.setdefault(record.did, []).append(record.uri)
        parent = ((record.value.get("reply") or {}).get("parent") or {}).get("uri")
        if parent:
            self._children.setdefault(parent, []).append(record.uri)

    def _notify(self, record: Record) -> None:
        """Who the AppView tells about a new post: mentions, then quotes, then ancestors' authors."""
        notified = {record.did}
        value = record.value

        def add(recipient: str, reason: str, subject: str | None) -> None:
            if recipient in notified or recipient not in self.actors:
                return
            notified.add(recipient)
            self.notifications.append(
                Notif(recipient, record.uri, reason, record.indexed_at, subject)
            )

        for facet in value.get("facets") or []:
            for feature in facet.get("features") or []:
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    add(str(feature.get("did")), "mention", None)
        embed = value.get("embed") or {}
        quoted = (
            (embed.get("record") or {}).get("uri")
            if embed.get("$type") == "app.bsky.embed.record"
            else None
        )
        if quoted and split_uri(quoted):
            add(split_uri(quoted)[0], "quote", quoted)
        parent = ((value.get("reply") or {}).get("parent") or {}).get("uri")
        for _ in range(REPLY_NOTIF_DEPTH):
            if not parent:
                break
            add(split_uri(parent)[0] if split_uri(parent) else "", "reply", parent)
            above = self.records.get(parent)
            parent = (
                ((above.value.get("reply") or {}).get("parent") or {}).get("uri") if above else None
            )

    # --- the things people do (scenario and control) -------------------------------------

    def post(
        self,
        did: str,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        at: float | None = None,
        emit: bool = True,
    ) -> Record:
        with self.lock:
            created = self.now() if at is None else at
            value: dict[str, Any] = {
                "$type": POST,
                "text": text,
                "createdAt": iso(created),
                "langs": ["sv"],
            }
            facets = self._facets(text)
            if facets:
                value["facets"] = facets
            if reply_to:
                parent = self.live(reply_to)
                root_ref = (parent.value.get("reply") or {}).get("root") or {
                    "uri": parent.uri,
                    "cid": parent.cid,
                }
                value["reply"] = {
                    "root": dict(root_ref),
                    "parent": {"uri": parent.uri, "cid": parent.cid},
                }
            if quote:
                quoted = self.live(quote)
                value["embed"] = {
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": quoted.uri, "cid": quoted.cid},
                }
            return self.write(did, POST, value, at=at, emit=emit)

    def like(self, did: str, uri: str) -> Record:
        with self.lock:
            subject = self.live(uri)
            value = {
                "$type": LIKE,
                "subject": {"uri": subject.uri, "cid": subject.cid},
                "createdAt": iso(self.now()),
            }
            record = self.write(did, LIKE, value)
            if subject.did != did:
                self.notifications.append(
                    Notif(subject.did, record.uri, "like", record.indexed_at, subject.uri)
                )
            return record

    def _facets(self, text: str) -> list[dict]:
        facets = []
        for match in _MENTION_RE.finditer(text):
            try:
                actor = self.actor(match.group(1))
            except NotFound:
                continue
            start = len(text[: match.start()].encode())
            end = start + len(match.group(0).encode())
            facets.append(
                {
                    "$type": "app.bsky.richtext.facet",
                    "index": {"byteStart": start, "byteEnd": end},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": actor.did}],
                }
            )
        return facets

    # --- sessions -----------------------------------------------------------------------

    def create_session(self, identifier: str, password: str, audience: str) -> dict:
        with self.lock:
            try:
                actor = self.actor(identifier)
            except NotFound:
                actor = None
            token = self.world.tokens.get(password)
            if (
                actor is None
                or token is None
                or token.platform != "bluesky"
                or token.subject_id != actor.did
                or token.state != "valid"
            ):
                raise XrpcFailure(401, "AuthenticationRequired", "Invalid identifier or password")
            jti = self._nonce()
            session = Session(jti, actor.did, password, self.now(), self.now() + REFRESH_SECONDS)
            self.sessions[jti] = session
            return self._tokens(session, audience)

    def refresh_session(self, refresh_jwt: str, audience: str) -> dict:
        with self.lock:
            decoded = jwt_decode(refresh_jwt, self.secret)
            if decoded is None:
                raise XrpcFailure(400, "InvalidToken", "Token could not be verified")
            header, payload = decoded
            if header.get("typ") != "refresh+jwt" or payload.get("scope") != "com.atproto.refresh":
                raise XrpcFailure(400, "InvalidToken", "Invalid token type")
            if float(payload.get("exp", 0)) <= self.now():
                raise XrpcFailure(400, "ExpiredToken", "Token has expired")
            session = self.sessions.get(str(payload.get("jti")))
            token = self.world.tokens.get(session.password) if session else None
            if session is None or session.revoked or token is None or token.state != "valid":
                raise XrpcFailure(400, "ExpiredToken", "Token has been revoked")
            # Refresh tokens are single use: the old one is revoked and a new session begins.
            session.revoked = True
            jti = self._nonce()
            fresh = Session(
                jti, session.did, session.password, self.now(), self.now() + REFRESH_SECONDS
            )
            self.sessions[jti] = fresh
            return self._tokens(fresh, audience)

    def _nonce(self) -> str:
        return "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(32))

    def _tokens(self, session: Session, audience: str) -> dict:
        now = int(self.now())
        access = jwt_encode(
            {"typ": "at+jwt", "alg": "HS256"},
            {
                "scope": "com.atproto.appPass",
                "sub": session.did,
                "aud": audience,
                "jti": self._nonce(),
                "iat": now,
                "exp": now + ACCESS_SECONDS,
            },
            self.secret,
        )
        refresh = jwt_encode(
            {"typ": "refresh+jwt", "alg": "HS256"},
            {
                "scope": "com.atproto.refresh",
                "sub": session.did,
                "aud": audience,
                "jti": session.jti,
                "iat": now,
                "exp": int(session.refresh_exp),
            },
            self.secret,
        )
        session.access.append(access.rsplit(".", 1)[1])
        self._touch()
        actor = self.actors[session.did]
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": actor.handle,
            "did": actor.did,
            "active": True,
        }

    def viewer_of(self, access_jwt: str) -> str:
        """The DID an access token speaks for; XrpcFailure as the PDS answers otherwise."""
        decoded = jwt_decode(access_jwt, self.secret)
        if decoded is None:
            raise XrpcFailure(400, "InvalidToken", "Token could not be verified")
        header, payload = decoded
        if header.get("typ") == "refresh+jwt":
            raise XrpcFailure(400, "InvalidToken", "Invalid token type")
        if (
            float(payload.get("exp", 0)) <= self.now()
            or access_jwt.rsplit(".", 1)[1] in self.expired_access
        ):
            raise XrpcFailure(400, "ExpiredToken", "Token has expired")
        did = str(payload.get("sub"))
        if did not in self.actors:
            raise XrpcFailure(400, "InvalidToken", "Token could not be verified")
        return did

    def expire_sessions(self, did: str) -> int:
        """Make every access token of ``did`` issued so far expire now (a test's two hours)."""
        with self.lock:
            count = 0
            for session in self.sessions.values():
                if session.did == did:
                    count += len(session.access)
                    self.expired_access.update(session.access)
            self._touch()
            return count

    # --- persistence --------------------------------------------------------------------

    def to_json(self) -> dict:
        with self.lock:
            return {
                "rng": _rng_to_json(self.rng.getstate()),
                "seq": self.seq,
                "last_micros": self._last_micros,
                "meta": self.meta,
                "actors": [asdict(a) for a in self.actors.values()],
                "records": [asdict(r) for r in self.records.values()],
                "notifications": [asdict(n) for n in self.notifications],
                "sessions": [asdict(s) for s in self.sessions.values()],
                "expired_access": sorted(self.expired_access),
            }

    def load_json(self, data: dict) -> None:
        with self.lock:
            if "rng" in data:
                self.rng.setstate(_rng_from_json(data["rng"]))
            self.seq, self._last_micros = data.get("seq", 0), data.get("last_micros", 0)
            self.meta = data.get("meta") or {"kommun": [], "kinds": {}}
            self.actors = {a["did"]: Actor(**a) for a in data.get("actors", [])}
            self.records = {r["uri"]: Record(**r) for r in data.get("records", [])}
            self.notifications = [Notif(**n) for n in data.get("notifications", [])]
            self.sessions = {s["jti"]: Session(**s) for s in data.get("sessions", [])}
            self.expired_access = set(data.get("expired_access", []))
            self._reindex()

    def save(self, path: str) -> None:
        data = self.to_json()
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".bluesky-", suffix=".json", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(tmp, path)

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as handle:
            self.load_json(json.load(handle))

    def _reindex(self) -> None:
        self._by_author: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {}
        for record in sorted(self.records.values(), key=lambda r: r.seq):
            self._index(record)

    def counts(self) -> dict[str, int]:
        with self.lock:
            posts = [r for r in self.records.values() if r.collection == POST]
            return {
                "actors": len(self.actors),
                "posts": sum(1 for p in posts if p.deleted_at is None),
                "posts_deleted": sum(1 for p in posts if p.deleted_at is not None),
                "threadgates": sum(
                    1
                    for r in self.records.values()
                    if r.collection == THREADGATE and r.deleted_at is None
                ),
                "notifications": len(self.notifications),
            }


def _rng_to_json(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_from_json(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
