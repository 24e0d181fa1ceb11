"""WordPress's wire formats: REST API JSON for posts and comments, RSS 2.0 and Atom feeds.

Shapes follow developer.wordpress.org/rest-api/reference/posts and /comments (view and edit
contexts) and WordPress's feed templates (wp-includes/feed-rss2.php, feed-rss2-comments.php,
feed-atom.php, feed-atom-comments.php).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email.utils import format_datetime

from .store import BlogStore, WpComment, WpPost, wp_gmt, wp_local

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )


def wpautop(text: str) -> str:
    """Plain text as WordPress renders it: escaped, ``<p>`` per paragraph, ``<br />`` per line."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br />\n".join(esc(line) for line in p.split("\n")) + "</p>\n" for p in paragraphs
    )


def cdata(text: str) -> str:
    return "<![CDATA[" + _XML_BAD.sub("", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def xml_text(text: str) -> str:
    return esc(_XML_BAD.sub("", text))


def rfc822(t: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(t), UTC), usegmt=False).replace(
        "-0000", "+0000"
    )


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Urls:
    def __init__(self, home: str) -> None:
        self.home = home.rstrip("/")

    def api(self, route: str = "") -> str:
        return f"{self.home}/wp-json{route}"

    def permalink(self, post: WpPost) -> str:
        day = datetime.fromtimestamp(int(post.date), UTC)
        return f"{self.home}/{day:%Y/%m/%d}/{post.slug}/"

    def guid(self, post: WpPost) -> str:
        return f"{self.home}/?p={post.id}"

    def comment_link(self, post: WpPost, comment: WpComment) -> str:
        return f"{self.permalink(post)}#comment-{comment.id}"


def post_json(store: BlogStore, post: WpPost, urls: Urls, *, edit: bool) -> dict:
    rendered = wpautop(post.content)
    excerpt = wpautop(post.content.split("\n\n", 1)[0][:200])
    data = {
        "id": post.id,
        "date": wp_local(post.date),
        "date_gmt": wp_gmt(post.date),
        "guid": {"rendered": urls.guid(post)},
        "modified": wp_local(post.modified),
        "modified_gmt": wp_gmt(post.modified),
        "slug": post.slug,
        "status": post.status,
        "type": "post",
        "link": urls.permalink(post),
        "title": {"rendered": esc(post.title)},
        "content": {"rendered": rendered, "protected": False},
        "excerpt": {"rendered": excerpt, "protected": False},
        "author": post.author,
        "featured_media": 0,
        "comment_status": post.comment_status,
        "ping_status": "closed",
        "sticky": False,
        "template": "",
        "format": "standard",
        "meta": {"footnotes": ""},
        "categories": [1],
        "tags": [],
        "class_list": [f"post-{post.id}", "post", "type-post", f"status-{post.status}"],
        "_links": {
            "self": [{"href": urls.api(f"/wp/v2/posts/{post.id}")}],
            "collection": [{"href": urls.api("/wp/v2/posts")}],
            "author": [{"embeddable": True, "href": urls.api(f"/wp/v2/users/{post.author}")}],
            "replies": [{"embeddable": True, "href": urls.api(f"/wp/v2/comments?post={post.id}")}],
        },
    }
    if edit:
        data["guid"]["raw"] = urls.guid(post)
        data["title"]["raw"] = post.title
        data["content"]["raw"] = post.content
        data["content"]["block_version"] = 0
        data["excerpt"]["raw"] = ""
        data["password"] = ""
        data["permalink_template"] = urls.permalink(post).replace(post.slug, "%postname%")
        data["generated_slug"] = post.slug
    return data


def comment_json(store: BlogStore, comment: WpComment, urls: Urls, *, edit: bool) -> dict:
    post = store.posts[comment.post]
    avatar = (
        "https://secure.gravatar.com/avatar/"
        + hashlib.sha256(comment.author_email.lower().encode()).hexdigest()
    )
    data = {
        "id": comment.id,
        "post": comment.post,
        "parent": comment.parent,
        "author": comment.author,
        "author_name": comment.author_name,
        "author_url": "",
        "date": wp_local(comment.date),
        "date_gmt": wp_gmt(comment.date),
        "content": {"rendered": wpautop(comment.content)},
        "link": urls.comment_link(post, comment),
        "status": comment.status,
        "type": "comment",
        "author_avatar_urls": {size: f"{avatar}?s={size}&d=mm&r=g" for size in ("24", "48", "96")},
        "meta": [],
        "_links": {
            "self": [{"href": urls.api(f"/wp/v2/comments/{comment.id}")}],
            "collection": [{"href": urls.api("/wp/v2/comments")}],
            "up": [
                {
                    "embeddable": True,
                    "post_type": "post",
                    "href": urls.api(f"/wp/v2/posts/{comment.post}"),
                }
            ],
        },
    }
    if comment.parent:
        data["_links"]["in-reply-to"] = [
            {"embeddable": True, "href": urls.api(f"/wp/v2/comments/{comment.parent}")}
        ]
    if edit:
        data["author_email"] = comment.author_email
        data["author_ip"] = "127.0.0.1"
        data["author_user_agent"] = "Mozilla/5.0"
        data["content"]["raw"] = comment.content
    return data


# --- feeds ---------------------------------------------------------------------------------------

RSS_NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
    'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/"'
)
GENERATOR = "https://wordpress.org/?v=6.7.2"


def posts_rss(
    store: BlogStore, posts: list[WpPost], urls: Urls, self_url: str, build: float
) -> str:
    items = []
    for post in posts:
        count = sum(
            1
            for c in store.comments.values()
            if c.post == post.id and not c.deleted and c.status == "approved"
        )
        author = store.users[post.author].name if post.author in store.users else ""
        link = urls.permalink(post)
        items.append(
            f"\t<item>\n\t\t<title>{xml_text(post.title)}</title>\n\t\t<link>{xml_text(link)}</link>\n"
            f"\t\t<comments>{xml_text(link)}#respond</comments>\n\t\t<dc:creator>{cdata(author)}</dc:creator>\n"
            f"\t\t<pubDate>{rfc822(post.date)}</pubDate>\n\t\t<category>{cdata('Okategoriserade')}</category>\n"
            f'\t\t<guid isPermaLink="false">{xml_text(urls.guid(post))}</guid>\n'
            f"\t\t<description>{cdata(post.content.split(chr(10))[0][:200] + ' [&#8230;]')}</description>\n"
            f"\t\t<content:encoded>{cdata(wpautop(post.content))}</content:encoded>\n"
            f"\t\t<wfw:commentRss>{xml_text(link)}feed/</wfw:commentRss>\n\t\t<slash:comments>{count}</slash:comments>\n"
            "\t</item>\n"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n\t{RSS_NS}\n\t>\n\n<channel>\n'
        f"\t<title>{xml_text(store.title)}</title>\n"
        f'\t<atom:link href="{xml_text(self_url)}" rel="self" type="application/rss+xml" />\n'
        f"\t<link>{xml_text(urls.home)}</link>\n\t<description>{xml_text(store.description)}</description>\n"
        f"\t<lastBuildDate>{rfc822(build)}</lastBuildDate>\n\t<language>sv-SE</language>\n"
        "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
        f"\t<generator>{GENERATOR}</generator>\n" + "".join(items) + "\t</channel>\n</rss>\n"
    )


def comments_rss(
    store: BlogStore,
    post: WpPost,
    comments: list[WpComment],
    urls: Urls,
    self_url: str,
    build: float,
) -> str:
    items = []
    for comment in comments:
        items.append(
            f"\t<item>\n\t\t<title>{xml_text('Av: ' + comment.author_name)}</title>\n"
            f"\t\t<link>{xml_text(urls.comment_link(post, comment))}</link>\n"
            f"\t\t<dc:creator>{cdata(comment.author_name)}</dc:creator>\n\t\t<pubDate>{rfc822(comment.date)}</pubDate>\n"
            f'\t\t<guid isPermaLink="false">{xml_text(urls.guid(post))}#comment-{comment.id}</guid>\n'
            f"\t\t<description>{cdata(esc(comment.content))}</description>\n"
            f"\t\t<content:encoded>{cdata(wpautop(comment.content))}</content:encoded>\n\t</item>\n"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n\t{RSS_NS}\n\t>\n<channel>\n'
        f"\t<title>{xml_text('Kommentarer till: ' + post.title)}</title>\n"
        f'\t<atom:link href="{xml_text(self_url)}" rel="self" type="application/rss+xml" />\n'
        f"\t<link>{xml_text(urls.permalink(post))}</link>\n\t<description>{xml_text(store.description)}</description>\n"
        f"\t<lastBuildDate>{rfc822(build)}</lastBuildDate>\n"
        "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
        f"\t<generator>{GENERATOR}</generator>\n" + "".join(items) + "</channel>\n</rss>\n"
    )


def posts_atom(
    store: BlogStore, posts: list[WpPost], urls: Urls, self_url: str, build: float
) -> str:
    entries = []
    for post in posts:
        author = store.users[post.author].name if post.author in store.users else ""
        link = urls.permalink(post)
        entries.append(
            f"\t<entry>\n\t\t<author>\n\t\t\t<name>{xml_text(author)}</name>\n\t\t</author>\n"
            f'\t\t<title type="html">{cdata(esc(post.title))}</title>\n'
            f'\t\t<link rel="alternate" type="text/html" href="{xml_text(link)}" />\n'
            f"\t\t<id>{xml_text(urls.guid(post))}</id>\n\t\t<updated>{rfc3339(post.modified)}</updated>\n"
            f"\t\t<published>{rfc3339(post.date)}</published>\n"
            f'\t\t<content type="html" xml:base="{xml_text(link)}">{cdata(wpautop(post.content))}</content>\n'
            f'\t\t<link rel="replies" type="text/html" href="{xml_text(link)}#comments" thr:count="0" />\n'
            f'\t\t<link rel="replies" type="application/atom+xml" href="{xml_text(link)}feed/atom/" thr:count="0" />\n'
            "\t</entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed\n  xmlns="http://www.w3.org/2005/Atom"\n'
        '  xmlns:thr="http://purl.org/syndication/thread/1.0"\n  xml:lang="sv-SE"\n  >\n'
        f'\t<title type="text">{xml_text(store.title)}</title>\n'
        f'\t<subtitle type="text">{xml_text(store.description)}</subtitle>\n\n'
        f"\t<updated>{rfc3339(build)}</updated>\n\n"
        f'\t<link rel="alternate" type="text/html" href="{xml_text(urls.home)}" />\n'
        f"\t<id>{xml_text(self_url)}</id>\n"
        f'\t<link rel="self" type="application/atom+xml" href="{xml_text(self_url)}" />\n\n'
        f'\t<generator uri="https://wordpress.org/" version="6.7.2">WordPress</generator>\n'
        + "".join(entries)
        + "</feed>\n"
    )


def comments_atom(
    store: BlogStore,
    post: WpPost,
    comments: list[WpComment],
    urls: Urls,
    self_url: str,
    build: float,
) -> str:
    entries = []
    for comment in comments:
        entries.append(
            f"\t<entry>\n\t\t<title>{xml_text('Av: ' + comment.author_name)}</title>\n"
            f'\t\t<link rel="alternate" href="{xml_text(urls.comment_link(post, comment))}" type="text/html" />\n'
            f"\t\t<author>\n\t\t\t<name>{xml_text(comment.author_name)}</name>\n\t\t</author>\n"
            f"\t\t<id>{xml_text(urls.guid(post))}#comment-{comment.id}</id>\n"
            f"\t\t<updated>{rfc3339(comment.date)}</updated>\n\t\t<published>{rfc3339(comment.date)}</published>\n"
            f'\t\t<content type="html" xml:base="{xml_text(urls.comment_link(post, comment))}">'
            f"{cdata(wpautop(comment.content))}</content>\n"
            f'\t\t<thr:in-reply-to ref="{xml_text(urls.guid(post))}" href="{xml_text(urls.permalink(post))}" '
            'type="text/html" />\n\t</entry>\n'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed\n  xmlns="http://www.w3.org/2005/Atom"\n'
        '  xml:lang="sv-SE"\n  xmlns:thr="http://purl.org/syndication/thread/1.0"\n  >\n'
        f'\t<title type="text">{xml_text("Kommentarer till: " + post.title)}</title>\n'
        f'\t<subtitle type="text">{xml_text(store.description)}</subtitle>\n\n'
        f"\t<updated>{rfc3339(build)}</updated>\n\n"
        f'\t<link rel="alternate" type="text/html" href="{xml_text(urls.permalink(post))}" />\n'
        f'\t<link rel="self" type="application/atom+xml" href="{xml_text(self_url)}" />\n'
        f"\t<id>{xml_text(self_url)}</id>\n" + "".join(entries) + "</feed>\n"
    )
