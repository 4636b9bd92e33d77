"""Campaign detection benchmark: N comments clustered in one streamed pass, time and peak memory.

Not a test. Comments are generated one at a time (never held in a list, never ORM objects):
ordinary comments are 8 to 60 words drawn with natural (Zipf) frequencies from the words of
the labelled fixtures, by 50,000 regular authors over 2,000 threads and a year. Every 1,000th
comment starts a planted campaign of 8 comments: a near-duplicate message (three fixture
sentences with 3 % of their words replaced, on 8 threads), a burst of first-time authors on one
thread within 35 minutes, or one e-mail under 8 names; precision and recall are printed too.
Below 4,000 comments a campaign starts every N/4th comment instead, so that a small run plants
each kind at least once; a campaign that would run past the N-th comment is not planted.
With --db URL, the comments of that database are streamed from it instead
(`threads.analysis.campaigns.scan_database`).

Peak memory is the process's maximum resident set size (resource.getrusage), which includes
the interpreter and the imported libraries (printed before the scan as the baseline).

    .venv/bin/python bench/campaigns_bench.py --comments 1000000
    .venv/bin/python bench/campaigns_bench.py --db sqlite:///threads.db
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _quick import capped

from threads.analysis.campaigns import CampaignScan, CommentFacts, Settings, scan_database

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
THREADS = 2000
AUTHORS = 50_000
#: members of one planted campaign
CAMPAIGN = 8


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sentences() -> list[str]:
    out: list[str] = []
    for name in ("labelled.jsonl", "labelled_holdout.jsonl", "seed_labels.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                body = json.loads(line).get("body") or ""
                out += [s.strip() + "." for s in body.split(".") if len(s.split()) >= 4]
    return out


class Generated:
    """The generated comments and, as they go, the planted members of each kind."""

    def __init__(self, n: int, seed: int = 1) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.pool = sentences()
        self.vocabulary = sorted({w for s in self.pool for w in s.split()})
        # word frequencies as in natural text (Zipf): a few words everywhere, most rare
        weights = [1 / (rank + 1) for rank in range(len(self.vocabulary))]
        self.rng.shuffle(self.vocabulary)
        self.cum_weights = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.truth: dict[str, set[int]] = {"dup": set(), "burst": set(), "alias": set()}
        # every 1,000th comment; closer below 4,000 comments so that each kind is planted
        self.every = max(CAMPAIGN, min(1000, n // 4))

    def __iter__(self) -> Iterator[CommentFacts]:
        rng, vocab, cum = self.rng, self.vocabulary, self.cum_weights
        next_id = 1
        planted: list[CommentFacts] = []
        year = 365 * 24 * 3600
        while next_id <= self.n:
            if planted:
                fact = planted.pop()
                fact = replace(fact, id=next_id)
            elif next_id % self.every == 0 and next_id + CAMPAIGN - 1 <= self.n:
                # only whole campaigns: a cut one would count unseen members as missed
                planted = self._campaign(next_id)
                continue
            else:
                author = rng.randrange(AUTHORS)
                body = " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(8, 60)))
                fact = CommentFacts(
                    id=next_id,
                    thread_id=rng.randrange(THREADS),
                    author_key=f"reader{author}@mail.example",
                    author_name=f"Reader {author}",
                    posted_at=T0 + timedelta(seconds=rng.randrange(year)),
                    body=body,
                    email=f"reader{author}@mail.example",
                )
            yield fact
            next_id += 1

    def _campaign(self, at: int) -> list[CommentFacts]:
        """Members of one planted campaign (ids are given when they are yielded)."""
        rng = self.rng
        kind = ("dup", "dup", "burst", "alias")[(at // self.every) % 4]
        members: list[CommentFacts] = []
        when = T0 + timedelta(seconds=rng.randrange(300 * 24 * 3600))
        message = " ".join(rng.sample(self.pool, 3))
        thread = rng.randrange(THREADS)
        for k in range(CAMPAIGN):
            words = message.split()
            vocab = self.vocabulary
            body = " ".join(rng.choice(vocab) if rng.random() < 0.03 else w for w in words)
            if kind != "dup":
                body = " ".join(rng.choices(self.vocabulary, cum_weights=self.cum_weights, k=30))
            name = f"{kind} {at} {k}"
            members.append(
                CommentFacts(
                    id=0,
                    thread_id=thread if kind == "burst" else rng.randrange(THREADS),
                    author_key=f"{kind}{at}@sock.example" if kind == "alias" else name,
                    author_name=name,
                    posted_at=when + timedelta(minutes=5 * k),
                    body=body,
                    email=f"{kind}{at}@sock.example" if kind == "alias" else None,
                )
            )
        first = at
        self.truth[kind].update(range(first, first + len(members)))
        return members[::-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--db", help="stream the comments of this database instead")
    parser.add_argument("--threshold", type=float, default=None)
    args = capped(parser.parse_args(), comments=1000)
    settings = Settings(threshold=args.threshold) if args.threshold else Settings()
    base = peak_mb()
    print(f"baseline peak RSS {base:.0f} MB (interpreter and libraries)")
    started = time.perf_counter()
    if args.db:
        from threads.db import make_engine

        engine = make_engine(args.db)
        with engine.connect() as conn:
            clusters = scan_database(conn, settings=settings)
        fed = time.perf_counter() - started
        n = "?"
        truth = None
    else:
        generated = Generated(args.comments)
        scan = CampaignScan(settings)
        for fact in generated:
            scan.add(fact)
        fed = time.perf_counter() - started
        clusters = scan.clusters()
        n = f"{scan.seen:,}"
        truth = generated.truth
    total = time.perf_counter() - started
    print(
        f"{n} comments: {total:.1f} s ({fed:.1f} s reading and signing, "
        f"{total - fed:.1f} s clustering); peak RSS {peak_mb():.0f} MB"
    )
    for kind in ("dup", "burst", "alias"):
        mine = [c for c in clusters if c.kind == kind]
        found = {m for c in mine for m in c.members}
        line = f"  {kind}: {len(mine):,} clusters, {len(found):,} comments"
        if truth is not None and truth[kind]:
            hits = len(found & truth[kind])
            precision = hits / len(found) if found else 1.0
            line += f"; precision {precision:.3f}, recall {hits / len(truth[kind]):.3f}"
        elif truth is not None:
            line += f"; none planted (too few comments for a campaign of {CAMPAIGN})"
        print(line)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
