"""The report as plain data: dataclasses that turn into JSON with :func:`to_jsonable`.

Renderers (Rich, Markdown, CSV, JSON in ``cli/``) only read these; nothing here formats text
for a terminal. Every list is in a deterministic order, so the same inputs give the same report.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Dataclasses to dicts, datetimes to ISO 8601 (UTC, "Z"), enums to their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z", to the second; None stays None."""
    if value is None:
        return None
    text = value.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


@dataclass
class Manifest:
    """How the report was made: enough to cite it and to make it again."""

    software: str
    version: str
    codebook: str | None
    codebook_version: str | None
    codebook_hash: str | None
    #: codebook versions recorded on the labels of the selected comments
    label_versions: list[str]
    comments: int
    threads: int
    filters: dict[str, Any]
    #: how distinctive terms were computed (method, prior, sampling)
    terms: dict[str, Any]
    pseudonyms: str | None
    generated_at: datetime
    #: the counted comments' languages and where sentiment is n/a
    languages: LanguageMix | None = None


@dataclass
class LanguageMix:
    """The languages of the counted comments, as ``threads classify`` detected them."""

    #: comments per language (ISO 639-1; "und": undetermined), most first; "unknown": not
    #: detected yet (not classified since languages are detected); "purged": no text left
    counts: dict[str, int]
    #: comments without sentiment because no lexicon exists for their language (VADER: English)
    sentiment_na: int
    #: the languages of those comments, sorted
    sentiment_na_languages: list[str]
    #: the detector, as cited
    detector: str


@dataclass
class ThreadHeader:
    id: int
    title: str
    byline: str | None
    authors: list[str]
    published_at: datetime | None
    published_text: str | None
    source_url: str | None
    source_format: str
    state: str
    state_note: str | None
    closed_at: datetime | None
    closed_by: str | None
    close_reason: str | None
    #: people's comments per status (every status, whatever the filters)
    counts: dict[str, int]
    total: int
    #: pingbacks and trackbacks, kept apart from the counts
    pingbacks: int


@dataclass
class Highlight:
    start: int
    end: int
    topic_id: str
    term: str


@dataclass
class CommentTopicView:
    topic_id: str
    label: str
    score: float
    source: str
    evidence: list[str]


@dataclass
class CommentNode:
    id: int
    thread_id: int
    parent_id: int | None
    depth: int
    position: int
    kind: str
    author: str | None
    posted_at: datetime | None
    posted_text: str | None
    status: str
    sentiment: float | None
    topics: list[CommentTopicView]
    #: the body, excerpted when long (``truncated``); offsets in ``highlights`` refer to it
    body: str
    truncated: bool
    highlights: list[Highlight]
    #: the parent is not in this listing (filtered out): shown at the top level
    detached: bool = False
    children: list[CommentNode] = field(default_factory=list)


@dataclass
class TermScore:
    term: str
    #: z-score of the log-odds ratio (Monroe, Colaresi & Quinn 2008)
    z: float
    count: int


@dataclass
class Representative:
    comment_id: int
    thread_id: int
    author: str | None
    score: float
    excerpt: str
    #: the words of the comment that gave it the topic (the label's evidence), as written
    evidence: list[str] = field(default_factory=list)


@dataclass
class TopicRow:
    topic_id: str
    label: str
    comments: int
    share: float
    mean_score: float | None
    terms: list[TermScore]
    representative: Representative | None


@dataclass
class TopicSummary:
    #: counted comments (the denominator of every share)
    comments: int
    rows: list[TopicRow]
    unlabelled: int
    unlabelled_share: float


@dataclass
class ActorActions:
    actor: str
    total: int
    actions: dict[str, int]


@dataclass
class EventView:
    at: datetime
    actor: str
    action: str
    target: str
    thread_id: int | None
    from_state: str | None
    to_state: str | None
    reason: str | None


@dataclass
class ModerationSummary:
    #: comments waiting for a decision, per status (pending, flagged)
    queue: dict[str, int]
    actions_by_actor: list[ActorActions]
    last_actions: list[EventView]


@dataclass
class ThreadReport:
    """Everything about one thread."""

    header: ThreadHeader
    comments: list[CommentNode]
    pingbacks: list[CommentNode]
    topics: TopicSummary
    moderation: ModerationSummary
    manifest: Manifest
    kind: str = "thread"


@dataclass
class ThreadPrevalence:
    thread_id: int
    title: str
    #: the key of the thread's site
    site: str
    #: "open" or "closed"
    state: str
    comments: int
    topics: dict[str, int]


@dataclass
class MonthPrevalence:
    month: str
    comments: int
    topics: dict[str, int]
    #: per topic: the mean sentiment (VADER compound, -1..1) of the month's comments of that
    #: topic that have a score; a topic without any scored comment that month is absent
    sentiment: dict[str, float] = field(default_factory=dict)
    #: per topic: how many comments that mean is over
    scored: dict[str, int] = field(default_factory=dict)


@dataclass
class Cooccurrence:
    topics: list[str]
    #: matrix[i][j]: comments carrying both topics[i] and topics[j] (diagonal: the topic alone)
    matrix: list[list[int]]


@dataclass
class AuthorRow:
    author: str
    comments: int
    threads: int
    first: datetime | None
    last: datetime | None


@dataclass
class DayCount:
    day: str
    comments: int


@dataclass
class CampaignRow:
    """One campaign in the report: its size and reach, the evidence in words, one sample."""

    id: str
    kind: str
    comments: int
    threads: int
    authors: int
    first: datetime | None
    last: datetime | None
    evidence: str
    sample: str


@dataclass
class CampaignSummary:
    """Clusters of comments that look organised (``threads campaigns``), among the counted
    comments: how many of each kind, and the largest ones."""

    counts: dict[str, int]
    #: comments in at least one campaign
    comments: int
    rows: list[CampaignRow]
    #: False when the report was made with --no-campaigns
    computed: bool = True


@dataclass
class CorpusReport:
    """A summary over many threads (no per-comment listing)."""

    threads: list[ThreadPrevalence]
    months: list[MonthPrevalence]
    #: counted comments without a timestamp (not in ``months`` or ``timeline``)
    undated: int
    topics: TopicSummary
    topic_labels: dict[str, str]
    cooccurrence: Cooccurrence
    authors: list[AuthorRow]
    timeline: list[DayCount]
    statuses: dict[str, int]
    pingbacks: int
    moderation: ModerationSummary
    manifest: Manifest
    campaigns: CampaignSummary = field(
        default_factory=lambda: CampaignSummary(counts={}, comments=0, rows=[], computed=False)
    )
    kind: str = "corpus"


Report = ThreadReport | CorpusReport
