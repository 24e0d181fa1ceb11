"""Seeded Swedish traffic on a municipality's accounts.

A tick performs a few actions — the kommun posts, residents ask, report faults,
complain, praise, argue, edit and delete, write direct messages (some with
personnummer, phone numbers or health details), and now and then something
unlawful (threats, hets) or spam. About one resident text in twenty carries an
HTML/script or spreadsheet-formula injection to exercise escaping.

Determinism: tick n draws from random.Random(f"scenario:{seed}:{n}") and ids
come from the world's own seeded stream, so the same seed on a VirtualClock
gives the same world, byte for byte, and a restarted demo does not repeat itself.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from . import texts
from .instagram import InstagramTraffic
from .store import Comment, Conversation, Invalid, MAccount, NotFound, Post, SimEvent, Status, World


@dataclass
class ScenarioConfig:
    actions_per_tick: tuple[int, int] = (1, 4)
    facebook_share: float = 0.6  # of actions, when both platforms have accounts
    instagram_share: float = 0.25  # of actions, when there is an Instagram account
    injection_rate: float = 0.05
    noise_rate: float = 0.45  # texts given typos, dialect or emojis
    step_seconds: tuple[float, float] = (
        10.0,
        120.0,
    )  # virtual time between actions (VirtualClock only)


FB_ACTIONS = {
    "kommun_post": 6,
    "comment": 34,
    "reply": 18,
    "kommun_reply": 6,
    "edit": 7,
    "delete": 5,
    "dm": 12,
    "kommun_dm": 3,
    "visitor_post": 2,
    "reaction": 7,
}

MASTODON_ACTIONS = {
    "kommun_status": 7,
    "mention_reply": 30,
    "thread_reply": 14,
    "mention": 10,
    "direct": 10,
    "kommun_reply": 5,
    "edit": 8,
    "delete": 5,
    "favourite": 8,
    "kommun_boost": 3,
}

COMMENT_KINDS = {
    "question": 30,
    "felanmalan": 15,
    "complaint": 18,
    "praise": 14,
    "offtopic": 5,
    "spam": 4,
    "threat": 3,
    "hets": 2,
    "argument": 9,
}


def luhn_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


class TextFactory:
    """Fills templates with invented Swedish details and everyday mess."""

    def __init__(self, rng: random.Random, kommun: str, config: ScenarioConfig) -> None:
        self.rng = rng
        self.kommun = kommun
        self.config = config

    def personnummer(self) -> str:
        year = self.rng.randint(1935, 2006)
        month = self.rng.randint(1, 12)
        day = self.rng.randint(1, 28)
        serial = self.rng.randint(100, 999)
        core = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
        check = luhn_digit(core)
        style = self.rng.random()
        if style < 0.5:
            return f"{year}{month:02d}{day:02d}-{serial:03d}{check}"
        if style < 0.8:
            return f"{core[:6]}-{core[6:]}{check}"
        return f"{core}{check}"

    def phone(self) -> str:
        # 070-174 06 05 … 99: the series Post- och telestyrelsen keeps for fiction.
        last = self.rng.randint(5, 99)
        style = self.rng.random()
        if style < 0.5:
            return f"070-174 06 {last:02d}"
        if style < 0.8:
            return f"07017406{last:02d}"
        return f"+46 70 174 06 {last:02d}"

    def fill(self, template: str, **extra: str) -> str:
        rng = self.rng
        streets = rng.sample(texts.STREETS, 2)
        first = rng.choice(texts.FIRST_NAMES)
        values = {
            "gata": streets[0],
            "gata2": streets[1],
            "nr": str(rng.randint(1, 60)),
            "omrade": rng.choice(texts.AREAS),
            "plats": rng.choice(texts.PLACES),
            "skola": rng.choice(texts.SCHOOLS),
            "veckodag": rng.choice(texts.WEEKDAYS),
            "tid": f"{rng.randint(7, 15):02d}.00",
            "belopp": str(rng.randint(5, 60)),
            "kommun": self.kommun,
            "namn": f"{first} {rng.choice(texts.LAST_NAMES)}",
            "fornamn": first,
            "barn": rng.choice(texts.FIRST_NAMES),
            "pnr": self.personnummer(),
            "tel": self.phone(),
            "epost": f"{first.lower().replace('å', 'a').replace('ä', 'a').replace('ö', 'o')}{rng.randint(1, 99)}@example.se",
        }
        values.update(extra)
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)

    def mess(self, text: str) -> str:
        """Typos, dialect, lower case, emojis, shouting — what real comments look like."""
        rng = self.rng
        if rng.random() < self.config.noise_rate:
            for standard, dialect in rng.sample(texts.DIALECT, 3):
                if rng.random() < 0.6:
                    text = re.sub(rf"\b{standard}\b", dialect, text)
        if rng.random() < 0.3:
            text = (
                text.replace("å", "a").replace("ä", "a").replace("ö", "o")
                if rng.random() < 0.3
                else text.lower()
            )
        if rng.random() < 0.25 and len(text) > 12:
            i = rng.randint(1, len(text) - 3)
            if text[i].isalpha() and text[i + 1].isalpha():
                text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if rng.random() < 0.3:
            text += " " + "".join(rng.choice(texts.EMOJIS) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.05:
            text = text.upper() + "!!!"
        return text

    def inject(self, text: str) -> str:
        if self.rng.random() >= self.config.injection_rate:
            return text
        payload = self.rng.choice(texts.INJECTIONS)
        where = self.rng.random()
        if where < 0.4:
            return f"{payload} {text}"
        if where < 0.8:
            return f"{text} {payload}"
        words = text.split(" ")
        cut = self.rng.randint(0, len(words))
        return " ".join(words[:cut] + [payload] + words[cut:])

    def resident(self, template: str, **extra: str) -> str:
        return self.inject(self.mess(self.fill(template, **extra)))

    def comment(self, kind: str) -> str:
        pool = {
            "question": texts.QUESTIONS,
            "felanmalan": texts.FELANMALAN,
            "complaint": texts.COMPLAINTS,
            "praise": texts.PRAISE,
            "offtopic": texts.OFFTOPIC,
            "spam": texts.SPAM,
            "threat": texts.THREATS,
            "hets": texts.HETS,
            "argument": texts.ARGUMENTS,
        }[kind]
        return self.resident(self.rng.choice(pool))

    def kommun_post(self) -> tuple[str, str]:
        topic = self.rng.choice(sorted(texts.KOMMUN_POSTS))
        return topic, self.fill(self.rng.choice(texts.KOMMUN_POSTS[topic]))

    def kommun_reply(self, first_name: str) -> str:
        return self.fill(self.rng.choice(texts.KOMMUN_REPLIES), fornamn=first_name)

    def kommun_dm_reply(self, first_name: str) -> str:
        return self.fill(self.rng.choice(texts.KOMMUN_DM_REPLIES), fornamn=first_name)

    def dm(self, followup: bool) -> str:
        return self.resident(
            self.rng.choice(texts.DM_FOLLOWUPS if followup else texts.DIRECT_MESSAGES)
        )

    def edited(self, text: str, kind: str | None) -> str:
        if kind in ("threat", "hets", "complaint") and self.rng.random() < 0.5:
            return self.rng.choice(texts.SOFTENED)
        return text + self.fill(self.rng.choice(texts.EDIT_SUFFIXES))


class Scenario:
    """Drives a World with realistic traffic. Call tick() as often as you like."""

    def __init__(
        self, world: World, *, seed: int = 0, config: ScenarioConfig | None = None
    ) -> None:
        self.world = world
        self.seed = seed
        self.config = config or ScenarioConfig()
        self.kinds: dict[str, str] = world.meta.setdefault("kinds", {})  # item id -> comment kind
        self.instagram = InstagramTraffic(world, self.kinds, self._pick, COMMENT_KINDS)

    # --- who is who ---------------------------------------------------------------------

    def _kommun_accounts(self) -> list[MAccount]:
        ids = self.world.meta.get("kommun_accounts", [])
        return [self.world.maccounts[a] for a in ids if a in self.world.maccounts]

    def _fb_resident(self, rng: random.Random):
        users = sorted(self.world.users.values(), key=lambda u: u.id)
        if len(users) < 12 or rng.random() < 0.12:
            name = f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}"
            return self.world.create_user(name)
        return rng.choice(users)

    def _masto_resident(self, rng: random.Random) -> MAccount:
        kommun = set(self.world.meta.get("kommun_accounts", []))
        residents = sorted(
            (a for a in self.world.maccounts.values() if a.id not in kommun), key=lambda a: a.id
        )
        if len(residents) < 10 or rng.random() < 0.12:
            first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
            base = re.sub(
                r"[^a-z0-9_]",
                "",
                f"{first}{last[:3]}".lower().replace("å", "a").replace("ä", "a").replace("ö", "o"),
            )
            domain = rng.choice(texts.REMOTE_DOMAINS) if rng.random() < 0.4 else None
            username = f"{base}{rng.randint(1, 99)}"
            while self.world.account_by_acct(
                username if domain is None else f"{username}@{domain}"
            ):
                username = f"{base}{rng.randint(100, 9999)}"
            return self.world.create_maccount(username, f"{first} {last}", domain=domain)
        return rng.choice(residents)

    # --- the tick -----------------------------------------------------------------------

    def tick(self) -> list[SimEvent]:
        world = self.world
        with world.lock:
            rng = random.Random(f"scenario:{self.seed}:{world.tick_count}")
            world.tick_count += 1
            first_seq = world.seq
            pages = sorted(world.pages)
            kommun = self._kommun_accounts()
            instagram = world.ig_business_accounts()
            for _ in range(rng.randint(*self.config.actions_per_tick)):
                if world.clock.virtual:
                    world.clock.advance(rng.uniform(*self.config.step_seconds))
                # Drawn only when there is an Instagram account, so worlds without one
                # see the same traffic as before.
                if instagram and rng.random() < self.config.instagram_share:
                    try:
                        self.instagram.act(rng, self._texts(rng), rng.choice(instagram))
                    except (NotFound, Invalid):
                        pass  # the target went away since it was chosen
                    continue
                use_fb = bool(pages) and (not kommun or rng.random() < self.config.facebook_share)
                try:
                    if use_fb:
                        self._facebook(rng, world.pages[rng.choice(pages)].id)
                    elif kommun:
                        self._mastodon(rng, rng.choice(kommun))
                except NotFound:
                    continue  # the target went away since it was chosen; skip this action
            world.dirty = True
            return [e for e in world.events if e.seq > first_seq]

    def _texts(self, rng: random.Random) -> TextFactory:
        name = next(iter(sorted(self.world.pages.values(), key=lambda p: p.id)), None)
        kommun = name.name if name else "kommunen"
        return TextFactory(rng, kommun, self.config)

    def _pick(self, rng: random.Random, weights: dict[str, int]) -> str:
        names = sorted(weights)
        return rng.choices(names, weights=[weights[n] for n in names])[0]

    def _recent_posts(self, page_id: str) -> list[Post]:
        posts = [p for p in self.world.posts_of_page(page_id) if p.deleted_at is None]
        return sorted(posts, key=lambda p: (p.created_time, p.seq), reverse=True)[:6]

    def _pick_recent(self, rng: random.Random, items: list):
        if not items:
            return None
        weights = [1.0 / (i + 1) for i in range(len(items))]
        return rng.choices(items, weights=weights)[0]

    def _live_comments(self, page_id: str, *, top_level: bool | None = None) -> list[Comment]:
        out = []
        for post in self._recent_posts(page_id):
            for comment in self.world.comments_of_post(post.id):
                try:
                    self.world.live_comment(comment.id)
                except NotFound:
                    continue
                if top_level is None or (comment.parent_id is None) == top_level:
                    out.append(comment)
        return out

    # --- Facebook -----------------------------------------------------------------------

    def _facebook(self, rng: random.Random, page_id: str) -> None:
        world = self.world
        words = self._texts(rng)
        action = self._pick(rng, FB_ACTIONS)
        posts = self._recent_posts(page_id)
        if action == "kommun_post" or not posts:
            topic, text = words.kommun_post()
            attachments = None
            if rng.random() < 0.3:
                src = f"https://scontent.example/{world.fb_number(12)}.jpg"
                attachments = [
                    {
                        "media_type": "photo",
                        "type": "photo",
                        "url": src,
                        "title": topic.capitalize(),
                        "media": {"image": {"src": src, "width": 720, "height": 480}},
                    }
                ]
            world.create_post(page_id, text, attachments=attachments)
            return
        if action == "comment":
            kind = self._pick(rng, {k: v for k, v in COMMENT_KINDS.items() if k != "argument"})
            post = self._pick_recent(rng, posts)
            attachment = None
            if kind in ("felanmalan", "complaint", "praise") and rng.random() < 0.2:
                src = f"https://scontent.example/{world.fb_number(12)}.jpg"
                attachment = {
                    "type": "photo",
                    "url": src,
                    "media": {"image": {"src": src, "width": 960, "height": 720}},
                    "target": {"id": world.fb_number(15), "url": src},
                }
            comment = world.add_comment(
                post.id, self._fb_resident(rng).id, words.comment(kind), attachment=attachment
            )
            self.kinds[comment.id] = kind
            return
        if action == "reply":
            parents = self._live_comments(page_id, top_level=True)
            if not parents:
                return
            parent = self._pick_recent(rng, sorted(parents, key=lambda c: c.seq, reverse=True))
            kind = rng.choice(
                ["argument", "argument", "argument", "question", "praise", "threat", "complaint"]
            )
            reply = world.add_comment(parent.id, self._fb_resident(rng).id, words.comment(kind))
            self.kinds[reply.id] = kind
            return
        if action == "kommun_reply":
            candidates = [
                c
                for c in self._live_comments(page_id, top_level=True)
                if self.kinds.get(c.id) in ("question", "felanmalan", "complaint")
                and c.from_id != page_id
            ]
            if not candidates:
                return
            target = rng.choice(candidates)
            first = world.users[target.from_id].first_name if target.from_id in world.users else ""
            world.add_comment(target.id, page_id, words.kommun_reply(first))
            return
        if action in ("edit", "delete"):
            own = [c for c in self._live_comments(page_id) if c.from_id in world.users]
            if not own:
                return
            if action == "delete":
                sharp = [
                    c
                    for c in own
                    if self.kinds.get(c.id) in ("threat", "hets", "complaint", "argument")
                ]
                target = rng.choice(sharp if sharp and rng.random() < 0.7 else own)
                world.delete_comment(target.id)
            else:
                target = rng.choice(own)
                world.edit_comment(
                    target.id, words.edited(target.message, self.kinds.get(target.id))
                )
            return
        if action == "dm":
            convs = [c for c in world.conversations.values() if c.page_id == page_id]
            if convs and rng.random() < 0.35:
                conv = rng.choice(sorted(convs, key=lambda c: c.id))
                world.send_message(page_id, conv.user_id, words.dm(followup=True), from_page=False)
            else:
                world.send_message(
                    page_id, self._fb_resident(rng).id, words.dm(followup=False), from_page=False
                )
            return
        if action == "kommun_dm":
            waiting = [
                c
                for c in world.conversations.values()
                if c.page_id == page_id and c.unread_count > 0
            ]
            if not waiting:
                return
            conv: Conversation = rng.choice(sorted(waiting, key=lambda c: c.id))
            world.send_message(
                page_id,
                conv.user_id,
                words.kommun_dm_reply(world.users[conv.user_id].first_name),
                from_page=True,
            )
            return
        if action == "visitor_post":
            kind = rng.choice(["question", "complaint", "felanmalan", "praise"])
            post = world.create_post(
                page_id, words.comment(kind), from_id=self._fb_resident(rng).id
            )
            self.kinds[post.id] = kind
            return
        if action == "reaction":
            post = self._pick_recent(rng, posts)
            world.react(
                post.id,
                self._fb_resident(rng).id,
                rng.choice(["like", "like", "love", "angry", "haha", "sad"]),
            )

    # --- Mastodon -----------------------------------------------------------------------

    def _mastodon(self, rng: random.Random, kommun: MAccount) -> None:
        world = self.world
        words = self._texts(rng)
        action = self._pick(rng, MASTODON_ACTIONS)
        own = sorted(
            (
                s
                for s in world.statuses_of(kommun.id)
                if s.deleted_at is None and s.in_reply_to_id is None and s.visibility == "public"
            ),
            key=lambda s: int(s.id),
            reverse=True,
        )[:5]
        mention = "@" + kommun.acct
        if action == "kommun_status" or not own:
            _, text = words.kommun_post()
            world.create_status(kommun.id, text, application={"name": "Web", "website": None})
            return
        if action == "mention_reply":
            target = self._pick_recent(rng, own)
            kind = self._pick(rng, COMMENT_KINDS)
            status = world.create_status(
                self._masto_resident(rng).id,
                f"{mention} {words.comment(kind)}",
                in_reply_to_id=target.id,
                visibility=rng.choice(["public", "public", "unlisted"]),
            )
            self.kinds[status.id] = kind
            return
        if action == "thread_reply":
            replies = [
                s
                for root in own
                for s in world.children_of(root.id)
                if s.deleted_at is None and s.account_id != kommun.id
            ]
            if not replies:
                return
            target = rng.choice(replies)
            author = self._masto_resident(rng)
            if author.id == target.account_id:
                return
            kind = rng.choice(["argument", "argument", "praise", "question"])
            at = "@" + world.maccounts[target.account_id].acct
            status = world.create_status(
                author.id, f"{at} {words.comment(kind)}", in_reply_to_id=target.id
            )
            self.kinds[status.id] = kind
            return
        if action == "mention":
            kind = self._pick(rng, {k: v for k, v in COMMENT_KINDS.items() if k != "argument"})
            status = world.create_status(
                self._masto_resident(rng).id, f"{mention} {words.comment(kind)}"
            )
            self.kinds[status.id] = kind
            return
        if action == "direct":
            threads = [
                c
                for c in world.mconversations.values()
                if c.owner_id == kommun.id and c.last_status_id
            ]
            if threads and rng.random() < 0.35:
                conv = rng.choice(sorted(threads, key=lambda c: c.id))
                last = world.statuses[conv.last_status_id]  # type: ignore[index]
                author = next((a for a in conv.participant_ids if a != kommun.id), None)
                if author is None:
                    return
                world.create_status(
                    author,
                    f"{mention} {words.dm(followup=True)}",
                    visibility="direct",
                    in_reply_to_id=last.id,
                )
            else:
                world.create_status(
                    self._masto_resident(rng).id,
                    f"{mention} {words.dm(followup=False)}",
                    visibility="direct",
                )
            return
        if action == "kommun_reply":
            mentions = [
                s
                for s in world.statuses.values()
                if s.deleted_at is None
                and kommun.id in s.mentions
                and self.kinds.get(s.id) in ("question", "felanmalan", "complaint", None)
                and s.account_id != kommun.id
            ]
            if not mentions:
                return
            target: Status = max(
                rng.sample(mentions, min(3, len(mentions))), key=lambda s: int(s.id)
            )
            author = world.maccounts[target.account_id]
            text = f"@{author.acct} {words.kommun_reply(author.display_name.split(' ')[0])}"
            world.create_status(
                kommun.id,
                text,
                in_reply_to_id=target.id,
                visibility=target.visibility if target.visibility == "direct" else "public",
            )
            return
        if action in ("edit", "delete"):
            theirs = [
                s
                for s in world.statuses.values()
                if s.deleted_at is None and s.account_id != kommun.id and kommun.id in s.mentions
            ]
            if not theirs:
                return
            target = rng.choice(sorted(theirs, key=lambda s: int(s.id))[-15:])
            if action == "delete":
                world.delete_status(target.id)
            else:
                world.edit_status(target.id, words.edited(target.text, self.kinds.get(target.id)))
            return
        if action == "favourite":
            world.favourite(self._masto_resident(rng).id, self._pick_recent(rng, own).id)
            return
        if action == "kommun_boost":
            public = [
                s
                for s in world.statuses.values()
                if s.deleted_at is None
                and s.visibility == "public"
                and s.account_id != kommun.id
                and kommun.id in s.mentions
            ]
            if public:
                world.reblog(kommun.id, rng.choice(sorted(public, key=lambda s: int(s.id))).id)

    # --- history --------------------------------------------------------------------------

    def seed_history(self, days: int = 3) -> None:
        """A few days of past traffic (no webhooks: it happened before anyone subscribed)."""
        world = self.world
        with world.lock:
            rng = random.Random(f"history:{self.seed}")
            words = self._texts(rng)
            now = world.now()
            start = now - days * 86_400
            for page_id in sorted(world.pages):
                for day in range(days):
                    for _ in range(rng.randint(1, 2)):
                        t = start + day * 86_400 + rng.uniform(7, 16) * 3600
                        _, text = words.kommun_post()
                        post = world.create_post(page_id, text, at=t, emit=False)
                        top: list[Comment] = []
                        for _ in range(rng.randint(2, 9)):
                            t += rng.uniform(60, 3600)
                            if t >= now:
                                break
                            kind = self._pick(rng, COMMENT_KINDS)
                            if top and (kind == "argument" or rng.random() < 0.3):
                                parent = rng.choice(top)
                                c = world.add_comment(
                                    parent.id,
                                    self._fb_resident(rng).id,
                                    words.comment(kind),
                                    at=t,
                                    emit=False,
                                )
                            else:
                                kind = "question" if kind == "argument" else kind
                                c = world.add_comment(
                                    post.id,
                                    self._fb_resident(rng).id,
                                    words.comment(kind),
                                    at=t,
                                    emit=False,
                                )
                                top.append(c)
                            self.kinds[c.id] = kind
                        if top and rng.random() < 0.6:
                            target = rng.choice(top)
                            t = min(t + rng.uniform(600, 7200), now - 1)
                            first = world.users[target.from_id].first_name
                            world.add_comment(
                                target.id, page_id, words.kommun_reply(first), at=t, emit=False
                            )
                for _ in range(rng.randint(2, 4)):
                    t = start + rng.uniform(0, days * 86_400 - 3600)
                    user = self._fb_resident(rng)
                    world.send_message(
                        page_id,
                        user.id,
                        words.dm(followup=False),
                        from_page=False,
                        at=t,
                        emit=False,
                    )
                    if rng.random() < 0.5:
                        world.send_message(
                            page_id,
                            user.id,
                            words.kommun_dm_reply(user.first_name),
                            from_page=True,
                            at=min(t + rng.uniform(600, 20_000), now - 1),
                            emit=False,
                        )
            for kommun in self._kommun_accounts():
                for day in range(days):
                    t = start + day * 86_400 + rng.uniform(8, 15) * 3600
                    _, text = words.kommun_post()
                    root = world.create_status(
                        kommun.id, text, at=t, application={"name": "Web", "website": None}
                    )
                    for _ in range(rng.randint(1, 5)):
                        t += rng.uniform(120, 5400)
                        if t >= now:
                            break
                        kind = self._pick(rng, COMMENT_KINDS)
                        status = world.create_status(
                            self._masto_resident(rng).id,
                            f"@{kommun.acct} {words.comment(kind)}",
                            in_reply_to_id=root.id,
                            at=t,
                        )
                        self.kinds[status.id] = kind
                t = start + rng.uniform(0, days * 86_400 - 3600)
                world.create_status(
                    self._masto_resident(rng).id,
                    f"@{kommun.acct} {words.dm(followup=False)}",
                    visibility="direct",
                    at=t,
                )
            ig_rng = random.Random(f"history-ig:{self.seed}")
            for owner in world.ig_business_accounts():
                self.instagram.seed_history(ig_rng, self._texts(ig_rng), owner, start, days, now)
            world.dirty = True
