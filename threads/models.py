"""The data model: SQLModel tables and the enums they use (defined in ``threads.enums``).

Alembic owns the schema (``threads/db/migrations``); nothing here creates tables.
Timestamps are timezone-aware UTC. Status and state columns are enums stored as short
strings with a CHECK constraint, never magic numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from threads.db.types import UTCDateTime, utcnow
from threads.enums import (
    ActorType,
    AutoCloseFrom,
    CommentKind,
    CommentStatus,
    DeliveryStatus,
    EventTarget,
    LabelSource,
    PreModeration,
    Role,
    Standing,
    ThreadState,
)

# Named constraints make SQLite batch migrations and autogenerate comparisons reliable.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def enum_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column type: VARCHAR plus a CHECK constraint listing the values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(str(m.value)) for m in enum_cls),
        values_callable=lambda cls: [str(m.value) for m in cls],
    )


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


def _json(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_column=sa.Column(sa.JSON(), nullable=False))


class ImportBatch(SQLModel, table=True):
    """One run of ``threads ingest`` over one file: provenance for every row it wrote."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(max_length=512)
    source_path: str | None = Field(default=None, sa_type=sa.Text)
    sha256: str = Field(max_length=64, index=True)
    format: str = Field(max_length=32)
    encoding: str | None = Field(default=None, max_length=32)
    status: str = Field(default="running", max_length=16)
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts())
    counts: dict[str, Any] = _json()
    warnings: list[str] = _json(list)
    errors: list[str] = _json(list)


class ArchiveLoad(SQLModel, table=True):
    """One load of a threads JSONL archive (``threads ingest`` of a ``threads export`` file).

    Kept apart from ``import_batch``, which the archive itself carries: a restore into an empty
    database then leaves it exactly as archived (export -> restore -> export gives the same
    bytes), and the load is still on record. ``mode``: "restore" (into an empty database, every
    id kept) or "merge". Never archived itself.
    """

    __tablename__ = "archive_load"

    id: int | None = Field(default=None, primary_key=True)
    source_name: str = Field(max_length=512)
    source_path: str | None = Field(default=None, sa_type=sa.Text)
    sha256: str = Field(max_length=64, index=True)
    mode: str = Field(max_length=16)
    #: the archive header's ``as_of``
    archive_as_of: datetime | None = Field(default=None, sa_column=_ts())
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    counts: dict[str, Any] = _json()


class Site(SQLModel, table=True):
    """Where articles come from: a blog, a news site, a Disqus forum. ``key`` is its stable
    identity (derived from the imported file, or given with ``threads ingest --site``)."""

    __tablename__ = "site"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    name: str = Field(default="", sa_type=sa.Text)
    base_url: str | None = Field(default=None, sa_type=sa.Text)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    extra: dict[str, Any] = _json()
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class Article(SQLModel, table=True):
    """The page a thread hangs under. ``key`` is its stable identity within its site, used by
    re-imports; two sites may use the same key (two blogs both have ``?p=1``)."""

    __tablename__ = "article"
    __table_args__ = (sa.UniqueConstraint("site_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    key: str = Field(max_length=512)
    source_url: str | None = Field(default=None, sa_type=sa.Text)
    title: str = Field(default="", sa_type=sa.Text)
    byline: str | None = Field(default=None, sa_type=sa.Text)
    authors: list[str] = _json(list)
    standfirst: str | None = Field(default=None, sa_type=sa.Text)
    published_at: datetime | None = Field(default=None, sa_column=_ts())
    published_text: str | None = Field(default=None, max_length=128)
    body: str = Field(default="", sa_type=sa.Text)
    source_format: str = Field(max_length=32)
    content_hash: str = Field(max_length=64)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    extra: dict[str, Any] = _json()
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class Thread(SQLModel, table=True):
    """The comment section of one article, with its state and policies."""

    __tablename__ = "thread"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", unique=True)
    external_id: str | None = Field(default=None, max_length=255)
    state: ThreadState = Field(
        default=ThreadState.OPEN, sa_type=enum_type(ThreadState, "thread_state")
    )
    #: why the state is what it is when it was not set by a person (e.g. "no notice on page")
    state_note: str | None = Field(default=None, sa_type=sa.Text)
    closed_at: datetime | None = Field(default=None, sa_column=_ts())
    closed_by: str | None = Field(default=None, max_length=255)
    close_reason: str | None = Field(default=None, sa_type=sa.Text)
    reopened_at: datetime | None = Field(default=None, sa_column=_ts())
    reopened_by: str | None = Field(default=None, max_length=255)
    auto_close_days: int | None = Field(default=None)
    auto_close_from: AutoCloseFrom | None = Field(
        default=None, sa_type=enum_type(AutoCloseFrom, "auto_close_from")
    )
    premoderation: PreModeration | None = Field(
        default=None, sa_type=enum_type(PreModeration, "premoderation")
    )
    version: int = Field(default=1)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    extra: dict[str, Any] = _json()
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class Comment(SQLModel, table=True):
    """One comment, exactly as imported or submitted, with its moderation status."""

    __tablename__ = "comment"
    __table_args__ = (
        sa.UniqueConstraint("thread_id", "key"),
        sa.Index("ix_comment_status_thread_id", "status", "thread_id"),
        sa.Index("ix_comment_thread_id_position", "thread_id", "position"),
        # the queue's most_reported order (report_count descending, then id): a range scan
        sa.Index("ix_comment_report_count_desc_id", sa.text("report_count DESC"), "id"),
        # an author's comments by thread and status: their record is read from the index alone
        sa.Index("ix_comment_author_key_thread_id_status", "author_key", "thread_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="thread.id")
    parent_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    #: 0-based order of appearance in the source page or export
    position: int = Field(default=0)
    external_id: str | None = Field(default=None, max_length=255)
    #: stable identity within the thread: the source id, else a content hash
    key: str = Field(max_length=255)
    kind: CommentKind = Field(
        default=CommentKind.COMMENT, sa_type=enum_type(CommentKind, "comment_kind")
    )
    author_name: str | None = Field(default=None, max_length=512)
    author_url: str | None = Field(default=None, sa_type=sa.Text)
    author_email: str | None = Field(default=None, max_length=512)
    #: normalised author identity (e-mail, else name) for "first-time author" and author stats
    author_key: str | None = Field(default=None, max_length=512)
    posted_at: datetime | None = Field(default=None, sa_column=_ts(index=True))
    posted_text: str | None = Field(default=None, max_length=128)
    body: str = Field(default="", sa_type=sa.Text)
    #: "text" or "html": how ``body`` is to be read
    body_format: str = Field(default="text", max_length=16)
    status: CommentStatus = Field(
        default=CommentStatus.PENDING, sa_type=enum_type(CommentStatus, "comment_status")
    )
    #: the status before a soft delete, so that ``restore`` can go back to it
    status_before_delete: CommentStatus | None = Field(
        default=None, sa_type=enum_type(CommentStatus, "comment_status_before_delete")
    )
    purged: bool = Field(default=False)
    version: int = Field(default=1)
    report_count: int = Field(default=0)
    content_hash: str = Field(max_length=64, index=True)
    sentiment: float | None = Field(default=None)
    sentiment_scores: dict[str, float] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    extra: dict[str, Any] = _json()
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    #: the detected language (ISO 639-1, or "und" when too short or unclear), set by
    #: ``threads classify``; None until then. Derived data: archives do not carry it.
    language: str | None = Field(default=None, max_length=8)


class CommentTally(SQLModel, table=True):
    """How many comments each thread holds in each status: derived data the database keeps.

    On PostgreSQL, triggers on ``comment`` (migration 0002) maintain it on every INSERT, DELETE
    and change of status or thread, whichever code path or tool made it, so that the moderation
    queue's total is a sum over a few rows instead of a count over every waiting comment (6.5 ms
    for 30,000 waiting comments, growing with the backlog). SQLite keeps it empty and counts
    directly (an insert trigger there doubles the cost of every imported comment). The
    application reads it and never writes it; ``threads db check`` compares it with a real count.
    """

    __tablename__ = "comment_tally"

    thread_id: int = Field(foreign_key="thread.id", primary_key=True, ondelete="CASCADE")
    status: CommentStatus = Field(
        primary_key=True, sa_type=enum_type(CommentStatus, "comment_tally_status")
    )
    n: int = Field(default=0)


#: the name of the codebook shipped with threads (threads/data/taxonomy.toml): where no codebook
#: is named, labels are read from it; labels made before codebooks were kept side by side
#: (migration 0006, archives of version 2 and older) belong to it
DEFAULT_CODEBOOK = "iran-china-2014"


class CommentTopic(SQLModel, table=True):
    """A topic label on a comment: automatic (with its score and evidence) or a moderator's.

    Every label belongs to a codebook (``codebook`` is its name, ``taxonomy_version`` the
    version it was made with): labels of different codebooks never affect each other.
    ``assigned`` is False for a moderator's explicit "not this topic" and for automatic scores
    below the threshold that are kept for explanation. Which labels decide a comment's topics
    is written once, in ``threads.db.queries.labels``.
    """

    __tablename__ = "comment_topic"
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "codebook", "topic_id", "source", "labeler"),
        sa.Index("ix_comment_topic_codebook_topic_id_score", "codebook", "topic_id", "score"),
    )

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    codebook: str = Field(default=DEFAULT_CODEBOOK, max_length=64)
    topic_id: str = Field(max_length=64)
    score: float = Field(default=0.0)
    assigned: bool = Field(default=True)
    evidence: list[dict[str, Any]] = _json(list)
    source: LabelSource = Field(sa_type=enum_type(LabelSource, "label_source"))
    #: who labelled: "" for automatic labels, the moderator's name otherwise
    labeler: str = Field(default="", max_length=255)
    taxonomy_version: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class CommentClassification(SQLModel, table=True):
    """That a comment was classified with a codebook: the classifier's fingerprint (codebook
    version and learned models) and the comment's content hash then. A comment is classified
    again with that codebook when either differs; other codebooks keep their own rows.

    Derived state: not archived (a restored database classifies again).
    """

    __tablename__ = "comment_classification"
    __table_args__ = (sa.UniqueConstraint("comment_id", "codebook"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id")
    codebook: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)


class TopicModel(SQLModel, table=True):
    """A learned per-topic classifier (layer 2), stored as JSON, tied to a codebook version."""

    __tablename__ = "topic_model"
    __table_args__ = (sa.UniqueConstraint("taxonomy_version", "topic_id"),)

    id: int | None = Field(default=None, primary_key=True)
    taxonomy_version: str = Field(max_length=64)
    topic_id: str = Field(max_length=64)
    algorithm: str = Field(max_length=32)
    model: dict[str, Any] = _json()
    label_count: int = Field(default=0)
    trained_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class ModerationEvent(SQLModel, table=True):
    """Append-only audit log: who did what to which comment or thread, and why.

    The migration installs triggers that refuse UPDATE and DELETE on this table.
    """

    __tablename__ = "moderation_event"
    __table_args__ = (
        sa.Index("ix_moderation_event_target", "target_type", "target_id"),
        # the audit log's filters, in its page order (newest first by id): no sort
        sa.Index("ix_moderation_event_actor_id", "actor", "id"),
        sa.Index("ix_moderation_event_action_id", "action", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    target_type: EventTarget = Field(sa_type=enum_type(EventTarget, "event_target"))
    target_id: int
    thread_id: int | None = Field(default=None, index=True)
    actor: str = Field(max_length=255)
    actor_type: ActorType = Field(sa_type=enum_type(ActorType, "actor_type"))
    action: str = Field(max_length=32)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False, index=True))
    extra: dict[str, Any] = _json()


class CommentReport(SQLModel, table=True):
    """A reader's report of a comment (which flags it)."""

    __tablename__ = "comment_report"

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", index=True)
    reason_code: str = Field(max_length=32)
    detail: str | None = Field(default=None, sa_type=sa.Text)
    #: a salted hash of the reporter's address, never the address itself
    reporter: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class AuthorStanding(SQLModel, table=True):
    """How a site treats one author (``author_key``, the rule of ``threads.identity``): trusted,
    normal, premoderated or banned, and who set it, when and why (None: never set).

    A row is made the first time a moderator acts on the author (a standing change, rejecting
    all their pending comments); its id is the target of those audit events. No row means
    ``normal``. See ``threads.moderation.authors``.
    """

    __tablename__ = "author_standing"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "author_key"),
        sa.Index("ix_author_standing_standing_id", "standing", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    author_key: str = Field(max_length=512)
    standing: Standing = Field(
        default=Standing.NORMAL, sa_type=enum_type(Standing, "author_standing_value")
    )
    reason: str | None = Field(default=None, sa_type=sa.Text)
    set_by: str | None = Field(default=None, max_length=255)
    set_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class ApiKey(SQLModel, table=True):
    """An API key: only its hash is stored; the key itself is shown once at creation."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255, unique=True)
    role: Role = Field(sa_type=enum_type(Role, "role"))
    #: the first characters of the key, to recognise it in listings
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts())


class Webhook(SQLModel, table=True):
    """A URL that receives signed JSON POSTs when chosen events happen (``threads.hooks``).

    ``site_id`` None: events of every site. The secret that signs deliveries is never stored: it
    is derived from the server's THREADS_WEBHOOK_SECRET and ``secret_salt``; ``secret_check`` is
    a SHA-256 of the derived secret, to notice when the server secret changed. A removed hook
    keeps its row (``removed_at``) so that its deliveries stay on record.
    """

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    url: str = Field(sa_type=sa.Text)
    events: list[str] = _json(list)
    #: ``comment.reported`` fires when a comment's report count reaches this
    report_threshold: int = Field(default=3)
    secret_salt: str = Field(max_length=64)
    secret_check: str = Field(max_length=64)
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    removed_at: datetime | None = Field(default=None, sa_column=_ts())


class WebhookDelivery(SQLModel, table=True):
    """One event for one hook: the outbox row written in the action's own transaction, and then
    the delivery's state. ``body`` is the exact JSON sent on every attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # the worker's scan: pending deliveries whose next attempt is due
        sa.Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_hook_id_id", "hook_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: the delivery's public id (X-Threads-Delivery), for receivers to drop repeats
    uid: str = Field(max_length=36, unique=True)
    hook_id: int = Field(foreign_key="webhook.id")
    event: str = Field(max_length=32)
    body: str = Field(sa_type=sa.Text)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus, "delivery_status")
    )
    #: attempts made since the delivery was made (or last retried by hand)
    attempts: int = Field(default=0)
    #: when the next attempt is due (None once finished); also a worker's claim on it
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts())
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts())


class WebhookAttempt(SQLModel, table=True):
    """One HTTP attempt of a delivery: what came back (status code or error), how long it took."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    duration_ms: int = Field(default=0)
    status_code: int | None = Field(default=None)
    error: str | None = Field(default=None, sa_type=sa.Text)
    ok: bool = Field(default=False)


class CampaignNotice(SQLModel, table=True):
    """A campaign already announced by ``campaign.found`` (``threads campaigns --notify``,
    ``POST /api/campaigns/scan``): the primary key is the cluster id (kind + hash of its
    members), so a cluster is announced once however many scans see it, even concurrent ones."""

    __tablename__ = "campaign_notice"

    campaign_id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=8)
    #: the site of the cluster's threads (None: threads of several sites)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    first_seen_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    #: members when first announced
    members: int = Field(default=0)


ALL_TABLES = [
    ImportBatch,
    Site,
    Article,
    Thread,
    Comment,
    CommentTopic,
    CommentClassification,
    TopicModel,
    ModerationEvent,
    CommentReport,
    AuthorStanding,
    ApiKey,
    ArchiveLoad,
    Webhook,
    WebhookDelivery,
    WebhookAttempt,
    CampaignNotice,
]


# --------------------------------------------------------------------------- import shapes
#
# What a source says about a site, an article, its thread and its comments, before anything
# touches the database: every reader yields these (``threads.ingest``), and one step
# (``threads.ingest.rows``) turns them into rows. A field whose name is a column of the table
# travels to that column as it is, so a new field a source carries is a field here, a column
# above (and its migration), and the reader that fills it: nothing else on the ingest path.


@dataclass(slots=True)
class ParsedSite:
    """The site a file's threads belong to, as the file says (see ``threads.ingest.sites``)."""

    key: str
    name: str = ""
    base_url: str | None = None


@dataclass(slots=True)
class ParsedComment:
    """One comment as its source gives it; every field but the two reply links is a column."""

    body: str
    #: the id the source gave this comment (None when it had none: the loader then uses a hash)
    external_id: str | None = None
    #: the source id of the parent comment; None for a top-level comment
    parent_external_id: str | None = None
    #: for sources without ids: the parent's index in ``ParsedThread.comments``
    parent_index: int | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_email: str | None = None
    posted_at: datetime | None = None
    posted_text: str | None = None
    status: CommentStatus = CommentStatus.APPROVED
    kind: CommentKind = CommentKind.COMMENT
    #: "text" or "html"
    body_format: str = "text"
    #: 0-based order of appearance in the source
    position: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


#: the fields of ParsedComment that are not columns: how a reply finds its parent
COMMENT_LINK_FIELDS = ("parent_external_id", "parent_index")


@dataclass
class ParsedArticle:
    """The page as its source gives it; every field is a column of ``article``."""

    title: str = ""
    source_url: str | None = None
    byline: str | None = None
    authors: list[str] = field(default_factory=list)
    standfirst: str | None = None
    published_at: datetime | None = None
    published_text: str | None = None
    body: str = ""
    #: a stable identity within the site across re-imports (e.g. "wxr:<guid>",
    #: "disqus:<thread id>"); None lets the loader derive one from the source URL, else from a
    #: hash of title and body
    key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedThread:
    """A comment section: its article, its comments, its state and the site it belongs to."""

    article: ParsedArticle
    comments: list[ParsedComment] = field(default_factory=list)
    #: None when the source says nothing about the thread state (kept open, with a note)
    state: ThreadState | None = None
    #: why the state is what it is (e.g. 'page says "Comments are closed."')
    state_note: str | None = None
    closed_at: datetime | None = None
    external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the site, when the source names it (else the loader derives it from the article's URL)
    site: ParsedSite | None = None
    #: problems the reader noticed but worked around; the loader records them on the batch
    warnings: list[str] = field(default_factory=list)
