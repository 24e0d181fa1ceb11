"""Seeded Swedish traffic on a kommun's Instagram account.

The kommun posts photos and reels with captions; residents comment (questions that need an
answer, felanmälningar, praise, complaints, now and then a threat, hets or spam), argue in
replies, delete their own comments, and write direct messages — some with personnummer or
health details — which they sometimes unsend. The kommun answers some questions, and
edits a caption now and then. Residents' texts come from the same pools as Facebook's
(texts.py), filled and messed up by the scenario's TextFactory.

Called from Scenario.tick with the tick's own random stream, so a seed on a VirtualClock
gives the same Instagram world twice.
"""

from __future__ import annotations

import random
import re

from . import texts
from .store import NotFound, World
from .store.instagram import IgAccount, IgComment, IgMedia

IG_ACTIONS = {
    "kommun_media": 6,
    "comment": 36,
    "reply": 14,
    "kommun_reply": 8,
    "delete": 5,
    "caption_edit": 2,
    "dm": 10,
    "kommun_dm": 3,
    "unsend": 3,
}

CAPTIONS = [
    "Höstlov i {omrade}! Vi har samlat allt som händer på fritidsgårdarna under veckan 🍂 Länk i bion.",
    "Nu är isbanan vid {plats} spolad och klar ⛸️ Öppet varje dag {tid}–20.00.",
    "Möt Sara som jobbar som undersköterska på {omrade}s äldreboende. \"Det bästa är fikastunderna med de boende.\" #jobbaiälvby",
    "Vi söker sommarvikarier till äldreomsorgen! Ansök senast 31 mars via kommunens webbplats. #sommarjobb",
    "Soptömningen är försenad i {omrade} den här veckan på grund av snöovädret. Vi tar igen det på {veckodag}.",
    "Biblioteket på {gata} har fått nya läsfåtöljer 📚 Välkommen in!",
    "Bilder från invigningen av nya lekplatsen i {omrade} i lördags ☀️ Tack alla som kom!",
    "Kommunfullmäktige sammanträder på {veckodag} kl. 18.00. Följ sändningen live på webben.",
]
REEL_CAPTIONS = [
    "60 sekunder med snöröjarna i {omrade} ❄️🚜",
    "Följ med bakom kulisserna på Kulturskolans vårkonsert 🎻",
]
EMOJI_ONLY = ["😍😍", "👏👏👏", "🔥", "❤️", "💙💛"]


def ig_username(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
    base = re.sub(r"[^a-z0-9_.]", "", f"{first}.{last[:4]}".lower().replace("å", "a").replace("ä", "a")
                  .replace("ö", "o"))
    return f"{base}{rng.randint(1, 999)}", f"{first} {last}"


class InstagramTraffic:
    """Instagram actions for Scenario (which owns the kinds map and the TextFactory)."""

    def __init__(self, world: World, kinds: dict[str, str], pick, comment_kinds: dict[str, int]) -> None:
        self.world = world
        self.kinds = kinds
        self._pick = pick
        self.comment_kinds = comment_kinds

    def resident(self, rng: random.Random) -> IgAccount:
        people = sorted((a for a in self.world.ig_accounts.values() if not a.page_id), key=lambda a: a.id)
        if len(people) < 10 or rng.random() < 0.12:
            username, name = ig_username(rng)
            return self.world.create_ig_person(username, name)
        return rng.choice(people)

    def recent_media(self, owner: IgAccount) -> list[IgMedia]:
        live = [m for m in self.world.media_of(owner.id) if m.deleted_at is None]
        return sorted(live, key=lambda m: (m.timestamp, m.seq), reverse=True)[:6]

    def live_comments(self, owner: IgAccount, *, top_level: bool) -> list[IgComment]:
        out = []
        for media in self.recent_media(owner):
            for comment in self.world.ig_comments_of(media.id):
                try:
                    self.world.live_ig_comment(comment.id)
                except NotFound:
                    continue
                if (comment.parent_id is None) == top_level:
                    out.append(comment)
        return out

    def caption(self, rng: random.Random, words, *, reel: bool = False) -> str:
        return words.fill(rng.choice(REEL_CAPTIONS if reel else CAPTIONS))

    def comment_text(self, rng: random.Random, words, kind: str) -> str:
        if kind == "praise" and rng.random() < 0.3:
            return rng.choice(EMOJI_ONLY)
        return words.comment(kind)

    def act(self, rng: random.Random, words, owner: IgAccount) -> None:
        world = self.world
        action = self._pick(rng, IG_ACTIONS)
        media = self.recent_media(owner)
        if action == "kommun_media" or not media:
            reel = rng.random() < 0.2
            world.create_media(owner.id, self.caption(rng, words, reel=reel),
                               media_type="VIDEO" if reel else rng.choice(["IMAGE", "IMAGE", "CAROUSEL_ALBUM"]),
                               media_product_type="REELS" if reel else "FEED")
            return
        if action == "comment":
            kind = self._pick(rng, {k: v for k, v in self.comment_kinds.items() if k != "argument"})
            target = media[0] if rng.random() < 0.6 else rng.choice(media)
            if not target.comment_enabled:
                return
            comment = world.add_ig_comment(target.id, self.resident(rng).id, self.comment_text(rng, words, kind))
            self.kinds[comment.id] = kind
            return
        if action == "reply":
            parents = self.live_comments(owner, top_level=True)
            if not parents:
                return
            parent = rng.choice(sorted(parents, key=lambda c: c.seq, reverse=True)[:8])
            kind = rng.choice(["argument", "argument", "question", "praise", "threat"])
            reply = world.add_ig_comment(parent.id, self.resident(rng).id, words.comment(kind))
            self.kinds[reply.id] = kind
            return
        if action == "kommun_reply":
            waiting = [c for c in self.live_comments(owner, top_level=True)
                       if self.kinds.get(c.id) in ("question", "felanmalan", "complaint") and not c.hidden]
            if not waiting:
                return
            target = rng.choice(waiting)
            first = world.ig_accounts[target.from_id].name.split(" ")[0]
            world.add_ig_comment(target.id, owner.id, f"@{world.ig_accounts[target.from_id].username} "
                                 + words.kommun_reply(first))
            return
        if action == "delete":
            theirs = [c for c in self.live_comments(owner, top_level=True) + self.live_comments(owner, top_level=False)
                      if c.from_id != owner.id]
            if theirs:
                world.delete_ig_comment(rng.choice(sorted(theirs, key=lambda c: c.seq)).id)
            return
        if action == "caption_edit":
            target = media[0]
            world.edit_caption(target.id, target.caption + " (Uppdaterat: nya tider, se länk i bion.)")
            return
        if action == "dm":
            person = self.resident(rng)
            world.send_ig_message(owner.id, person.id, words.dm(followup=rng.random() < 0.3), from_business=False)
            return
        if action == "kommun_dm":
            incoming = sorted((m for m in world.ig_messages.values()
                               if m.owner_id == owner.id and not m.from_business and m.deleted_at is None),
                              key=lambda m: m.seq)
            if incoming:
                last = incoming[-1]
                first = world.ig_accounts[last.person_id].name.split(" ")[0]
                world.send_ig_message(owner.id, last.person_id, words.kommun_dm_reply(first), from_business=True)
            return
        if action == "unsend":
            # Regret: a resident takes back a message, often one with personal details.
            incoming = sorted((m for m in world.ig_messages.values()
                               if m.owner_id == owner.id and not m.from_business and m.deleted_at is None),
                              key=lambda m: m.seq)
            if incoming:
                world.unsend_ig_message(rng.choice(incoming[-5:]).id)

    def seed_history(self, rng: random.Random, words, owner: IgAccount, start: float, days: int, now: float) -> None:
        """Past media and comments (no webhooks: it happened before anyone subscribed)."""
        world = self.world
        for day in range(days):
            t = start + day * 86_400 + rng.uniform(8, 16) * 3600
            media = world.create_media(owner.id, self.caption(rng, words), at=t)
            top: list[IgComment] = []
            for _ in range(rng.randint(2, 7)):
                t += rng.uniform(60, 3600)
                if t >= now:
                    break
                kind = self._pick(rng, self.comment_kinds)
                if top and kind == "argument":
                    c = world.add_ig_comment(rng.choice(top).id, self.resident(rng).id, words.comment(kind),
                                             at=t, emit=False)
                else:
                    kind = "question" if kind == "argument" else kind
                    c = world.add_ig_comment(media.id, self.resident(rng).id, self.comment_text(rng, words, kind),
                                             at=t, emit=False)
                    top.append(c)
                self.kinds[c.id] = kind
            if top and rng.random() < 0.6:
                target = rng.choice(top)
                person = world.ig_accounts[target.from_id]
                world.add_ig_comment(target.id, owner.id, f"@{person.username} "
                                     + words.kommun_reply(person.name.split(" ")[0]),
                                     at=min(t + rng.uniform(600, 7200), now - 1), emit=False)
        for _ in range(rng.randint(1, 3)):
            t = start + rng.uniform(0, days * 86_400 - 3600)
            world.send_ig_message(owner.id, self.resident(rng).id, words.dm(followup=False), from_business=False,
                                  at=t, emit=False)
