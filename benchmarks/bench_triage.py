"""Throughput of full triage on 200-character Swedish comments, single core.

    python benchmarks/bench_triage.py [--n 20000] [--corpus synthetic|written|both]

Two corpora: ``synthetic`` comments built from 18 template sentences (the figure tracked since
the first session), and ``written``: the project's written examples (the training set's texts,
residents' own wording, with more slurs, threats and personal data per comment) joined and cut
to 200 characters. The target (issue 4) is at least 3,000 comments per second per core.
Nothing here is asserted in tests: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from insyn.triage import default_triager
from insyn.triage.dataset import load_examples

SENTENCES = [
    "Hej! När töms soporna på {street} {num}?",
    "Gatlampan utanför {street} {num} är trasig sedan i måndags.",
    "Varför har ni inte plogat {street} ännu, det är omöjligt att ta sig fram",
    "Tack för en fantastisk konsert i {place} igår, barnen älskade det!",
    "Min mamma har fått hemtjänst men de kommer aldrig i tid. Vem kan jag prata med?",
    "Kan man få bygglov för ett attefallshus nära tomtgränsen?",
    "Vad kostar förskolan för två barn och finns det plats på {place}skolan i höst?",
    "Vattnet är brunt i kranen i hela {place} sedan i morse.",
    "{name} i kommunstyrelsen borde avgå efter det där beslutet om skolan.",
    "Ring mig gärna på 070-{d3} {d2} {d2} så förklarar jag mer.",
    "Hur förnyar jag mitt pass, kan kommunen hjälpa till med det?",
    "Fy fan vad dåligt det här är, ni borde skämmas allihop 😡",
    "Bra jobbat med nya cykelbanan längs {street}! 👍",
    "@{name} håller helt med dig, samma sak hände oss förra vintern.",
    "Vi har fått avslag på försörjningsstöd och vet inte hur vi ska betala hyran.",
    "Biblioteket i {place} borde ha öppet längre på lördagar.",
    "Någon har dumpat ett kylskåp vid återvinningsstationen igen.",
    "Är det sant att badhuset ska stängas? Vem har bestämt det?",
]
STREETS = ["Storgatan", "Björkvägen", "Kyrkogatan", "Parkvägen", "Sjövägen", "Tallstigen"]
PLACES = ["Norrby", "Bredsjö", "Myrviken", "Tallby", "Granlunda", "Sörforsen"]
NAMES = ["Anna", "Lars", "Eriksson", "Karin", "Mats", "Lena"]


def _joined(n: int, length: int, seed: int, piece: Callable[[random.Random], str]) -> list[str]:
    """``n`` comments of pieces joined by spaces and cut to ``length`` characters."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = ""
        while len(text) < length:
            text += piece(rng) + " "
        out.append(text[:length])
    return out


def synthetic_comments(n: int, length: int = 200, seed: int = 1) -> list[str]:
    def sentence(rng: random.Random) -> str:
        return rng.choice(SENTENCES).format(
            street=rng.choice(STREETS), num=rng.randrange(1, 80), place=rng.choice(PLACES),
            name=rng.choice(NAMES), d3=rng.randrange(100, 999), d2=rng.randrange(10, 99),
        )  # fmt: skip

    return _joined(n, length, seed, sentence)


def written_comments(n: int, length: int = 200, seed: int = 1) -> list[str]:
    """The written examples' texts, joined in random order and cut to ``length``."""
    texts = [example.text for example in load_examples()]
    return _joined(n, length, seed, lambda rng: rng.choice(texts))


CORPORA = {"synthetic": synthetic_comments, "written": written_comments}


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="both")
    args = parser.parse_args(argv)
    names = list(CORPORA) if args.corpus == "both" else [args.corpus]
    return min(run(name, args.n) for name in names)


def run(corpus: str, n: int) -> float:
    triager = default_triager()
    comments = CORPORA[corpus](n)
    for text in CORPORA[corpus](500, seed=2):  # warm-up: load the model, fill the caches
        triager.triage(text)
    start, cpu_start = time.perf_counter(), time.process_time()
    for text in comments:
        triager.triage(text)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    rate = len(comments) / cpu
    # CPU time is what one core spends; wall time also counts waiting on a busy machine.
    print(
        f"triage {triager.version}: {len(comments)} {corpus} comments of 200 characters: "
        f"{rate:,.0f} comments/s per core (CPU {cpu:.2f} s; wall {elapsed:.2f} s "
        f"= {len(comments) / elapsed:,.0f}/s)"
    )
    return rate


if __name__ == "__main__":
    main()
