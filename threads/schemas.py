"""I/O shapes of the HTTP API: request bodies and responses (msgspec Structs).

Response shapes never carry secrets: the public comment shape has no e-mail address, status or
version; key listings have no hash. ``Page[T]`` is every list: items, total, next_cursor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

import msgspec
from msgspec import Meta

T = TypeVar("T")

#: ids and versions are 32-bit integer columns in the database
MAX_ID = 2**31 - 1

ActionName = Literal["approve", "reject", "spam", "flag", "delete", "restore", "purge"]
StatusName = Literal["pending", "approved", "flagged", "rejected", "spam", "deleted"]
RoleName = Literal["viewer", "moderator", "admin"]
StandingName = Literal["trusted", "normal", "premoderated", "banned"]
Reason = Annotated[str, Meta(max_length=2000)]
TopicId = Annotated[str, Meta(min_length=1, max_length=64)]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]


class Page(msgspec.Struct, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    total: int
    next_cursor: str | None = None


# --------------------------------------------------------------------------- threads


class ThreadSummary(msgspec.Struct):
    id: int
    article_id: int
    title: str
    url: str | None
    published_at: datetime | None
    state: Literal["open", "closed"]
    comment_count: int
    last_comment_at: datetime | None


class SiteRead(msgspec.Struct):
    """A site with its articles and the comments readers see (approved)."""

    key: str
    name: str
    base_url: str | None
    articles: int
    comments: int


class ArticleRead(msgspec.Struct):
    id: int
    key: str
    title: str
    url: str | None
    byline: str | None
    authors: list[str]
    standfirst: str | None
    published_at: datetime | None


class ThreadDetail(msgspec.Struct):
    id: int
    article: ArticleRead
    #: the effective state: a thread past its auto-close time is closed
    state: Literal["open", "closed"]
    closed_at: datetime | None
    close_reason: str | None
    auto_closed: bool
    premoderation: str | None
    auto_close_days: int | None
    auto_close_from: str | None
    version: int
    comment_count: int
    counts_by_status: dict[str, int]
    counts_by_topic: dict[str, int]


class CloseRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class ReopenRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None


class PolicyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given are changed; ``auto_close_days`` 0 turns auto-close off."""

    premoderation: Literal["all", "first_time", "links", "none"] | None | msgspec.UnsetType = (
        msgspec.UNSET
    )
    auto_close_days: Annotated[int, Meta(ge=0, le=36500)] | None | msgspec.UnsetType = msgspec.UNSET
    auto_close_from: Literal["published", "last_comment"] | None | msgspec.UnsetType = msgspec.UNSET


# --------------------------------------------------------------------------- comments


class CommentPublic(msgspec.Struct):
    """A comment as readers see it: no e-mail, no moderation fields."""

    id: int
    thread_id: int
    parent_id: int | None
    author_name: str | None
    author_url: str | None
    posted_at: datetime | None
    body: str
    body_format: str
    #: the body as plain text (HTML bodies without their tags)
    body_text: str
    #: the body as HTML safe to put in a page (sanitised; text bodies escaped)
    body_html: str
    topics: list[str]
    replies: list[CommentPublic] | None = None


class CommentFull(msgspec.Struct):
    """A comment as key holders see it: everything but the raw import payload."""

    id: int
    thread_id: int
    parent_id: int | None
    position: int
    kind: str
    author_name: str | None
    author_url: str | None
    author_email: str | None
    posted_at: datetime | None
    body: str
    body_format: str
    #: the body as plain text (HTML bodies without their tags)
    body_text: str
    #: the body as HTML safe to put in a page (sanitised; text bodies escaped)
    body_html: str
    status: StatusName
    version: int
    purged: bool
    report_count: int
    sentiment: float | None
    topics: list[str]
    replies: list[CommentFull] | None = None


class QueueItem(msgspec.Struct):
    comment: CommentFull
    article_id: int
    article_title: str


class HistoryEvent(msgspec.Struct):
    """One audit event: who did what to which comment or thread, when and why."""

    id: int
    #: what the event is about ("comment", "thread"; in the whole log also "api_key", "article",
    #: "author", "webhook") and its id
    target_type: str
    target_id: int
    thread_id: int | None
    action: str
    actor: str
    actor_type: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    created_at: datetime


class ActionRequest(msgspec.Struct, forbid_unknown_fields=True):
    action: ActionName
    reason: Reason | None = None
    #: the version the moderator saw; a stale one gets 409 with ``current_version``
    expected_version: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None


class QueueFilterBody(msgspec.Struct, forbid_unknown_fields=True):
    statuses: list[StatusName] | None = None
    thread_id: Id | None = None
    topic: TopicId | None = None
    author: Annotated[str, Meta(min_length=1, max_length=512)] | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    site: Annotated[str, Meta(min_length=1, max_length=255)] | None = None


class BulkRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Either ``ids`` or ``filter`` (the queue's filters)."""

    action: ActionName
    ids: Annotated[list[Id], Meta(max_length=1000)] | None = None
    filter: QueueFilterBody | None = None
    reason: Reason | None = None


class BulkItem(msgspec.Struct):
    comment_id: int
    ok: bool
    status: str | None
    version: int | None
    error_code: str | None
    error_detail: str | None


class BulkResponse(msgspec.Struct):
    action: str
    ok_count: int
    failed_count: int
    results: list[BulkItem]


class LabelsRequest(msgspec.Struct, forbid_unknown_fields=True):
    add: Annotated[list[TopicId], Meta(max_length=50)] = msgspec.field(default_factory=list)
    remove: Annotated[list[TopicId], Meta(max_length=50)] = msgspec.field(default_factory=list)


class LabelsResponse(msgspec.Struct):
    comment_id: int
    topics: list[str]


class SubmissionRequest(msgspec.Struct, forbid_unknown_fields=True):
    author_name: Annotated[str, Meta(min_length=1, max_length=200)]
    body: Annotated[str, Meta(min_length=1, max_length=100_000)]
    author_email: Annotated[str, Meta(max_length=320)] | None = None
    author_url: Annotated[str, Meta(max_length=2000)] | None = None
    parent_id: Id | None = None


class SubmissionResponse(msgspec.Struct):
    #: pending (held for review), approved (published) or flagged
    status: StatusName
    comment: CommentPublic


class CommentReportRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=32)]
    detail: Annotated[str, Meta(max_length=2000)] | None = None


class CommentReportResponse(msgspec.Struct):
    comment_id: int
    received: bool = True


# --------------------------------------------------------------------------- authors


class AuthorRead(msgspec.Struct):
    """An author within a site: standing (who set it, when, why; null when never set) and
    their comments in the site per status."""

    site: str
    #: the normalised identity: the lower-cased e-mail, else the name
    author_key: str
    standing: StandingName
    reason: str | None
    set_by: str | None
    set_at: datetime | None
    comments: int
    pending: int
    approved: int
    flagged: int
    rejected: int
    spam: int
    deleted: int


class StandingRequest(msgspec.Struct, forbid_unknown_fields=True):
    standing: StandingName
    #: required for premoderated and banned
    reason: Reason | None = None


class RejectPendingRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Reject every pending comment of one author in one site (one transaction)."""

    site: Annotated[str, Meta(min_length=1, max_length=255)]
    #: the author's e-mail or name (or their author_key)
    author: Annotated[str, Meta(min_length=1, max_length=512)]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class RejectPendingResponse(msgspec.Struct):
    site: str
    author_key: str
    rejected: int
    comment_ids: list[int]


# --------------------------------------------------------------------------- keys


class KeyCreateRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=64)]
    role: RoleName = "viewer"


class KeyRead(msgspec.Struct):
    name: str
    role: RoleName
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(msgspec.Struct):
    """The only response that ever carries the key itself."""

    name: str
    role: RoleName
    prefix: str
    created_at: datetime
    key: str


# --------------------------------------------------------------------------- webhooks

EventName = Literal["comment.held", "comment.reported", "thread.closed", "campaign.found"]
DeliveryStatusName = Literal["pending", "delivered", "failed", "cancelled"]


class HookCreateRequest(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, Meta(min_length=1, max_length=2000)]
    #: none or empty: every event
    events: list[EventName] | None = None
    #: a site key; none: every site
    site: Annotated[str, Meta(min_length=1, max_length=255)] | None = None
    report_threshold: Annotated[int, Meta(ge=1, le=1_000_000)] = 3


class CampaignSample(msgspec.Struct):
    """A member of a campaign as shown: its author's name (an e-mail masked), an excerpt."""

    id: int
    thread_id: int
    title: str
    author: str | None
    posted_at: datetime | None
    status: str
    version: int
    excerpt: str


class CampaignRead(msgspec.Struct):
    """A campaign (``threads.analysis.campaigns``): its id (kind + hash of the sorted members),
    members, reach, evidence (e-mails only masked and hashed), up to three samples and the
    waiting members (comment id as text -> version, as ``POST .../actions`` takes them)."""

    id: str
    kind: str
    size: int
    members: list[int]
    threads: list[int]
    authors: list[str]
    first: datetime | None
    last: datetime | None
    evidence: dict[str, Any]
    samples: list[CampaignSample]
    pending: dict[str, int]


class HookRead(msgspec.Struct):
    id: int
    url: str
    site: str | None
    events: list[str]
    report_threshold: int
    created_by: str
    created_at: datetime
    removed_at: datetime | None


class HookCreated(msgspec.Struct):
    """The only response that ever carries the hook's signing secret."""

    hook: HookRead
    secret: str


class DeliveryRead(msgspec.Struct):
    id: str
    hook_id: int
    event: str
    status: DeliveryStatusName
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class AttemptRead(msgspec.Struct):
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    ok: bool


class DeliveryDetailRead(msgspec.Struct):
    delivery: DeliveryRead
    #: the exact JSON text POSTed on every attempt
    body: str
    attempts: list[AttemptRead]


# --------------------------------------------------------------------------- errors


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, plus our stable ``code`` and facts named by the error."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    field: str | None = None
    current_version: int | None = None
    closed_at: str | None = None
    reason: str | None = None
    retry_after: int | None = None
    errors: list[dict[str, Any]] | None = None


# --------------------------------------------------------------------------- dry-runs, snapshots


class WordChange(msgspec.Struct, forbid_unknown_fields=True):
    """A word-list entry to add in a dry-run, with its tier."""

    word: Annotated[str, Meta(min_length=1, max_length=200)]
    tier: Literal["block", "hold", "flag"] = "hold"


class DryRunRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Proposed rules and the past comments to run them over. Left out: as configured now."""

    site: str | None = None
    thread_id: Id | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: a whole word list in the TOML format of THREADS_WORDLIST_PATH
    words: Annotated[str, Meta(max_length=60_000)] | None = None
    add_words: Annotated[list[WordChange], Meta(max_length=200)] = []
    remove_words: Annotated[list[Annotated[str, Meta(max_length=200)]], Meta(max_length=200)] = []
    link_limit: Annotated[int, Meta(ge=0, le=1000)] | None = None
    premoderation: Literal["all", "first_time", "links", "none"] | None = None
    #: 0: never; left out: each thread's policy
    auto_close_days: Annotated[int, Meta(ge=0, le=36500)] | None = None
    auto_close_from: Literal["published", "last_comment"] | None = None
    cursor: Annotated[str, Meta(max_length=400)] | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 50


class DryRunItem(msgspec.Struct):
    """A past comment the proposed rules would not have published as submitted."""

    comment_id: int
    thread_id: int
    posted_at: datetime | None
    author_name: str | None
    excerpt: str
    #: flag, hold, block (refused) or closed (refused: the thread would have been closed)
    outcome: str
    reasons: list[str]
    #: its status now
    status: str


class DryRunResponse(msgspec.Struct):
    """What the proposed rules would have done, over the whole scope, and one page of the
    comments they stop (``comments``, in id order)."""

    scope: dict[str, Any]
    rules: dict[str, Any]
    total: int
    outcomes: dict[str, int]
    held: int
    refused: int
    stopped: int
    confusion: dict[str, dict[str, int]]
    precision: float | None
    recall: float | None
    comments: Page[DryRunItem]


class SnapshotCommentRead(msgspec.Struct):
    id: int
    parent_id: int | None
    depth: int
    kind: str
    author_name: str | None
    author_url: str | None
    posted_at: datetime | None
    text: str
    purged_since: bool


class SnapshotRead(msgspec.Struct):
    """A thread as readers saw it at ``manifest.at``, replayed from the audit trail."""

    manifest: dict[str, Any]
    comments: list[SnapshotCommentRead]
    #: every time something happened to the thread (for stepping through it)
    times: list[datetime]
