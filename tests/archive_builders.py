"""Test helpers of the archive area: fresh databases on demand, and a database builder.

The builder writes rows directly with the SQLModel models (no importer involved), so archive
tests can fill a database with every kind of row, including those no importer writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads.models import (
    ALL_TABLES,
    ActorType,
    ApiKey,
    Article,
    AutoCloseFrom,
    Comment,
    CommentKind,
    CommentReport,
    CommentStatus,
    CommentTopic,
    EventTarget,
    ImportBatch,
    LabelSource,
    ModerationEvent,
    PreModeration,
    Site,
    Thread,
    ThreadState,
    TopicModel,
)

# --------------------------------------------------------------------------- databases


def table_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but api_key, ordered by primary key, as plain dicts."""
    rows: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for model in ALL_TABLES:
            if model is ApiKey:
                continue
            table: sa.Table = model.__table__  # type: ignore[attr-defined]
            result = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [dict(r._mapping) for r in result]
    return rows


# --------------------------------------------------------------------------- data

_T0 = datetime(2014, 11, 4, 3, 32, tzinfo=UTC)


@dataclass
class Data:
    """What to write: plain dicts of model fields, references by list index."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    #: when empty, one site ("example.org") holds every article
    sites: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)  # "thread" dict, "site": idx
    comments: list[dict[str, Any]] = field(default_factory=list)  # "thread": idx, "parent": idx
    labels: list[dict[str, Any]] = field(default_factory=list)  # "comment": idx
    models: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # "target": ("comment", idx)
    reports: list[dict[str, Any]] = field(default_factory=list)  # "comment": idx


def build(engine: Engine, data: Data) -> dict[str, list[int]]:
    """Write ``data`` in one transaction; returns the ids given, per kind."""
    ids: dict[str, list[int]] = {k: [] for k in ("batch", "site", "article", "thread", "comment")}
    with Session(engine) as session:
        for spec in data.batches:
            batch = ImportBatch(**spec)
            session.add(batch)
            session.flush()
            ids["batch"].append(_id(batch))

        def batch_id(spec: dict[str, Any]) -> int | None:
            index = spec.pop("batch", None)
            return (
                None
                if index is None or not ids["batch"]
                else ids["batch"][index % len(ids["batch"])]
            )

        default_site = {
            "key": "example.org",
            "name": "Example",
            "created_at": _T0,
            "updated_at": _T0,
        }
        for spec in data.sites or [default_site]:
            spec = dict(spec)
            site = Site(**spec, import_batch_id=batch_id(spec))
            session.add(site)
            session.flush()
            ids["site"].append(_id(site))
        for spec in data.articles:
            spec = dict(spec)
            thread_spec = dict(spec.pop("thread"))
            site_index = spec.pop("site", 0)
            article_batch = batch_id(spec)
            thread_batch = batch_id(thread_spec)
            article = Article(
                **spec,
                site_id=ids["site"][site_index % len(ids["site"])],
                import_batch_id=article_batch,
            )
            session.add(article)
            session.flush()
            ids["article"].append(_id(article))
            thread = Thread(**thread_spec, article_id=_id(article), import_batch_id=thread_batch)
            session.add(thread)
            session.flush()
            ids["thread"].append(_id(thread))
        for spec in data.comments:
            spec = dict(spec)
            thread_index = spec.pop("thread")
            parent = spec.pop("parent", None)
            comment_batch = batch_id(spec)
            comment = Comment(
                **spec,
                thread_id=ids["thread"][thread_index],
                parent_id=None if parent is None else ids["comment"][parent],
                import_batch_id=comment_batch,
            )
            session.add(comment)
            session.flush()
            ids["comment"].append(_id(comment))
        for spec in data.labels:
            spec = dict(spec)
            comment_id = ids["comment"][spec.pop("comment")]
            session.add(CommentTopic(**spec, comment_id=comment_id))
        for spec in data.models:
            session.add(TopicModel(**spec))
        for spec in data.events:
            spec = dict(spec)
            kind, index = spec.pop("target")
            target_id = ids[kind][index] if ids[kind] else 999
            thread_index = spec.pop("thread", None)
            session.add(
                ModerationEvent(
                    **spec,
                    target_type=EventTarget(kind),
                    target_id=target_id,
                    thread_id=None if thread_index is None else ids["thread"][thread_index],
                )
            )
        for spec in data.reports:
            spec = dict(spec)
            comment_id = ids["comment"][spec.pop("comment")]
            session.add(CommentReport(**spec, comment_id=comment_id))
        session.commit()
    return ids


def _id(row: Any) -> int:
    assert row.id is not None
    return int(row.id)


# --------------------------------------------------------------------------- strategies

TEXT_ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
text = st.text(TEXT_ALPHABET, max_size=24)
short = st.text(TEXT_ALPHABET, max_size=12)
maybe_text = st.none() | text
times = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2090, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)
maybe_time = st.none() | times
finite = st.floats(allow_nan=False, allow_infinity=False)
json_scalar = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | finite | short
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short, inner, max_size=3),
    max_leaves=6,
)
json_object = st.dictionaries(short, json_value, max_size=3)


@st.composite
def datasets(draw: st.DrawFn, max_threads: int = 3, max_comments: int = 6) -> Data:
    data = Data()
    for _ in range(draw(st.integers(0, 2))):
        data.batches.append(
            {
                "source_name": draw(text),
                "source_path": draw(maybe_text),
                "sha256": draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
                "format": draw(st.sampled_from(["text", "html", "wxr", "disqus", "jsonl"])),
                "encoding": draw(st.none() | st.sampled_from(["utf-8", "cp1252"])),
                "status": draw(st.sampled_from(["running", "done", "failed"])),
                "started_at": draw(times),
                "finished_at": draw(maybe_time),
                "counts": draw(st.dictionaries(short, st.integers(0, 100), max_size=3)),
                "warnings": draw(st.lists(text, max_size=2)),
                "errors": draw(st.lists(text, max_size=2)),
            }
        )
    batch_ref = st.none() | st.integers(0, 1)
    for i in range(draw(st.integers(1, 2))):
        data.sites.append(
            {
                "key": f"site{i}." + draw(st.text("abcdefgh", max_size=6)),
                "name": draw(text),
                "base_url": draw(maybe_text),
                "batch": draw(batch_ref),
                "extra": draw(json_object),
                "created_at": draw(times),
                "updated_at": draw(times),
            }
        )
    n_threads = draw(st.integers(1, max_threads))
    for i in range(n_threads):
        data.articles.append(
            {
                "site": draw(st.integers(0, 1)),
                "key": f"k{i}:" + draw(short),
                "source_url": draw(maybe_text),
                "title": draw(text),
                "byline": draw(maybe_text),
                "authors": draw(st.lists(short, max_size=2)),
                "standfirst": draw(maybe_text),
                "published_at": draw(maybe_time),
                "published_text": draw(st.none() | short),
                "body": draw(text),
                "source_format": draw(st.sampled_from(["text", "html", "wxr"])),
                "content_hash": draw(st.text("0123456789abcdef", min_size=8, max_size=64)),
                "extra": draw(json_object),
                "created_at": draw(times),
                "updated_at": draw(times),
                "batch": draw(batch_ref),
                "thread": {
                    "external_id": draw(st.none() | short),
                    "state": draw(st.sampled_from(ThreadState)),
                    "state_note": draw(maybe_text),
                    "closed_at": draw(maybe_time),
                    "closed_by": draw(st.none() | short),
                    "close_reason": draw(maybe_text),
                    "reopened_at": draw(maybe_time),
                    "reopened_by": draw(st.none() | short),
                    "auto_close_days": draw(st.none() | st.integers(0, 3650)),
                    "auto_close_from": draw(st.none() | st.sampled_from(AutoCloseFrom)),
                    "premoderation": draw(st.none() | st.sampled_from(PreModeration)),
                    "version": draw(st.integers(1, 50)),
                    "extra": draw(json_object),
                    "created_at": draw(times),
                    "updated_at": draw(times),
                    "batch": draw(batch_ref),
                },
            }
        )
    n_comments = draw(st.integers(0, max_comments))
    thread_of: list[int] = []
    for i in range(n_comments):
        thread = draw(st.integers(0, n_threads - 1))
        earlier = [j for j, t in enumerate(thread_of) if t == thread]
        parent = draw(st.none() | st.sampled_from(earlier)) if earlier else None
        thread_of.append(thread)
        status = draw(st.sampled_from(CommentStatus))
        data.comments.append(
            {
                "thread": thread,
                "parent": parent,
                "position": i,
                "external_id": draw(st.none() | short),
                "key": f"c{i}:" + draw(short),
                "kind": draw(st.sampled_from(CommentKind)),
                "author_name": draw(maybe_text),
                "author_url": draw(maybe_text),
                "author_email": draw(st.none() | short),
                "author_key": draw(st.none() | short),
                "posted_at": draw(maybe_time),
                "posted_text": draw(st.none() | short),
                "body": draw(st.text(TEXT_ALPHABET, max_size=80)),
                "body_format": draw(st.sampled_from(["text", "html"])),
                "status": status,
                "status_before_delete": draw(st.none() | st.sampled_from(CommentStatus)),
                "purged": draw(st.booleans()),
                "version": draw(st.integers(1, 9)),
                "report_count": draw(st.integers(0, 5)),
                "content_hash": draw(st.text("0123456789abcdef", min_size=8, max_size=64)),
                "sentiment": draw(st.none() | st.floats(-1, 1)),
                "sentiment_scores": draw(st.none() | st.dictionaries(short, finite, max_size=3)),
                "extra": draw(json_object),
                "created_at": draw(times),
                "updated_at": draw(times),
                "batch": draw(batch_ref),
            }
        )
    for c in range(n_comments):
        for topic in draw(
            st.lists(st.sampled_from(["gold", "p5", "russia", "ünïcode"]), unique=True, max_size=2)
        ):
            data.labels.append(
                {
                    "comment": c,
                    "codebook": draw(st.sampled_from(["iran-china-2014", "other"])),
                    "topic_id": topic,
                    "score": draw(finite),
                    "assigned": draw(st.booleans()),
                    "evidence": draw(st.lists(json_object, max_size=2)),
                    "source": draw(st.sampled_from(LabelSource)),
                    "labeler": draw(st.sampled_from(["", "mod"])),
                    "taxonomy_version": draw(short),
                    "created_at": draw(times),
                }
            )
    for topic in draw(st.lists(st.sampled_from(["gold", "p5", "russia"]), unique=True, max_size=2)):
        data.models.append(
            {
                "taxonomy_version": draw(short),
                "topic_id": topic,
                "algorithm": draw(st.sampled_from(["nb", "logreg"])),
                "model": draw(json_object),
                "label_count": draw(st.integers(0, 1000)),
                "trained_at": draw(times),
            }
        )
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["comment", "thread", "article"]))
        size = {"comment": n_comments, "thread": n_threads, "article": n_threads}[kind]
        if size == 0:
            continue
        data.events.append(
            {
                "target": (kind, draw(st.integers(0, size - 1))),
                "thread": draw(st.none() | st.integers(0, n_threads - 1)),
                "actor": draw(short),
                "actor_type": draw(st.sampled_from(ActorType)),
                "action": draw(st.sampled_from(["approve", "reject", "close", "import"])),
                "from_state": draw(st.none() | st.sampled_from(["pending", "open"])),
                "to_state": draw(st.none() | st.sampled_from(["approved", "closed"])),
                "reason": draw(maybe_text),
                "created_at": draw(times),
                "extra": draw(json_object),
            }
        )
    if n_comments:
        for _ in range(draw(st.integers(0, 2))):
            data.reports.append(
                {
                    "comment": draw(st.integers(0, n_comments - 1)),
                    "reason_code": draw(st.sampled_from(["spam", "abuse", "off_topic"])),
                    "detail": draw(maybe_text),
                    "reporter": draw(st.none() | short),
                    "created_at": draw(times),
                }
            )
    return data


def sample_data() -> Data:
    """A small fixed database: two threads, a reply tree, labels, an event and a report."""
    data = Data()
    data.batches.append(
        {"source_name": "seed.txt", "sha256": "a" * 64, "format": "text", "started_at": _T0}
    )
    data.articles.append(
        {
            "key": "url:https://example.org/gold",
            "source_url": "https://example.org/gold",
            "title": "Gold “reserves” & the Fed",
            "source_format": "text",
            "content_hash": "b" * 64,
            "created_at": _T0,
            "updated_at": _T0,
            "batch": 0,
            "thread": {"state": ThreadState.CLOSED, "created_at": _T0, "updated_at": _T0},
        }
    )
    data.articles.append(
        {
            "key": "url:https://example.org/p5",
            "source_url": "https://example.org/p5",
            "title": "P5+1 unity",
            "source_format": "text",
            "content_hash": "c" * 64,
            "created_at": _T0,
            "updated_at": _T0,
            "thread": {"state": ThreadState.OPEN, "created_at": _T0, "updated_at": _T0},
        }
    )
    statuses = [
        CommentStatus.APPROVED,
        CommentStatus.APPROVED,
        CommentStatus.PENDING,
        CommentStatus.SPAM,
        CommentStatus.DELETED,
        CommentStatus.FLAGGED,
        CommentStatus.REJECTED,
    ]
    parents = [None, 0, 1, None, 0, None, 5]
    for i, (status, parent) in enumerate(zip(statuses, parents, strict=True)):
        data.comments.append(
            {
                "thread": 0 if i < 5 else 1,
                "parent": parent,
                "position": i,
                "external_id": str(100 + i),
                "key": f"id:{100 + i}",
                "author_name": ["Zoë", "Иван", 'O\'Brien "Ed"', "spam bot", "Ann", "李", "Bob"][i],
                "author_email": f"a{i}@example.org",
                "author_url": "https://a.example" if i == 2 else None,
                "posted_at": _T0 + timedelta(hours=i),
                "posted_text": "November 4, 2014 at 03:32",
                "body": [
                    "Gold is <b>back</b> & ]]> here",
                    "Second line\nwith a newline",
                    "Sanctions on Russia",
                    "Buy now",
                    "removed",
                    "P5+1 unity matters",
                    "no",
                ][i],
                "status": status,
                "kind": CommentKind.PINGBACK if i == 3 else CommentKind.COMMENT,
                "content_hash": f"{i:064d}",
                "sentiment": 0.25 * (i - 3),
                "extra": {"wp:meta": {"akismet": "ok"}} if i == 0 else {},
                "created_at": _T0,
                "updated_at": _T0,
                "batch": 0,
            }
        )
    data.labels.append(
        {
            "comment": 0,
            "topic_id": "gold",
            "score": 0.9,
            "source": LabelSource.AUTO,
            "taxonomy_version": "v1",
            "created_at": _T0,
        }
    )
    data.labels.append(
        {
            "comment": 2,
            "topic_id": "russia",
            "score": 0.7,
            "source": LabelSource.AUTO,
            "taxonomy_version": "v1",
            "created_at": _T0,
        }
    )
    data.labels.append(
        {
            "comment": 2,
            "topic_id": "gold",
            "score": 0.1,
            "assigned": False,
            "source": LabelSource.AUTO,
            "taxonomy_version": "v1",
            "created_at": _T0,
        }
    )
    data.models.append(
        {"taxonomy_version": "v1", "topic_id": "gold", "algorithm": "nb", "trained_at": _T0}
    )
    data.events.append(
        {
            "target": ("comment", 3),
            "thread": 0,
            "actor": "mod",
            "actor_type": ActorType.USER,
            "action": "spam",
            "from_state": "pending",
            "to_state": "spam",
            "reason": "link farm",
            "created_at": _T0,
        }
    )
    data.reports.append({"comment": 5, "reason_code": "abuse", "detail": "rude", "created_at": _T0})
    return data
