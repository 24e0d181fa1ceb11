"""The pure half of the Bluesky module: one XRPC response in, items and signals out.

Written from the lexicons (bluesky-social/atproto ``lexicons/app/bsky/feed/defs.json``
— postView, feedViewPost, threadViewPost, notFoundPost, blockedPost, threadgateView —,
``feed/post.json``, ``feed/threadgate.json``, ``notification/listNotifications.json``,
``embed/{images,external,record,recordWithMedia,video}.json``, ``richtext/facet.json``).

``context["endpoint"]`` says which response a body is:

- ``author_feed`` (``app.bsky.feed.getAuthorFeed``): the account's own posts and replies.
  A repost of someone else's post (``reason: #reasonRepost``) is not ours and is skipped, as
  are the ``reply.root``/``reply.parent`` views beside a post (they reach us, if they concern
  us, through notifications or threads).
- ``notifications`` (``app.bsky.notification.listNotifications``): ``reply``, ``mention`` and
  ``quote`` notifications carry the whole post record; likes, reposts and follows are not
  records of anything said to the authority and are skipped.
- ``thread`` (``app.bsky.feed.getPostThread`` on one of our posts): every post in the tree.
  A ``notFoundPost`` is a deletion signal; the thread's ``threadgate`` says which replies the
  root's author has hidden, so every post in the tree gets ``hidden`` or ``visible``. A 400
  ``NotFound`` body (the root itself is gone) is a deletion signal for ``context["uri"]``.
- ``posts`` (``app.bsky.feed.getPosts``, a re-read): the posts returned.

Items are keyed by AT URI; ``url`` is the bsky.app address by DID (a handle can change, a DID
does not). Bluesky has no edit feature, but a record rewritten with ``putRecord`` gets a new
CID and text, which the archive keeps as a new version. ``created_at`` is the record's own
``createdAt`` (client-chosen); the archive's inkommen time is our receive time regardless.
"""

from __future__ import annotations

from typing import Any

from ..base import MalformedPayload, MediaRef, Normalised, NormalizedItem, StateSignal
from ..readers import as_str, expect_list, load_json, normalise_safely, parse_time

POST = "app.bsky.feed.post"
CAPTURED_REASONS = ("reply", "mention", "quote")
NOT_FOUND_ERRORS = ("NotFound", "RecordNotFound")
WEB = "https://bsky.app"


def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    """Read one page; raises MalformedPayload and nothing else."""
    return normalise_safely("bluesky", _normalise, body, context)


def _normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    if not isinstance(context, dict):
        raise MalformedPayload("bluesky: context is not a mapping")
    if not isinstance(body, (bytes, bytearray)):
        raise MalformedPayload("bluesky: body is not bytes")
    data = load_json("bluesky", body)
    if not isinstance(data, dict):
        raise MalformedPayload("bluesky: response is not an object")
    account = as_str(context.get("account_external_id"))
    endpoint = context.get("endpoint")

    if isinstance(data.get("error"), str):
        uri = as_str(context.get("uri"))
        if endpoint in ("thread", "posts") and data["error"] in NOT_FOUND_ERRORS and _post_uri(uri):
            return Normalised(signals=[StateSignal(uri, "deleted_on_platform")])
        raise MalformedPayload(f"bluesky: error body {data['error'][:100]!r}")

    if endpoint == "author_feed":
        out = Normalised()
        for entry in expect_list("bluesky", data.get("feed"), "feed"):
            if not isinstance(entry, dict) or not isinstance(entry.get("post"), dict):
                raise MalformedPayload("bluesky: feed entry without a post")
            reason = entry.get("reason")
            if isinstance(reason, dict) and str(reason.get("$type", "")).endswith("#reasonRepost"):
                continue
            item = post_item(entry["post"], account)
            if item.author_id == account or not account:
                out.items.append(item)
        return _unique(out)
    if endpoint == "notifications":
        out = Normalised()
        for notification in expect_list("bluesky", data.get("notifications"), "notifications"):
            if not isinstance(notification, dict):
                raise MalformedPayload("bluesky: notification is not an object")
            if notification.get("reason") not in CAPTURED_REASONS:
                continue
            out.items.append(
                _item(
                    notification.get("uri"),
                    notification.get("author"),
                    notification.get("record"),
                    notification.get("indexedAt"),
                    None,
                    account,
                    None,
                )
            )
        return _unique(out)
    if endpoint == "thread":
        thread = data.get("thread")
        if not isinstance(thread, dict):
            raise MalformedPayload("bluesky: thread is not an object")
        gate = data.get("threadgate")
        hidden = set()
        if isinstance(gate, dict) and isinstance(gate.get("record"), dict):
            hidden = {u for u in gate["record"].get("hiddenReplies") or [] if isinstance(u, str)}
        out = Normalised()
        _walk(thread, account, hidden, out, depth=0)
        return _unique(out)
    if endpoint == "posts":
        posts = expect_list("bluesky", data.get("posts"), "posts")
        out = Normalised(items=[post_item(p, account) for p in posts])
        requested = context.get("uris")
        if isinstance(requested, list):
            # getPosts leaves out what no longer exists: a re-read that misses a post is a deletion.
            returned = {i.platform_id for i in out.items}
            out.signals = [
                StateSignal(u, "deleted_on_platform")
                for u in requested
                if isinstance(u, str) and _post_uri(u) and u not in returned
            ]
        return _unique(out)
    raise MalformedPayload(f"bluesky: unknown endpoint {str(endpoint)[:50]!r}")


def _walk(node: dict, account: str, hidden: set[str], out: Normalised, depth: int) -> None:
    if depth > 2000:
        raise MalformedPayload("bluesky: thread nested too deeply")
    kind = as_str(node.get("$type"))
    if kind.endswith("#notFoundPost") or node.get("notFound") is True:
        uri = as_str(node.get("uri"))
        if _post_uri(uri):
            out.signals.append(StateSignal(uri, "deleted_on_platform"))
        return
    if kind.endswith("#blockedPost") or node.get("blocked") is True:
        return  # we may not see it; its absence says nothing
    if not isinstance(node.get("post"), dict):
        raise MalformedPayload("bluesky: thread node without a post")
    item = post_item(node["post"], account)
    state = "hidden" if item.platform_id in hidden else "visible"
    out.items.append(_with_state(item, state))
    parent = node.get("parent")
    if isinstance(parent, dict):
        _walk(parent, account, hidden, out, depth + 1)
    for reply in node.get("replies") or []:
        if not isinstance(reply, dict):
            raise MalformedPayload("bluesky: thread reply is not an object")
        _walk(reply, account, hidden, out, depth + 1)


def post_item(view: dict, account: str) -> NormalizedItem:
    """A ``postView`` as an item (state unknown: a post view does not say whether it is hidden)."""
    if not isinstance(view, dict):
        raise MalformedPayload("bluesky: post view is not an object")
    return _item(
        view.get("uri"),
        view.get("author"),
        view.get("record"),
        view.get("indexedAt"),
        view.get("embed"),
        account,
        None,
    )


def _item(
    uri: Any,
    author: Any,
    record: Any,
    indexed_at: Any,
    embed_view: Any,
    account: str,
    state: str | None,
) -> NormalizedItem:
    parts = _post_uri(uri)
    if not parts:
        raise MalformedPayload(f"bluesky: not a post's at-uri: {str(uri)[:100]!r}")
    if not isinstance(author, dict) or not as_str(author.get("did")).startswith("did:"):
        raise MalformedPayload("bluesky: post without an author did")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise MalformedPayload("bluesky: post without a record text")
    did = author["did"]
    if did != parts[0]:
        raise MalformedPayload("bluesky: the author is not the repository the post lives in")
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    parent = _ref_uri(reply.get("parent"))
    root = _ref_uri(reply.get("root"))
    own = bool(account) and did == account
    if own:
        kind, direction, record_type = ("reply" if parent else "post"), "upprattad", "own_post"
    elif not parent:
        kind, direction, record_type = "post", "inkommen", "public_comment"  # a mention or a quote
    elif account and _did_of(parent) == account:
        kind, direction, record_type = "comment", "inkommen", "public_comment"  # a reply to us
    else:
        kind, direction, record_type = (
            "reply",
            "inkommen",
            "public_comment",
        )  # a reply to someone else
    return NormalizedItem(
        platform_id=uri,
        kind=kind,  # type: ignore[arg-type]
        direction=direction,  # type: ignore[arg-type]
        record_type=record_type,  # type: ignore[arg-type]
        text=_text(record),
        author_id=did,
        author_name=(
            as_str(author.get("displayName")).strip() or as_str(author.get("handle")) or did
        ),
        created_at=parse_time(record.get("createdAt")) or parse_time(indexed_at),
        parent_platform_id=parent,
        thread_platform_id=root or uri,
        state=state,  # type: ignore[arg-type]
        url=web_url(uri),
        media=_media(embed_view, record.get("embed"), did),
    )


def _with_state(item: NormalizedItem, state: str) -> NormalizedItem:
    from dataclasses import replace

    return replace(item, state=state)  # type: ignore[arg-type]


def _unique(out: Normalised) -> Normalised:
    """One item per URI (a page can show a post twice, e.g. a thread's parent and a reply)."""
    seen: dict[str, int] = {}
    items: list[NormalizedItem] = []
    for item in out.items:
        if item.platform_id in seen:
            if item.state and not items[seen[item.platform_id]].state:
                items[seen[item.platform_id]] = item
            continue
        seen[item.platform_id] = len(items)
        items.append(item)
    signals = {s.platform_id: s for s in out.signals if s.platform_id not in seen}
    return Normalised(items=items, signals=list(signals.values()))


def _text(record: dict) -> str:
    """The post's text, then what a reader of the archive needs to know it pointed at: the full
    addresses of shortened links, an external card's link, and the post it quotes."""
    text = record["text"]
    extra: list[str] = []
    for facet in record.get("facets") or []:
        for feature in (facet.get("features") or []) if isinstance(facet, dict) else []:
            if isinstance(feature, dict) and feature.get("$type") == "app.bsky.richtext.facet#link":
                link = as_str(feature.get("uri"))
                if link and link not in text and link not in extra:
                    extra.append(link)
    embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        inner = embed.get("record") if isinstance(embed.get("record"), dict) else {}
        quoted = _ref_uri(inner.get("record"))
    else:
        quoted = (
            _ref_uri(embed.get("record")) if embed.get("$type") == "app.bsky.embed.record" else None
        )
    external = embed.get("external") if isinstance(embed.get("external"), dict) else {}
    link = as_str(external.get("uri"))
    if link and link not in text and link not in extra:
        extra.append(link)
    if quoted:
        extra.append(f"[Citerar {web_url(quoted) if _post_uri(quoted) else quoted}]")
    return "\n\n".join([text, *extra]) if extra else text


def _media(view: Any, embed: Any, did: str) -> tuple[MediaRef, ...]:
    """Images and video from the embed view (CDN addresses), else from the record's blobs."""
    refs: list[MediaRef] = []
    if isinstance(view, dict):
        kind = as_str(view.get("$type"))
        if kind == "app.bsky.embed.recordWithMedia#view":
            return _media(view.get("media"), None, did)
        if kind == "app.bsky.embed.images#view":
            for image in view.get("images") or []:
                if isinstance(image, dict) and as_str(image.get("fullsize")):
                    refs.append(MediaRef(url=image["fullsize"], mime_type="image/jpeg"))
        elif kind == "app.bsky.embed.video#view" and as_str(view.get("playlist")):
            refs.append(
                MediaRef(
                    url=view["playlist"],
                    mime_type="application/x-mpegURL",
                    platform_id=as_str(view.get("cid")),
                )
            )
        return tuple(refs)
    if isinstance(embed, dict):
        kind = as_str(embed.get("$type"))
        if kind == "app.bsky.embed.recordWithMedia":
            return _media(None, embed.get("media"), did)
        blobs = []
        if kind == "app.bsky.embed.images":
            blobs = [i.get("image") for i in embed.get("images") or [] if isinstance(i, dict)]
        elif kind == "app.bsky.embed.video":
            blobs = [embed.get("video")]
        for blob in blobs:
            if not isinstance(blob, dict):
                continue
            ref = blob.get("ref")
            cid = as_str(ref.get("$link")) if isinstance(ref, dict) else as_str(blob.get("cid"))
            if cid:
                # com.atproto.sync.getBlob on the author's PDS serves it; the CDN path is stable.
                refs.append(
                    MediaRef(
                        url=f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg",
                        mime_type=as_str(blob.get("mimeType")),
                        platform_id=cid,
                    )
                )
    return tuple(refs)


# --- small readers ------------------------------------------------------------------------


def _post_uri(value: Any) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of a post's ``at://did/app.bsky.feed.post/rkey``."""
    if not isinstance(value, str) or not value.startswith("at://did:"):
        return None
    parts = value[5:].split("/")
    if len(parts) != 3 or parts[1] != POST or not parts[2] or not parts[0][4:]:
        return None
    return parts[0], parts[1], parts[2]


def _ref_uri(ref: Any) -> str | None:
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if isinstance(uri, str) and uri.startswith("at://") else None


def _did_of(uri: str) -> str:
    return uri[5:].split("/", 1)[0] if uri.startswith("at://") else ""


def web_url(uri: str) -> str:
    parts = _post_uri(uri)
    return f"{WEB}/profile/{parts[0]}/post/{parts[2]}" if parts else ""
