"""Facebook's "Download your information" export (JSON format).

Format (../shared/reference/platform-apis.md §7). The layout depends on the export date, so
files are found by pattern, not by fixed path:

- posts: ``posts/your_posts_1.json`` (older) or
  ``your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json`` (2023+),
  a top-level list of ``{"timestamp", "data": [{"post", "update_timestamp"}], "attachments",
  "title"}``;
- comments: ``comments/comments.json`` ``{"comments": […]}`` or
  ``…/comments_and_reactions/comments.json`` ``{"comments_v2": […]}``;
- messages: ``messages/inbox/<name>_<id>/message_<n>.json``, ``{"participants",
  "messages": [{"sender_name", "timestamp_ms", "content", "photos", "is_unsent"}], …}``,
  newest first;
- the owner's name: ``profile_information/profile_information.json``.

**Mojibake.** Every string in these files holds UTF-8 bytes written as one ``\\u00XX`` escape
per byte ("Ã¥" for "å"). ``fix_mojibake`` undoes it where, and only where, the string
round-trips: a string with a code point above U+00FF, or whose Latin-1 bytes are not valid
UTF-8, is already text and stays as it is. The raw log keeps the file's own strings; the fix
is part of the (pure) normaliser.

The export has no ids: an item's platform id is derived from what identifies it in the file
(time, thread, sender and a hash of the content), so the same export imported twice gives the
same ids and adds nothing.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import ijson

from insyn.capture.platforms.base import MalformedPayload, MediaRef, NormalizedItem
from insyn.lib.hashing import sha256_hex

from .base import ExportReader, ExportSyntaxError, require, stream_items

_POSTS = re.compile(r"(?:^|/)posts/your_posts[^/]*?(?:_(\d+))?\.json$")
_COMMENTS = re.compile(r"(?:^|/)comments(?:_and_reactions)?/comments\.json$")
_MESSAGES = re.compile(r"(?:^|/)messages/(inbox|archived_threads|filtered_threads|message_requests)/([^/]+)/"
                       r"message_(\d+)\.json$")
_PROFILE = re.compile(r"(?:^|/)profile_information/profile_information\.json$")
_SECTION_ORDER = {"posts": 0, "comments": 1, "messages": 2}
_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp",
         ".mp4": "video/mp4"}


def fix_mojibake(value: str) -> str:
    """Undo Facebook's UTF-8-as-Latin-1 encoding of one string, only where it round-trips."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value  # a code point above U+00FF, or bytes that are not UTF-8: real text


def fix_all(value: Any) -> Any:
    """``fix_mojibake`` on every string of a parsed JSON value, keys included."""
    if isinstance(value, str):
        return fix_mojibake(value)
    if isinstance(value, list):
        return [fix_all(v) for v in value]
    if isinstance(value, dict):
        return {fix_mojibake(k): fix_all(v) for k, v in value.items()}
    return value


def _time(value: Any, where: str, *, ms: bool = False) -> datetime:
    require(isinstance(value, int | float) and not isinstance(value, bool),
            f"{where}: tidsstämpel saknas (missing timestamp)")
    try:
        return datetime.fromtimestamp(value / 1000 if ms else value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedPayload(f"{where}: tidsstämpeln {value!r} går inte att läsa") from exc


def _media(uris: list[Any]) -> tuple[MediaRef, ...]:
    refs = []
    for uri in uris:
        if isinstance(uri, str) and uri:
            refs.append(MediaRef(url=uri, mime_type=_MIME.get(posixpath.splitext(uri)[1].lower(), "")))
    return tuple(refs)


def _digest(*parts: Any) -> str:
    return sha256_hex(json.dumps(parts, ensure_ascii=False, sort_keys=True))[:16]


class FacebookDyi(ExportReader):
    kind = "facebook-dyi"
    label = "Facebook-export"
    platforms = ("facebook_page", "facebook_group")

    def find_members(self) -> list[tuple[str, str]]:
        found = []
        for name in self.source.names:
            if m := _POSTS.search(name):
                found.append(((0, "", int(m.group(1) or 0), name), (name, "posts")))
            elif _COMMENTS.search(name):
                found.append(((1, "", 0, name), (name, "comments")))
            elif m := _MESSAGES.search(name):
                # Threads in name order; within a thread message_1, message_2, … in number order.
                found.append(((2, m.group(1) + "/" + m.group(2), int(m.group(3)), name), (name, "messages")))
        return [entry for _, entry in sorted(found)]

    def not_found_message(self) -> str:
        return (f"{self.source.path}: hittar inga inlägg, kommentarer eller meddelanden i JSON-format – är det en "
                f"Facebook-export (\"Ladda ned din information\", format JSON)? (no posts, comments or messages JSON "
                f"files: not a Facebook 'Download your information' export in JSON)")

    def owner(self, account_external_id: str, account_name: str) -> dict[str, Any]:
        name = account_name
        profile = next((n for n in self.source.names if _PROFILE.search(n)), None)
        if profile:
            try:
                data = fix_all(json.loads(self.source.read(profile, limit=4 * 1024 * 1024)))
                info = data.get("profile_v2") or data.get("profile") or {}
                name = info["name"]["full_name"] or name
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # no usable name in the profile: the account's name decides
        return {"id": account_external_id, "name": name}

    def iter_file(self, fh, name: str, section: str) -> Iterator[Any]:
        if section == "posts":
            yield from stream_items(fh, "item", name)
        elif section == "comments":
            yield from _values_at(fh, name, {"comments.item", "comments_v2.item"})
        else:
            thread = _MESSAGES.search(name).group(2)
            for message in _values_at(fh, name, {"messages.item"}):
                yield {"thread": thread, "message": message}

    def media_member(self, item: NormalizedItem, media_url: str) -> str | None:
        # URIs are relative to the export's root, which may sit inside a folder of the zip.
        for name, _ in self.members:
            for marker in ("your_facebook_activity/", "posts/", "comments/", "messages/"):
                at = name.find(marker)
                if at >= 0:
                    candidate = name[:at] + media_url
                    if self.source.exists(candidate):
                        return candidate
        return media_url if self.source.exists(media_url) else None

    @staticmethod
    def normalise_record(section: str, data: Any, context: dict[str, Any]) -> list[NormalizedItem]:
        data = fix_all(data)
        owner = {k: fix_mojibake(v) if isinstance(v, str) else v for k, v in (context.get("owner") or {}).items()}
        if section == "posts":
            return [_post(data, owner)]
        if section == "comments":
            return [_comment(data, owner)]
        if section == "messages":
            return [_message(data, owner)]
        raise MalformedPayload(f"okänd del av Facebook-exporten: {section!r}")


def _values_at(fh, name: str, wanted: set[str]) -> Iterator[Any]:
    """The values at any of the ``wanted`` ijson prefixes, one by one."""
    builder, at = None, ""
    try:
        for prefix, event, value in ijson.parse(fh, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == at and event in ("end_map", "end_array"):
                    yield builder.value
                    builder = None
                continue
            if prefix in wanted:
                if event in ("start_map", "start_array"):
                    builder, at = ijson.ObjectBuilder(), prefix
                    builder.event(event, value)
                else:
                    yield value
    except ijson.JSONError as exc:
        raise ExportSyntaxError(f"{name}: ogiltig JSON (invalid JSON): {exc}") from exc


def _post(data: Any, owner: dict) -> NormalizedItem:
    require(isinstance(data, dict), "inlägg: inte ett objekt (not an object)")
    created = _time(data.get("timestamp"), "inlägg")
    entries = data.get("data") or []
    require(isinstance(entries, list), "inlägg: data är inte en lista")
    texts = [e["post"] for e in entries if isinstance(e, dict) and isinstance(e.get("post"), str)]
    updated = [e["update_timestamp"] for e in entries if isinstance(e, dict)
               and isinstance(e.get("update_timestamp"), int | float)]
    uris, links = [], []
    attachments = data.get("attachments") or []
    require(isinstance(attachments, list), "inlägg: attachments är inte en lista")
    for attachment in attachments:
        for entry in (attachment.get("data") or []) if isinstance(attachment, dict) else []:
            if not isinstance(entry, dict):
                continue
            media = entry.get("media")
            if isinstance(media, dict) and isinstance(media.get("uri"), str):
                uris.append(media["uri"])
            context = entry.get("external_context")
            if isinstance(context, dict) and isinstance(context.get("url"), str):
                links.append(context["url"])
    title = data.get("title") if isinstance(data.get("title"), str) else ""
    text = "\n".join(texts) or "\n".join(t for t in (title, *links) if t)
    require(bool(text) or bool(uris), "inlägg: varken text eller bilaga (neither text nor attachment)")
    return NormalizedItem(
        platform_id=f"fb-dyi-post-{int(data['timestamp'])}-{_digest(text, uris)}",
        kind="post", direction="upprattad", record_type="own_post", text=text,
        author_id=owner.get("id") or "", author_name=owner.get("name") or "", created_at=created,
        edited_at=_time(max(updated), "inlägg") if updated and max(updated) > data["timestamp"] else None,
        media=_media(uris),
    )


def _comment(data: Any, owner: dict) -> NormalizedItem:
    require(isinstance(data, dict), "kommentar: inte ett objekt (not an object)")
    entries = data.get("data")
    require(isinstance(entries, list) and bool(entries), "kommentar: data saknas")
    comment = entries[0].get("comment") if isinstance(entries[0], dict) else None
    require(isinstance(comment, dict), "kommentar: comment saknas (missing comment)")
    text = comment.get("comment")
    require(isinstance(text, str), "kommentar: texten saknas (missing text)")
    created = _time(comment.get("timestamp", data.get("timestamp")), "kommentar")
    author = comment.get("author") if isinstance(comment.get("author"), str) else owner.get("name") or ""
    return NormalizedItem(
        platform_id=f"fb-dyi-comment-{int(created.timestamp())}-{_digest(author, text)}",
        kind="comment", direction="upprattad", record_type="own_post", text=text,
        author_id=owner.get("id") or "", author_name=author, created_at=created,
    )


def _message(data: Any, owner: dict) -> NormalizedItem:
    require(isinstance(data, dict) and isinstance(data.get("message"), dict), "meddelande: inte ett objekt")
    thread, message = data.get("thread"), data["message"]
    require(isinstance(thread, str) and bool(thread), "meddelande: tråden saknas (missing thread)")
    sender = message.get("sender_name")
    require(isinstance(sender, str) and bool(sender), "meddelande: sender_name saknas (missing sender)")
    created = _time(message.get("timestamp_ms"), "meddelande", ms=True)
    text = message.get("content") if isinstance(message.get("content"), str) else ""
    uris = [p.get("uri") for key in ("photos", "videos", "gifs", "files") for p in (message.get(key) or [])
            if isinstance(p, dict)]
    unsent = message.get("is_unsent") is True
    require(bool(text) or bool(uris) or unsent, "meddelande: varken text eller bilaga (neither text nor attachment)")
    own = sender == owner.get("name")
    return NormalizedItem(
        platform_id=f"fb-dyi-msg-{thread}-{int(message['timestamp_ms'])}-{_digest(sender, text, uris)}",
        kind="message", direction="upprattad" if own else "inkommen", record_type="direct_message", text=text,
        author_id=(owner.get("id") or "") if own else "", author_name=sender, created_at=created,
        thread_platform_id=f"fb-dyi-thread-{thread}", state="deleted_on_platform" if unsent else None,
        media=_media(uris),
    )
