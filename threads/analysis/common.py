"""What the one-thread and the many-thread reports share: request, context, topic summary,
distinctive terms, moderation summary, manifest."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

import threads
from threads.analysis.data import (
    ActorActions,
    EventView,
    LanguageMix,
    Manifest,
    ModerationSummary,
    Representative,
    TermScore,
    TopicRow,
    TopicSummary,
    iso,
)
from threads.analysis.logodds import DEFAULT_ALPHA0, count_terms, log_odds, tokens
from threads.analysis.manifest import DEFAULT_SALT, Codebook, pseudonym
from threads.body_text import plain_text
from threads.db.queries import analysis as q
from threads.models import CommentStatus
from threads.topics.language import detector_name, has_sentiment

#: statuses counted unless ``--status`` says otherwise: everything but spam and deleted
DEFAULT_STATUSES: tuple[str, ...] = tuple(
    s.value for s in CommentStatus if s not in (CommentStatus.SPAM, CommentStatus.DELETED)
)
#: statuses that make up the moderation queue
QUEUE_STATUSES = (CommentStatus.PENDING.value, CommentStatus.FLAGGED.value)
#: at most this many comments are tokenised for a group or for the background
TERMS_SAMPLE_CAP = 10_000
TERMS_PER_TOPIC = 6
EXCERPT_CHARS = 160


@dataclass(frozen=True)
class ReportQuery:
    """What to report on. ``thread_ids`` empty with ``all_threads`` False and no ``site`` is an
    error. ``site`` (a site key) alone means every thread of that site; with thread ids, those
    threads must belong to it."""

    thread_ids: tuple[int, ...] = ()
    all_threads: bool = False
    site: str | None = None
    topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    anonymize: bool = False
    salt: str = DEFAULT_SALT
    taxonomy_path: Path | None = None
    #: a stored codebook to report on by name (its labels give the topics); None: the codebook
    #: of ``taxonomy_path`` (the configured one by default)
    codebook: str | None = None
    generated_at: datetime | None = None
    #: longest comment body shown in the tree before it is excerpted
    body_chars: int = 600
    authors: int = 15
    events: int = 10
    #: compute distinctive terms (log-odds) for each topic
    terms: bool = True
    #: find campaigns (near-duplicates, bursts, aliases) among the counted comments
    campaigns: bool = True


@dataclass
class Context:
    """A request resolved against the database: selection, topics, naming of authors."""

    request: ReportQuery
    selection: q.Selection
    #: (topic id, label) in codebook order, then unknown topic ids found in labels
    topics: list[tuple[str, str]]
    codebook: Codebook | None
    terms_info: dict[str, Any] = field(default_factory=dict)
    #: the key of the site the selection is narrowed to (as stored), or None
    site: str | None = None

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.topics)

    def add_topics(self, topic_ids: Iterable[str]) -> None:
        """Topics found on labels but missing from the codebook go last, by id."""
        known = {t for t, _ in self.topics}
        self.topics.extend((t, t) for t in sorted(set(topic_ids) - known))

    def shown_topics(self) -> list[tuple[str, str]]:
        if self.selection.topic is None:
            return self.topics
        return [(t, label) for t, label in self.topics if t == self.selection.topic]

    def author(self, key: str | None, name: str | None) -> str | None:
        """The name shown for an author: the name, or a pseudonym with ``anonymize``."""
        identity = key or name
        if identity is None:
            return None
        if self.request.anonymize:
            return pseudonym(identity, self.request.salt)
        return name or identity


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` on one line, cut at a word boundary near ``limit`` characters with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# --------------------------------------------------------------------------- topic summary


def topic_summary(
    conn: Connection,
    ctx: Context,
    *,
    comments: int,
    labelled: int,
    cells: dict[str, tuple[int, float]],
) -> TopicSummary:
    """Per shown topic: comments, share, mean score, distinctive terms, representative."""
    terms = distinctive_terms(conn, ctx, comments) if ctx.request.terms else {}
    rows: list[TopicRow] = []
    for topic_id, label in ctx.shown_topics():
        n, score_sum = cells.get(topic_id, (0, 0.0))
        rep = q.representative(conn, ctx.selection, topic_id) if n else None
        rows.append(
            TopicRow(
                topic_id=topic_id,
                label=label,
                comments=n,
                share=share(n, comments),
                mean_score=round(score_sum / n, 4) if n else None,
                terms=terms.get(topic_id, []),
                representative=(
                    Representative(
                        comment_id=rep.id,
                        thread_id=rep.thread_id,
                        author=ctx.author(rep.author_key, rep.author_name),
                        score=round(float(rep.score), 4),
                        excerpt="[purged]"
                        if rep.purged
                        else excerpt(plain_text(rep.body, rep.body_format)),
                        evidence=[] if rep.purged else _evidence(conn, ctx, rep.id, topic_id),
                    )
                    if rep is not None
                    else None
                ),
            )
        )
    unlabelled = comments - labelled
    return TopicSummary(
        comments=comments,
        rows=rows,
        unlabelled=unlabelled,
        unlabelled_share=share(unlabelled, comments),
    )


def _evidence(conn: Connection, ctx: Context, comment_id: int, topic_id: str) -> list[str]:
    """The evidence words of the comment's label of ``topic_id``, as written in its body."""
    found: list[str] = []
    for label in q.labels_for(conn, ctx.selection.codebook, [comment_id]):
        if label.topic_id != topic_id:
            continue
        for item in label.evidence or []:
            if isinstance(item, dict):
                text = str(item.get("text") or item.get("term") or "").strip()
                if text and text not in found:
                    found.append(text)
    return found


def distinctive_terms(conn: Connection, ctx: Context, selected: int) -> dict[str, list[TermScore]]:
    """Top terms per topic: the selected comments of that topic against every other comment
    in the database, with the whole corpus as the prior. Bounded: at most
    ``TERMS_SAMPLE_CAP`` comments are tokenised on each side (a deterministic sample of ids
    when there are more), which the manifest records."""
    sel = ctx.selection
    whole = (
        sel.thread_ids is None and sel.site_id is None and sel.since is None and sel.until is None
    )
    corpus = selected if whole else q.corpus_size(conn, sel)
    every_fg = max(1, math.ceil(selected / TERMS_SAMPLE_CAP))
    every_bg = max(1, math.ceil(corpus / TERMS_SAMPLE_CAP))
    # Each sampled comment is tokenised once; when the selection is the whole database the
    # same sample is the background.
    sample = q.sampled_comments(conn, sel, every_fg)
    per_comment = {
        row.id: Counter(tokens(plain_text(row.body, row.body_format), row.language))
        for row in sample
    }
    if whole and every_bg == every_fg:
        corpus_counts: Counter[str] = Counter()
        for counts in per_comment.values():
            corpus_counts.update(counts)
    else:
        corpus_counts = count_terms(
            (plain_text(r.body, r.body_format), r.language)
            for r in q.corpus_texts(conn, sel, every_bg)
        )
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    group_sizes: Counter[str] = Counter()
    for label in q.labels_for(conn, sel.codebook, list(per_comment)):
        groups[label.topic_id].update(per_comment[label.comment_id])
        group_sizes[label.topic_id] += 1
    ctx.terms_info = {
        "method": "log-odds ratio, informative Dirichlet prior (Monroe et al. 2008)",
        "alpha0": DEFAULT_ALPHA0,
        "group": "comments of the topic in the selection",
        "rest": "every other counted comment in the database",
        "prior": "term frequencies of the whole database",
        "corpus_comments": corpus,
        "background_sample": _sample_note(every_bg),
        "group_sample": _sample_note(every_fg),
    }
    scale = every_bg / every_fg
    result: dict[str, list[TermScore]] = {}
    for topic_id, group in groups.items():
        rest: Counter[str] = Counter()
        for word, n in corpus_counts.items():
            left = round(n * scale) - group.get(word, 0)
            if left > 0:
                rest[word] = left
        min_count = 2 if group_sizes[topic_id] > 2 else 1
        ranked = [
            TermScore(term=w, z=round(z, 3), count=group[w])
            for w, z in log_odds(group, rest, corpus_counts)
            if z > 0 and group[w] >= min_count
        ]
        result[topic_id] = ranked[:TERMS_PER_TOPIC]
    return result


def _sample_note(every: int) -> str:
    return "all comments" if every == 1 else f"comment ids divisible by {every}"


@dataclass
class LabelFacts:
    """What one pass over the selection's topic labels tells (see ``topic_combinations``)."""

    per_thread: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    per_month: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    counts: Counter[str] = field(default_factory=Counter)
    score_sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    labelled_per_thread: Counter[int] = field(default_factory=Counter)
    combos: Counter[frozenset[str]] = field(default_factory=Counter)
    versions: set[str] = field(default_factory=set)

    @property
    def cells(self) -> dict[str, tuple[int, float]]:
        """Per topic: (comments, sum of scores)."""
        return {t: (n, self.score_sums[t]) for t, n in self.counts.items()}

    @property
    def labelled(self) -> int:
        return sum(self.labelled_per_thread.values())


def label_facts(conn: Connection, ctx: Context) -> LabelFacts:
    """Per-thread and per-month topic counts, score sums, topic combinations and codebook
    versions of the selection, from one grouped query. Adds topics found on labels to ``ctx``."""
    ctx.add_topics(q.topic_ids_in_use(conn, ctx.selection.codebook))
    topic_ids = [t for t, _ in ctx.topics]
    facts = LabelFacts()
    for row in q.topic_combinations(conn, ctx.selection, topic_ids):
        n = int(row.n)
        combo = frozenset(x for x in (row.signature or "").split(q.SIGNATURE_SEPARATOR) if x)
        if not combo:
            continue
        facts.versions.update(v for v in (row.v_min, row.v_max) if v)
        facts.labelled_per_thread[row.thread_id] += n
        facts.combos[combo] += n
        for topic in combo:
            facts.per_thread[row.thread_id][topic] += n
            if row.month is not None:
                facts.per_month[row.month][topic] += n
            facts.counts[topic] += n
        for i, topic in enumerate(topic_ids):
            value = row[6 + i]
            if value is not None:
                facts.score_sums[topic] += float(value)
    return facts


# --------------------------------------------------------------------------- moderation


def moderation_summary(
    conn: Connection, ctx: Context, thread_ids: tuple[int, ...] | None, queue: dict[str, int]
) -> ModerationSummary:
    """Queue size by status, actions by actor (busiest first), the newest actions."""
    per_actor: dict[str, dict[str, int]] = defaultdict(dict)
    site_id = ctx.selection.site_id
    for row in q.actions_by_actor(conn, thread_ids, site_id):
        per_actor[row.actor][row.action] = int(row.n)
    actors = [
        ActorActions(actor=a, total=sum(acts.values()), actions=dict(sorted(acts.items())))
        for a, acts in per_actor.items()
    ]
    actors.sort(key=lambda x: (-x.total, x.actor))
    events = [
        EventView(
            at=row.created_at,
            actor=row.actor,
            action=row.action,
            target=f"{row.target_type} {row.target_id}",
            thread_id=row.thread_id,
            from_state=row.from_state,
            to_state=row.to_state,
            reason=row.reason,
        )
        for row in q.last_events(conn, thread_ids, ctx.request.events, site_id)
    ]
    return ModerationSummary(
        queue={s: queue.get(s, 0) for s in QUEUE_STATUSES},
        actions_by_actor=actors,
        last_actions=events,
    )


# --------------------------------------------------------------------------- manifest


def language_mix(conn: Connection, sel: q.Selection) -> LanguageMix:
    """The selection's comments per detected language, and how many have no sentiment."""
    counts: dict[str, int] = {}
    for row in q.language_counts(conn, sel):
        key = "purged" if row.purged else row.language or "unknown"
        counts[key] = counts.get(key, 0) + int(row.n)
    na = {
        lang: n
        for lang, n in counts.items()
        if lang not in ("unknown", "purged") and not has_sentiment(lang)
    }
    return LanguageMix(
        counts=dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))),
        sentiment_na=sum(na.values()),
        sentiment_na_languages=sorted(na),
        detector=detector_name(),
    )


def build_manifest(
    ctx: Context,
    *,
    comments: int,
    threads_count: int,
    generated_at: datetime,
    label_versions: list[str],
    languages: LanguageMix | None = None,
) -> Manifest:
    req = ctx.request
    sel = ctx.selection
    filters: dict[str, Any] = {
        "threads": "all" if sel.thread_ids is None else list(sel.thread_ids),
        "site": ctx.site,
        "topic": sel.topic,
        "since": iso(sel.since),
        "until": iso(sel.until),
        "until_exclusive": True,
        "statuses": list(sel.statuses),
        "kinds": ["comment"],
    }
    book = ctx.codebook
    return Manifest(
        software="threads",
        version=threads.__version__,
        codebook=book.name if book else None,
        codebook_version=book.version if book else None,
        codebook_hash=book.hash if book else None,
        label_versions=sorted(set(label_versions)),
        comments=comments,
        threads=threads_count,
        filters=filters,
        terms=ctx.terms_info,
        pseudonyms=(
            "HMAC-SHA256 of the author identity, "
            + ("default salt" if req.salt == DEFAULT_SALT else "custom salt")
            if req.anonymize
            else None
        ),
        generated_at=generated_at,
        languages=languages,
    )
