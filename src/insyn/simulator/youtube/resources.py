"""The Data API's resources as JSON: channel, playlistItem, video, comment, commentThread.

Shapes from developers.google.com/youtube/v3/docs (each resource's page) and
../shared/reference/platform-apis.md §3.1. A mixin: the app supplies ``self.store``.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

from ..store.youtube import YouTubeStore, yt_time

INLINED_REPLIES = 5  # commentThreads inline "a subset" of the replies


class ResourceViews:
    store: YouTubeStore

    def _channel_json(self, channel: dict, parts: set[str]) -> dict:
        data: dict[str, Any] = {
            "kind": "youtube#channel",
            "etag": etag(channel["id"]),
            "id": channel["id"],
        }
        if "snippet" in parts:
            data["snippet"] = {
                "title": channel["title"],
                "description": "",
                "customUrl": channel["handle"],
                "publishedAt": yt_time(channel["created"]),
                "thumbnails": {},
                "localized": {"title": channel["title"], "description": ""},
                "country": "SE",
            }
        if "contentDetails" in parts:
            data["contentDetails"] = {
                "relatedPlaylists": {"likes": "", "uploads": channel["uploads"]}
            }
        return data

    def _playlist_item_json(
        self, video: dict, channel: dict, position: int, parts: set[str]
    ) -> dict:
        data: dict[str, Any] = {
            "kind": "youtube#playlistItem",
            "etag": etag(video["id"], position),
            "id": base64.urlsafe_b64encode(f"{channel['uploads']}.{video['id']}".encode())
            .decode()
            .rstrip("="),
        }
        if "snippet" in parts:
            data["snippet"] = {
                "publishedAt": yt_time(video["published"]),
                "channelId": channel["id"],
                "title": video["title"],
                "description": video["description"],
                "thumbnails": _thumbnails(video["id"]),
                "channelTitle": channel["title"],
                "playlistId": channel["uploads"],
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": video["id"]},
                "videoOwnerChannelTitle": channel["title"],
                "videoOwnerChannelId": channel["id"],
            }
        if "contentDetails" in parts:
            data["contentDetails"] = {
                "videoId": video["id"],
                "videoPublishedAt": yt_time(video["published"]),
            }
        if "status" in parts:
            data["status"] = {"privacyStatus": "public"}
        return data

    def _video_json(self, video: dict, parts: set[str]) -> dict:
        channel = self.store.channels[video["channel_id"]]
        data: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": etag(video["id"]),
            "id": video["id"],
        }
        if "snippet" in parts:
            data["snippet"] = {
                "publishedAt": yt_time(video["published"]),
                "channelId": channel["id"],
                "title": video["title"],
                "description": video["description"],
                "thumbnails": _thumbnails(video["id"]),
                "channelTitle": channel["title"],
                "categoryId": "27",
                "liveBroadcastContent": "none",
                "defaultAudioLanguage": "sv",
            }
        if "statistics" in parts:
            count = sum(
                1
                for c in self.store.comments.values()
                if c["video_id"] == video["id"]
                and c["deleted"] is None
                and c["status"] == "published"
            )
            data["statistics"] = {"viewCount": "0", "likeCount": "0", "commentCount": str(count)}
        return data

    def _comment_json(
        self, comment: dict, *, owner: bool, html_text: bool, viewer: str = ""
    ) -> dict:
        author = self.store.users.get(comment["author_id"], {"name": "", "handle": ""})
        text = comment["text"]
        snippet: dict[str, Any] = {
            "channelId": comment["channel_id"],
            "videoId": comment["video_id"],
            "textDisplay": html.escape(text).replace("\n", "<br>") if html_text else text,
            "authorDisplayName": author["handle"] or author["name"],
            "authorProfileImageUrl": f"https://yt3.ggpht.example/{comment['author_id']}=s48",
            "authorChannelUrl": f"http://www.youtube.com/{author['handle']}",
            "authorChannelId": {"value": comment["author_id"]},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": comment["likes"],
            "publishedAt": yt_time(comment["published"]),
            "updatedAt": yt_time(comment["updated"]),
        }
        if comment["parent_id"]:
            snippet["parentId"] = comment["parent_id"]
        if comment["author_id"] == viewer:
            # returned only to the comment's author (docs/comments#snippet.textOriginal)
            snippet["textOriginal"] = text
        if owner:  # an owner-authorised list, not a by-id lookup
            snippet["moderationStatus"] = comment["status"]
        return {
            "kind": "youtube#comment",
            "etag": etag(comment["id"], comment["updated"]),
            "id": comment["id"],
            "snippet": snippet,
        }

    def _thread_json(
        self,
        top: dict,
        parts: set[str],
        *,
        owner: bool,
        html_text: bool,
        by_id: bool = False,
        viewer: str = "",
    ) -> dict:
        replies = self.store.replies_of(top["id"])
        data: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": etag(top["id"], len(replies)),
            "id": top["id"],
        }
        if "snippet" in parts:
            data["snippet"] = {
                "channelId": top["channel_id"],
                "videoId": top["video_id"],
                "topLevelComment": self._comment_json(
                    top, owner=owner and not by_id, html_text=html_text, viewer=viewer
                ),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            }
        if "replies" in parts and replies:
            data["replies"] = {
                "comments": [
                    self._comment_json(r, owner=False, html_text=html_text, viewer=viewer)
                    for r in replies[:INLINED_REPLIES]
                ]
            }
        return data


def _thumbnails(video_id: str) -> dict:
    return {
        "default": {
            "url": f"https://i.ytimg.example/vi/{video_id}/default.jpg",
            "width": 120,
            "height": 90,
        },
        "high": {
            "url": f"https://i.ytimg.example/vi/{video_id}/hqdefault.jpg",
            "width": 480,
            "height": 360,
        },
    }


def etag(*parts: Any) -> str:
    raw = json.dumps([str(p) for p in parts]).encode()
    return base64.urlsafe_b64encode(raw[-27:]).decode().rstrip("=")
