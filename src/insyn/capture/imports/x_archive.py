"""The X (Twitter) account archive: ``data/tweets.js``, the direct messages and the media.

Format (../shared/reference/platform-apis.md §6.2): every data file is JavaScript,
``window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]``; large archives add ``tweets-part1.js``
(``…part1``), older ones use ``tweet.js``. ``account.js`` names the account,
``direct-messages.js`` / ``direct-messages-group.js`` hold
``[{"dmConversation": {"conversationId", "messages": [{"messageCreate": {…}}]}}]``, and the
files of attached media sit in ``data/tweets_media/<tweet id>-<file name>`` and
``data/direct_messages_media/<message id>-<file name>``. The archive holds only the account's
own tweets (replies from other accounts are not in it) and both sides of its messages.

Parsed without evaluating anything: the ``window.YTD.… =`` prefix is skipped and the array
is streamed with ijson, one element at a time.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import ijson

from insyn.capture.platforms.base import MalformedPayload, MediaRef, NormalizedItem

from .base import (
    ExportReader,
    ExportSyntaxError,
    JsAssignmentReader,
    WrongExport,
    require,
    stream_items,
    text_field,
)

_TWEETS = re.compile(r"(?:^|/)(?:data/)?(tweets?)(?:-part(\d+))?\.js$")
_DMS = re.compile(r"(?:^|/)(?:data/)?direct-messages(-group)?(?:-part(\d+))?\.js$")
_ACCOUNT = re.compile(r"(?:^|/)(?:data/)?account\.js$")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                       "Dec"), start=1)}
_DM_MESSAGE = "item.dmConversation.messages.item"
_DM_CONVERSATION = "item.dmConversation.conversationId"


def parse_x_time(value: Any, where: str) -> datetime:
    """``Sat Mar 01 09:15:02 +0000 2025`` (tweets) or ISO 8601 (messages), as aware UTC."""
    require(isinstance(value, str), f"{where}: tidpunkt saknas (created_at missing)")
    try:
        if value[:4].isdigit():  # ISO 8601 (messages)
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            _, month, day, clock, offset, year = value.split()
            hour, minute, second = (int(p) for p in clock.split(":"))
            parsed = datetime.strptime(f"{year}-{_MONTHS[month]:02d}-{int(day):02d} {hour:02d}:{minute:02d}:"
                                       f"{second:02d} {offset}", "%Y-%m-%d %H:%M:%S %z")
    except (ValueError, KeyError) as exc:
        raise MalformedPayload(f"{where}: tidpunkten {value!r} går inte att läsa (unreadable time)") from exc
    require(parsed.tzinfo is not None, f"{where}: tidpunkten saknar tidszon (time without zone)")
    return parsed.astimezone(UTC)


def _unescape(text: str) -> str:
    # The archive's full_text is HTML-escaped as in the v1.1 API (&amp; &lt; &gt; only).
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _guess_mime(url: str) -> str:
    ext = posixpath.splitext(urlsplit(url).path)[1].lower()
    return {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
            ".webp": "image/webp", ".mp4": "video/mp4"}.get(ext, "")


def _tweet_media(tweet: dict) -> tuple[MediaRef, ...]:
    entities = tweet.get("extended_entities") or tweet.get("entities") or {}
    refs = []
    for media in entities.get("media") or [] if isinstance(entities, dict) else []:
        if not isinstance(media, dict):
            continue
        url = media.get("media_url_https") or media.get("media_url") or ""
        variants = (media.get("video_info") or {}).get("variants") or []
        mp4 = [v for v in variants if isinstance(v, dict) and v.get("content_type") == "video/mp4" and v.get("url")]
        if mp4:  # a video or GIF: the archive keeps the best mp4, named after its URL
            url = max(mp4, key=lambda v: int(v.get("bitrate") or 0))["url"]
        if isinstance(url, str) and url:
            refs.append(MediaRef(url=url, mime_type=_guess_mime(url), platform_id=str(media.get("id_str") or "")))
    return tuple(refs)


class XArchive(ExportReader):
    kind = "x-archive"
    label = "X-arkiv"
    platforms = ("x",)

    def find_members(self) -> list[tuple[str, str]]:
        tweets, dms = [], []
        for name in self.source.names:
            if m := _TWEETS.search(name):
                tweets.append(((int(m.group(2) or 0), name), (name, "tweets")))
            elif m := _DMS.search(name):
                dms.append(((bool(m.group(1)), int(m.group(2) or 0), name), (name, "direct_messages")))
        return [entry for _, entry in sorted(tweets)] + [entry for _, entry in sorted(dms)]

    def not_found_message(self) -> str:
        return (f"{self.source.path}: hittar varken data/tweets.js eller direct-messages.js – är det ett X-arkiv? "
                f"(no data/tweets.js or direct-messages.js: not an X archive)")

    def check_member(self, name: str, section: str) -> None:
        with self.source.open(name) as fh:
            JsAssignmentReader(fh, name)

    def owner(self, account_external_id: str, account_name: str) -> dict[str, Any]:
        owner = {"id": account_external_id, "username": "", "name": account_name}
        account_file = next((n for n in self.source.names if _ACCOUNT.search(n)), None)
        if account_file:
            reader = JsAssignmentReader(self.source.open(account_file), account_file)
            try:
                entries = json.loads(reader.read())
                info = entries[0]["account"]
                archive_id, username = str(info["accountId"]), str(info.get("username") or "")
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise ExportSyntaxError(f"{account_file}: går inte att läsa (unreadable): {exc}") from exc
            finally:
                reader.close()
            if account_external_id and archive_id != account_external_id:
                raise WrongExport(f"Arkivet tillhör @{username} (id {archive_id}), inte det valda kontot "
                                  f"(id {account_external_id}). (The archive belongs to another account.)")
            owner.update(id=archive_id, username=username, name=str(info.get("accountDisplayName") or account_name))
        if not owner["id"] and any(section == "direct_messages" for _, section in self.members):
            raise WrongExport("Arkivet saknar account.js och kontot har inget plattforms-id, så det går inte att "
                              "avgöra vilka meddelanden som är kontots egna. (No account.js and no account id.)")
        return owner

    def iter_file(self, fh, name: str, section: str) -> Iterator[Any]:
        reader = JsAssignmentReader(fh, name)
        if section == "tweets":
            yield from stream_items(reader, "item", name)
        else:
            yield from _dm_messages(reader, name)

    def media_member(self, item: NormalizedItem, media_url: str) -> str | None:
        folder = "tweets_media" if item.kind != "message" else "direct_messages_media"
        base = posixpath.basename(urlsplit(media_url).path)
        if not base:
            return None
        for tweets_file, _ in self.members:
            root = tweets_file[: tweets_file.rfind("/") + 1] if "/" in tweets_file else ""
            candidate = f"{root}{folder}/{item.platform_id}-{base}"
            if self.source.exists(candidate):
                return candidate
        return None

    @staticmethod
    def normalise_record(section: str, data: Any, context: dict[str, Any]) -> list[NormalizedItem]:
        if section == "tweets":
            return [_tweet(data, context)]
        if section == "direct_messages":
            return _direct_message(data, context)
        raise MalformedPayload(f"okänd del av X-arkivet: {section!r}")


def _dm_messages(fh, name: str) -> Iterator[dict]:
    """The messages of direct-messages.js one by one, each with its conversation id:
    ``{"conversationId": …, "message": {"messageCreate": {…}}}``. A conversation with a
    hundred thousand messages is never held in memory at once."""
    conversation = None
    builder, depth_prefix = None, ""
    try:
        for prefix, event, value in ijson.parse(fh, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == depth_prefix and event in ("end_map", "end_array"):
                    yield {"conversationId": conversation, "message": builder.value}
                    builder = None
                continue
            if prefix == "item" and event == "start_map":
                conversation = None
            elif prefix == _DM_CONVERSATION and event in ("string", "number"):
                conversation = str(value)
            elif prefix == _DM_MESSAGE:
                if event in ("start_map", "start_array"):
                    builder, depth_prefix = ijson.ObjectBuilder(), prefix
                    builder.event(event, value)
                else:
                    yield {"conversationId": conversation, "message": value}
    except ijson.JSONError as exc:
        raise ExportSyntaxError(f"{name}: ogiltig JSON (invalid JSON): {exc}") from exc


def _tweet(data: Any, context: dict[str, Any]) -> NormalizedItem:
    tweet = data.get("tweet", data) if isinstance(data, dict) else None
    require(isinstance(tweet, dict), "tweet: inte ett objekt (not an object)")
    tweet_id = str(tweet.get("id_str") or tweet.get("id") or "")
    require(tweet_id.isdigit(), "tweet: id_str saknas (missing id)")
    where = f"tweet {tweet_id}"
    text = tweet.get("full_text", tweet.get("text"))
    require(isinstance(text, str), f"{where}: full_text saknas (missing text)")
    created = parse_x_time(tweet.get("created_at"), where)
    parent = tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id") or None
    parent = str(parent) if parent else None
    owner = context.get("owner") or {}
    username = owner.get("username") or ""
    return NormalizedItem(
        platform_id=tweet_id,
        kind="reply" if parent else "post",
        direction="upprattad",
        record_type="own_post",
        text=_unescape(text),
        author_id=owner.get("id") or "",
        author_name=username or owner.get("name") or "",
        created_at=created,
        parent_platform_id=parent,
        thread_platform_id=parent or tweet_id,
        url=f"https://x.com/{username}/status/{tweet_id}" if username else "",
        media=_tweet_media(tweet),
    )


def _direct_message(data: Any, context: dict[str, Any]) -> list[NormalizedItem]:
    require(isinstance(data, dict), "meddelande: inte ett objekt (not an object)")
    conversation, event = data.get("conversationId"), data.get("message")
    require(isinstance(event, dict), "meddelande: inte ett objekt (not an object)")
    message = event.get("messageCreate")
    if message is None:
        # Other conversation events (joinConversation, participantsLeave, …) hold no text.
        return []
    require(isinstance(message, dict), "meddelande: messageCreate är inte ett objekt")
    message_id = str(message.get("id") or "")
    require(bool(message_id), "meddelande: id saknas (missing id)")
    where = f"meddelande {message_id}"
    require(isinstance(conversation, str) and bool(conversation), f"{where}: conversationId saknas")
    sender = str(message.get("senderId") or "")
    require(bool(sender), f"{where}: senderId saknas (missing sender)")
    text = text_field(message, "text", where, required=False)
    media = tuple(MediaRef(url=u, mime_type=_guess_mime(u)) for u in message.get("mediaUrls") or []
                  if isinstance(u, str) and u)
    require(bool(text) or bool(media), f"{where}: varken text eller bilaga (neither text nor media)")
    owner = context.get("owner") or {}
    own = sender == str(owner.get("id") or "")
    return [NormalizedItem(
        platform_id=message_id,
        kind="message",
        direction="upprattad" if own else "inkommen",
        record_type="direct_message",
        text=_unescape(text),
        author_id=sender,
        author_name=(owner.get("username") or owner.get("name") or "") if own else "",
        created_at=parse_x_time(message.get("createdAt"), where),
        thread_platform_id=conversation,
        media=media,
    )]
