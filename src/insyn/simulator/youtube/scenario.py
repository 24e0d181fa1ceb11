"""Seeded Swedish traffic on a municipality's YouTube channel (a kulturskola, a kommun).

The channel uploads now and then (concerts, fullmäktige, information films); residents
comment — questions that need an answer (anmälan, avgifter, tider), praise, complaints,
arguments with each other — and sometimes something unlawful or spam. YouTube's own filter
holds spam as ``likelySpam`` and some abusive comments as ``heldForReview``, as a channel's
"hold potentially inappropriate comments" setting does. Authors edit and delete.

Determinism: tick n draws from random.Random(f"youtube-scenario:{seed}:{n}") and ids from the
store's own stream; the YouTube ticks never move the clock, so adding a channel changes
nothing in the Facebook and Mastodon traffic of the same seed.
"""

from __future__ import annotations

import random

from .. import texts
from ..scenario import ScenarioConfig, TextFactory
from ..store import Invalid, NotFound, World
from ..store.youtube import YouTubeStore

ACTIONS = {"upload": 4, "comment": 40, "reply": 16, "kommun_reply": 7, "edit": 6, "delete": 4}
# What people write under a kulturskola's videos: no felanmälan, more praise than on a Page.
COMMENT_KINDS = {
    "question": 32,
    "praise": 24,
    "complaint": 14,
    "offtopic": 5,
    "spam": 6,
    "threat": 3,
    "hets": 2,
}

VIDEOS = [
    (
        "Vårkonsert med kulturskolans stråkorkester",
        "Elever från kulturskolans stråkorkester spelar i kyrkan. "
        "Dirigent: {namn}. Varmt tack till alla som kom!",
    ),
    (
        "Luciatåg från {skola}",
        "Årets luciatåg sjöngs av elever från {skola}. Filmen publiceras med "
        "vårdnadshavarnas samtycke.",
    ),
    (
        "Kommunfullmäktige {veckodag} – hela sammanträdet",
        "Inspelning av kommunfullmäktiges sammanträde. Protokollet finns på kommunens webbplats.",
    ),
    ("Så sorterar du ditt matavfall", "En kort film om den nya matavfallsinsamlingen i {omrade}."),
    (
        "Teatergruppen spelar Emil i Lönneberga",
        "Kulturskolans teatergrupp för 10–12 år. Premiär i {plats}.",
    ),
    (
        "Dansuppvisning – hiphop och modern dans",
        "Elever från kulturskolans danskurser visar vad de lärt sig under terminen.",
    ),
    (
        "Information om skolval inför hösten",
        "Så gör du skolvalet i e-tjänsten. Sista dag för valet är den 15 februari.",
    ),
]

QUESTIONS = [
    "Hur anmäler man sig till kulturskolan? Min dotter vill börja spela fiol",
    "Vad kostar terminsavgiften nu? Hittar inget på hemsidan",
    "Finns det platser kvar i dansgruppen för 8-åringar?",
    "När är nästa konsert? Vill gärna ta med mormor",
    "Kan man hyra instrument via kulturskolan eller måste man köpa själv?",
    "Varför är ljudet så dåligt i början av filmen? Går det att ladda upp igen?",
    "Hej! Spelas avslutningen in i år också? Vi kan inte komma 😢",
    "Får man syskonrabatt om två barn går på kulturskolan?",
]

PRAISE = [
    "Så fint! Blev alldeles tårögd 😍",
    "Vilka duktiga barn, och vilka fantastiska lärare ni har 👏👏",
    "Tack för att ni lägger upp det här, pappa i Göteborg kunde se barnbarnet spela ❤️",
    "Bästa luciatåget på länge!",
]

COMPLAINTS = [
    "Varför har ni höjt avgiften igen? Snart har bara rika barn råd med kulturskola",
    "Kön till pianolektioner är två år. Helt orimligt.",
    "Min son fick ingen plats trots att vi anmälde i januari. Hur prioriterar ni egentligen?",
]

KOMMUN_REPLIES = [
    "Hej {fornamn}! Anmälan görs i e-tjänsten på kommunens webbplats. Välkommen! /Kulturskolan",
    "Tack för att du hör av dig! Terminsavgiften finns under Avgifter på webbplatsen. Hör av dig till "
    "expeditionen om du har fler frågor.",
    "Hej! Nästa konsert är i maj, datum kommer på webbplatsen. Välkomna!",
    "Tack för ditt fina meddelande, vi hälsar till eleverna! 😊",
]


class YouTubeScenario:
    """Drives the kommun channels of a world's YouTube. Call tick() as often as you like."""

    def __init__(
        self,
        world: World,
        store: YouTubeStore | None = None,
        *,
        seed: int = 0,
        config: ScenarioConfig | None = None,
    ) -> None:
        self.world = world
        self.store = store or YouTubeStore(world)
        self.seed = seed
        self.config = config or ScenarioConfig()

    @property
    def kinds(self) -> dict[str, str]:
        return self.store.data.setdefault("kinds", {})

    def _words(self, rng: random.Random, kommun: str) -> TextFactory:
        return TextFactory(rng, kommun, self.config)

    def _resident(self, rng: random.Random) -> dict:
        people = sorted(
            (u for u in self.store.users.values() if u["id"] not in self.store.channels),
            key=lambda u: u["id"],
        )
        if len(people) < 12 or rng.random() < 0.12:
            return self.store.create_user(
                f"{rng.choice(texts.FIRST_NAMES)} {rng.choice(texts.LAST_NAMES)}"
            )
        return rng.choice(people)

    def _text(self, words: TextFactory, rng: random.Random, kind: str) -> str:
        own = {"question": QUESTIONS, "praise": PRAISE, "complaint": COMPLAINTS}.get(kind)
        if own and rng.random() < 0.8:
            return words.resident(rng.choice(own))
        return words.comment(kind)

    @staticmethod
    def _status(rng: random.Random, kind: str) -> str:
        """What YouTube's filter does with a new comment."""
        if kind == "spam":
            return "likelySpam" if rng.random() < 0.8 else "published"
        if kind in ("threat", "hets"):
            return "heldForReview" if rng.random() < 0.5 else "published"
        return "published"

    def tick(self) -> int:
        """A few actions on each kommun channel; returns how many happened."""
        world = self.world
        with world.lock:
            channels = self.store.kommun_channels()
            if not channels:
                return 0
            n = self.store.data.get("ticks", 0)
            self.store.data["ticks"] = n + 1
            rng = random.Random(f"youtube-scenario:{self.seed}:{n}")
            done = 0
            for _ in range(rng.randint(0, 2)):
                channel = rng.choice(channels)
                try:
                    done += self._act(rng, channel)
                except (NotFound, Invalid):
                    continue
            world._touch()
            return done

    def _pick(self, rng: random.Random, weights: dict[str, int]) -> str:
        names = sorted(weights)
        return rng.choices(names, weights=[weights[k] for k in names])[0]

    def _act(self, rng: random.Random, channel: dict, at: float | None = None) -> int:
        store = self.store
        words = self._words(rng, channel["title"])
        videos = store.videos_of(channel["id"])[:5]
        action = self._pick(rng, ACTIONS)
        if action == "upload" or not videos:
            title, description = rng.choice(VIDEOS)
            store.upload(channel["id"], words.fill(title), words.fill(description), at=at)
            return 1
        video = rng.choices(videos, weights=[1.0 / (i + 1) for i in range(len(videos))])[0]
        threads = store.threads_of(channel["id"], video_id=video["id"])
        if action == "comment" or (action in ("reply", "kommun_reply") and not threads):
            kind = self._pick(rng, COMMENT_KINDS)
            comment = store.comment(
                video["id"],
                self._resident(rng)["id"],
                self._text(words, rng, kind),
                at=at,
                status=self._status(rng, kind),
            )
            self.kinds[comment["id"]] = kind
            return 1
        if action == "reply":
            kind = rng.choice(["argument", "argument", "question", "praise", "threat"])
            parent = rng.choice(threads)
            reply = store.reply(
                parent["id"], self._resident(rng)["id"], self._text(words, rng, kind), at=at
            )
            self.kinds[reply["id"]] = kind
            return 1
        if action == "kommun_reply":
            open_questions = [
                t for t in threads if self.kinds.get(t["id"]) in ("question", "complaint")
            ] or threads
            parent = rng.choice(open_questions)
            first = store.users.get(parent["author_id"], {}).get("name", "").split(" ")[0]
            store.reply(
                parent["id"],
                channel["id"],
                words.fill(rng.choice(KOMMUN_REPLIES), fornamn=first),
                at=at,
            )
            return 1
        mine = [
            c
            for c in store.comments.values()
            if c["channel_id"] == channel["id"]
            and c["deleted"] is None
            and c["status"] == "published"
            and c["author_id"] != channel["id"]
        ]
        if not mine:
            return 0
        target = rng.choice(sorted(mine, key=lambda c: c["seq"])[-30:])
        if action == "edit":
            store.edit(target["id"], words.edited(target["text"], self.kinds.get(target["id"])))
        else:
            store.delete(target["id"])
        return 1

    def seed_history(self, days: int = 3) -> None:
        """Past videos and comments on each kommun channel (before anyone polled)."""
        world = self.world
        with world.lock:
            rng = random.Random(f"youtube-history:{self.seed}")
            now = world.now()
            start = now - days * 86_400
            for channel in self.store.kommun_channels():
                words = self._words(rng, channel["title"])
                for day in range(days):
                    t = start + day * 86_400 + rng.uniform(9, 15) * 3600
                    title, description = rng.choice(VIDEOS)
                    video = self.store.upload(
                        channel["id"], words.fill(title), words.fill(description), at=t
                    )
                    for _ in range(rng.randint(3, 8)):
                        t += rng.uniform(300, 7200)
                        if t >= now:
                            break
                        kind = self._pick(rng, COMMENT_KINDS)
                        comment = self.store.comment(
                            video["id"],
                            self._resident(rng)["id"],
                            self._text(words, rng, kind),
                            at=t,
                            status=self._status(rng, kind),
                        )
                        self.kinds[comment["id"]] = kind
                        if comment["status"] == "published" and rng.random() < 0.4:
                            t2 = min(t + rng.uniform(600, 7200), now - 1)
                            if kind in ("question", "complaint") and rng.random() < 0.5:
                                first = self.store.users[comment["author_id"]]["name"].split(" ")[0]
                                text = words.fill(rng.choice(KOMMUN_REPLIES), fornamn=first)
                                self.store.reply(comment["id"], channel["id"], text, at=t2)
                            else:
                                reply_kind = rng.choice(["argument", "praise", "question"])
                                reply = self.store.reply(
                                    comment["id"],
                                    self._resident(rng)["id"],
                                    self._text(words, rng, reply_kind),
                                    at=t2,
                                )
                                self.kinds[reply["id"]] = reply_kind
            world._touch()
