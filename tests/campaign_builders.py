"""A deterministic corpus with planted campaigns among ordinary comments, for the campaign tests.

Ordinary comments are one to three real comment sentences (the labelled fixtures) with a third
of their words replaced by other words of those comments, posted by a pool of regular authors
over weeks (more on a thread's first days, as real threads go). Planted among them:

- near-duplicate campaigns: one message rewritten by several authors on several threads, each
  copy with a share of its words replaced (light, medium and heavy rewrites);
- bursts: several authors whose first comment ever lands on one thread within 40 minutes;
- aliases: one e-mail, and one network address, used under several names.

``truth`` holds, per kind, the planted groups (comment numbers, 1-based: the ids when loaded
into an empty database, see :func:`load`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.sites import site_id
from threads.analysis.campaigns import CommentFacts
from threads.identity import author_key
from threads.models import Article, Comment, CommentStatus, Thread

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
START = datetime(2014, 11, 1, 8, 0, tzinfo=UTC)


@dataclass
class Planted:
    number: int
    thread: int
    author_name: str
    email: str | None
    address: str | None
    posted_at: datetime
    body: str
    status: CommentStatus = CommentStatus.APPROVED


@dataclass
class Corpus:
    threads: int
    comments: list[Planted] = field(default_factory=list)
    #: kind -> planted groups of comment numbers
    truth: dict[str, list[set[int]]] = field(default_factory=dict)

    def facts(self) -> list[CommentFacts]:
        return [
            CommentFacts(
                id=c.number,
                thread_id=c.thread,
                author_key=author_key(c.email, c.author_name),
                author_name=c.author_name,
                posted_at=c.posted_at,
                body=c.body,
                email=c.email,
                address=c.address,
            )
            for c in self.comments
        ]

    def planted(self, kind: str) -> set[int]:
        return set().union(*self.truth.get(kind, []))


def sentences() -> list[str]:
    out: list[str] = []
    for name in ("labelled.jsonl", "labelled_holdout.jsonl", "seed_labels.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                body = json.loads(line).get("body") or ""
                out += [s.strip() + "." for s in body.split(".") if len(s.split()) >= 4]
    return out


def rewrite(text: str, share: float, vocabulary: list[str], rng: random.Random) -> str:
    """``text`` with about ``share`` of its words replaced by words of ``vocabulary``."""
    words = text.split()
    return " ".join(rng.choice(vocabulary) if rng.random() < share else w for w in words)


def build_corpus(seed: int = 7, threads: int = 12, ordinary: int = 1500) -> Corpus:
    rng = random.Random(seed)
    pool = sentences()
    vocabulary = sorted({w for s in pool for w in s.split()})
    corpus = Corpus(threads=threads)
    regulars = [f"Reader {i}" for i in range(90)]

    def add(thread: int, name: str, when: datetime, body: str, **kw: str | None) -> int:
        number = len(corpus.comments) + 1
        email = kw.get("email", f"{name.lower().replace(' ', '.')}@mail.example")
        address = kw.get("address", f"10.0.{number % 250}.{number % 7 + 1}")
        corpus.comments.append(Planted(number, thread, name, email, address, when, body))
        return number

    def ordinary_text(thread: int) -> str:
        picked = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 3)))
        text = rewrite(picked, 0.33, vocabulary, rng)
        earlier = [c for c in corpus.comments if c.thread == thread]
        if earlier and rng.random() < 0.25:
            # a reply quoting a sentence of an earlier comment: alike, but not organised
            quoted = rng.choice(earlier).body.split(".")[0] + "."
            text = f"{quoted} {rng.choice(['Exactly.', 'No.', 'Nonsense.', 'Agreed.'])} {text}"
        return text

    for _ in range(ordinary):
        thread = rng.randrange(1, threads + 1)
        opened = START + timedelta(days=3 * (thread - 1))
        when = opened + timedelta(hours=min(rng.expovariate(1 / 72), 24 * 40))
        name = rng.choice(regulars)
        add(
            thread,
            name,
            when,
            ordinary_text(thread),
            email=f"{name.lower().replace(' ', '.')}@x.example",
        )

    # near-duplicate campaigns: light, medium and heavy rewrites, across threads and authors
    dup_groups: list[set[int]] = []
    for n, share in enumerate((0.02, 0.04, 0.06, 0.08, 0.1, 0.12) * 2):
        message = " ".join(rng.sample(pool, 3)) + " Share this before they delete it."
        group: set[int] = set()
        for k in range(6):
            thread = rng.randrange(1, threads + 1)
            when = START + timedelta(days=10 + n, hours=k * 3 + rng.random())
            group.add(
                add(thread, f"Campaigner {n}-{k}", when, rewrite(message, share, vocabulary, rng))
            )
        dup_groups.append(group)
    corpus.truth["dup"] = dup_groups

    # bursts: first-time authors piling onto one thread within 40 minutes
    burst_groups: list[set[int]] = []
    for n, thread in enumerate((3, 8)):
        at = START + timedelta(days=3 * (thread - 1) + 9, hours=14)
        group = {
            add(thread, f"Newcomer {n}-{k}", at + timedelta(minutes=5 * k), ordinary_text(thread))
            for k in range(8)
        }
        burst_groups.append(group)
    corpus.truth["burst"] = burst_groups

    # aliases: one e-mail under three names, one address under two names
    alias_groups: list[set[int]] = []
    group = set()
    for k, name in enumerate(("Patriot Joe", "Concerned Mom", "Real Voter")):
        for j in range(2):
            when = START + timedelta(days=5 + 4 * j + k, hours=k)
            thread = rng.randrange(1, threads + 1)
            group.add(add(thread, name, when, ordinary_text(thread), email="sock@puppet.example"))
    alias_groups.append(group)
    group = set()
    for k, name in enumerate(("Quiet Observer", "Loud Observer")):
        for j in range(2):
            when = START + timedelta(days=7 + 3 * j, hours=k)
            thread = rng.randrange(1, threads + 1)
            text = ordinary_text(thread)
            group.add(add(thread, name, when, text, address="203.0.113.9"))
    alias_groups.append(group)
    corpus.truth["alias"] = alias_groups
    return corpus


def load(engine: Engine, corpus: Corpus, *, status: CommentStatus | None = None) -> dict[int, int]:
    """Write the corpus into a migrated database (one site, one article per thread); comment
    number -> comment id. ``status`` overrides every comment's status."""
    ids: dict[int, int] = {}
    with Session(engine) as session:
        site = site_id(session)
        threads: dict[int, int] = {}
        for n in range(1, corpus.threads + 1):
            article = Article(
                site_id=site,
                key=f"campaign-test:{n}",
                title=f"Article {n}",
                source_url=f"https://example.org/a/{n}",
                published_at=START + timedelta(days=3 * (n - 1)),
                source_format="text",
                content_hash=f"{n:064d}",
            )
            session.add(article)
            session.flush()
            assert article.id is not None
            thread = Thread(article_id=article.id)
            session.add(thread)
            session.flush()
            assert thread.id is not None
            threads[n] = thread.id
        rows = [
            Comment(
                thread_id=threads[c.thread],
                position=c.number,
                key=f"c{c.number}",
                author_name=c.author_name,
                author_email=c.email,
                author_key=author_key(c.email, c.author_name),
                posted_at=c.posted_at,
                body=c.body,
                status=status or c.status,
                content_hash=f"{c.number:064d}",
                extra={"author_ip": c.address} if c.address else {},
            )
            for c in corpus.comments
        ]
        session.add_all(rows)
        session.flush()
        for c, row in zip(corpus.comments, rows, strict=True):
            assert row.id is not None
            ids[c.number] = row.id
        session.commit()
    return ids


def plant_alias(
    engine: Engine,
    email: str,
    names: Sequence[str],
    bodies: Sequence[str],
    *,
    tag: str,
    day: int,
    first_position: int = 10_000,
) -> set[int]:
    """A new alias campaign in a loaded corpus: one e-mail under several ``names`` (the k-th
    writing ``bodies[k]``), waiting on the first thread, ``day`` days after :data:`START`, with
    keys of their own (``tag``) and positions from ``first_position`` on (clear of the
    corpus's). Returns the new comments' ids."""
    with Session(engine) as session:
        thread_id = session.execute(sa.select(sa.func.min(Comment.thread_id))).scalar_one()
        rows = [
            Comment(
                thread_id=thread_id,
                position=first_position + k,
                key=f"{tag}{k}",
                author_name=name,
                author_email=email,
                author_key=author_key(email, name),
                posted_at=START + timedelta(days=day, hours=k),
                body=bodies[k],
                status=CommentStatus.PENDING,
                content_hash=f"{tag}{k:060d}",
            )
            for k, name in enumerate(names)
        ]
        session.add_all(rows)
        session.commit()
        return {r.id for r in rows if r.id is not None}
