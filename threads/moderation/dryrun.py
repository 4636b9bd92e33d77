"""Rule dry-runs: what proposed rules would have done to past comments, and how that compares
with what moderators decided. Nothing is written.

Each past comment is judged as if it were submitted at its posted time, by
:func:`threads.moderation.rules.decide` (the very function live submissions use) with a
proposed :class:`~threads.moderation.rules.RuleSet` and pre-moderation policy, plus the proposed
auto-close policy (:func:`threads.moderation.threads.auto_close_time`): a comment posted after
the thread would have closed is ``closed`` (refused). The facts are read as of the comment's
time where the database keeps them: earlier copies of the same text within the duplicate
window, the author's first comment that is approved now, the thread's earlier comments. The
author's standing is the one set now (standings have no history of their own).

The comments stream in keyset batches of Core rows; only the counts and one page of the
comments the rules stop are kept.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from threads.config import Settings
from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import dryrun as q
from threads.errors import InvalidInput, NotFound, refuse_nul
from threads.models import AutoCloseFrom, CommentStatus, PreModeration, Standing
from threads.moderation import rules
from threads.moderation.submission import DUPLICATE_WINDOW, premoderation_policy, ruleset_of
from threads.moderation.threads import UNSET, AutoClosePolicy, _Unset, auto_close_time
from threads.schemas import DryRunRequest
from threads.site_directory import find_site

#: comments read per query
BATCH = 2000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: what the dry-run answers for a comment, mildest first: the rules' outcomes, and ``closed``
#: for a comment the proposed auto-close policy would have refused
OUTCOMES: tuple[str, ...] = ("accept", "flag", "hold", "block", "closed")
#: outcomes that keep a comment from being published as it is submitted
STOPPED = frozenset({"flag", "hold", "block", "closed"})
#: outcomes that refuse a comment (nothing would have been stored)
REFUSED = frozenset({"block", "closed"})
#: what moderators decided: bad (the rules should stop it), good (they should not)
BAD = frozenset({CommentStatus.REJECTED.value, CommentStatus.SPAM.value})
GOOD = frozenset({CommentStatus.APPROVED.value})
#: the listing's cursor kind
CURSOR_KIND = "dry"
#: the longest excerpt of a body in a result
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Proposal:
    """The rules a moderator is thinking of: anything left None (or UNSET) stays as it is now.

    ``wordlist`` replaces the configured list; ``add_words`` ((tier, entry) pairs) and
    ``remove_words`` then change it. ``premoderation`` applies to every thread of the scope;
    ``auto_close_days`` / ``auto_close_from`` too (0 days: never).
    """

    wordlist: rules.WordList | None = None
    add_words: tuple[tuple[str, str], ...] = ()
    remove_words: tuple[str, ...] = ()
    max_links: int | None = None
    premoderation: PreModeration | None = None
    auto_close_days: int | None | _Unset = UNSET
    auto_close_from: AutoCloseFrom | None | _Unset = UNSET


@dataclass(frozen=True)
class Scope:
    """Which past comments: of a site (key) or a thread, posted in [since, until)."""

    site: str | None = None
    thread_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Stopped:
    """A past comment the proposed rules would not have published as submitted."""

    comment_id: int
    thread_id: int
    posted_at: datetime | None
    author_name: str | None
    excerpt: str
    outcome: str
    reasons: tuple[str, ...]
    #: its status now: what moderators (or the rules of the time) decided
    status: str


@dataclass
class DryRunResult:
    """The answer: counts over the whole scope, the confusion table, one page of stopped
    comments (in id order) and the cursor of the next."""

    scope: Scope
    rules: dict[str, Any]
    total: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    #: proposed outcome -> status now -> comments
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    #: of the comments the rules stop, the share moderators rejected or marked spam
    precision: float | None = None
    #: of the comments moderators rejected or marked spam, the share the rules stop
    recall: float | None = None
    stopped: int = 0
    refused: int = 0
    held: int = 0
    items: list[Stopped] = field(default_factory=list)
    next_cursor: str | None = None


def check_tier(tier: str) -> str:
    names = [t.value for t in rules.TIERS]
    if tier not in names:
        raise InvalidInput(
            f"word tier must be one of {', '.join(names)}, got {tier!r}", field="add_words"
        )
    return tier


def proposed_wordlist(current: rules.WordList, proposal: Proposal) -> rules.WordList:
    """The word list the proposal describes: its own (or ``current``) with words added and
    removed. InvalidInput (field ``add_words``/``remove_words``) for a bad entry."""
    base = proposal.wordlist or current
    if not proposal.add_words and not proposal.remove_words:
        return base
    removed = set()
    for raw in proposal.remove_words:
        removed.add(rules._entry(raw, "remove_words"))
    tiers = {tier: [e for e in entries if e not in removed] for tier, entries in base.tiers.items()}
    for tier_name, raw in proposal.add_words:
        tier = rules.Outcome(check_tier(tier_name))
        try:
            entry = rules._entry(raw, "add_words")
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="add_words") from None
        tiers.setdefault(tier, [])
        if entry not in tiers[tier]:
            tiers[tier].append(entry)
    return rules.WordList(
        version=f"{base.version}+proposed",
        source=f"{base.source} (changed)",
        tiers={tier: tuple(entries) for tier, entries in tiers.items()},
    )


def _check(proposal: Proposal, scope: Scope, limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", field="limit")
    if proposal.max_links is not None and not 0 <= proposal.max_links <= 1000:
        raise InvalidInput(
            f"link_limit must be a whole number from 0 to 1000, got {proposal.max_links}",
            field="link_limit",
        )
    days = proposal.auto_close_days
    if not isinstance(days, _Unset) and days is not None and not 0 <= days <= 36500:
        raise InvalidInput(
            f"auto_close_days must be a whole number from 0 (never) to 36500, got {days}",
            field="auto_close_days",
        )
    if scope.since and scope.until and scope.since >= scope.until:
        raise InvalidInput("since must be before until", field="since")
    if scope.site is not None and scope.thread_id is not None:
        raise InvalidInput("give a site or a thread, not both", field="thread_id")


def _rules_shown(ruleset: rules.RuleSet, proposal: Proposal, settings: Settings) -> dict[str, Any]:
    days = proposal.auto_close_days
    start = proposal.auto_close_from
    return {
        "wordlist": {
            "version": ruleset.wordlist.version,
            "source": ruleset.wordlist.source,
            "entries": {t.value: len(ruleset.wordlist.tiers.get(t, ())) for t in rules.TIERS},
        },
        "link_limit": ruleset.max_links,
        "min_chars": ruleset.min_chars,
        "max_chars": ruleset.max_chars,
        "premoderation": proposal.premoderation.value if proposal.premoderation else "as set",
        "auto_close_days": "as set" if isinstance(days, _Unset) else days,
        "auto_close_from": "as set"
        if isinstance(start, _Unset)
        else (start.value if start else settings.auto_close_from.value),
    }


def dry_run(
    conn: Connection,
    settings: Settings,
    proposal: Proposal,
    scope: Scope,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    batch: int = BATCH,
) -> DryRunResult:
    """Judge every past comment of ``scope`` by the proposed rules (see the module doc).

    Reads only (on ``conn``, e.g. ``engine.connect()`` or a request's ``session.connection()``).
    InvalidInput naming the field for a bad
    proposal, scope, cursor or limit; NotFound for an unknown site or thread.
    """
    _check(proposal, scope, limit)
    after = decode_cursor(cursor, CURSOR_KIND, Part.INT)[0] if cursor else 0
    current = ruleset_of(settings)
    ruleset = rules.RuleSet(
        min_chars=current.min_chars,
        max_chars=current.max_chars,
        max_links=current.max_links if proposal.max_links is None else proposal.max_links,
        wordlist=proposed_wordlist(current.wordlist, proposal),
    )
    result = DryRunResult(scope=scope, rules=_rules_shown(ruleset, proposal, settings))
    confusion: dict[str, Counter[str]] = {o: Counter() for o in OUTCOMES}
    site_id = find_site(conn, scope.site).id if scope.site is not None else None
    if scope.thread_id is not None and not q.thread_exists(conn, scope.thread_id):
        raise NotFound(f"thread {scope.thread_id} not found", thread_id=scope.thread_id)
    judge = _Judge(conn, settings, proposal, ruleset)
    batches = q.past_comments(
        conn,
        site_id=site_id,
        thread_id=scope.thread_id,
        since=scope.since,
        until=scope.until,
        batch=batch,
    )
    more = False
    for rows in batches:
        for row, outcome, reasons in judge.batch(rows):
            confusion[outcome][str(row.status)] += 1
            if outcome not in STOPPED or row.id <= after:
                continue
            if len(result.items) < limit:
                result.items.append(_stopped(row, outcome, reasons))
            else:
                more = True
    _tally(result, confusion)
    if more and result.items:
        result.next_cursor = encode_cursor(CURSOR_KIND, result.items[-1].comment_id)
    return result


def _stopped(row: Any, outcome: str, reasons: tuple[str, ...]) -> Stopped:
    body = " ".join(str(row.body or "").split())
    excerpt = body if len(body) <= EXCERPT_CHARS else body[: EXCERPT_CHARS - 1] + "…"
    return Stopped(
        comment_id=int(row.id),
        thread_id=int(row.thread_id),
        posted_at=row.posted_at,
        author_name=row.author_name,
        excerpt=excerpt,
        outcome=outcome,
        reasons=reasons,
        status=str(row.status),
    )


def _tally(result: DryRunResult, confusion: dict[str, Counter[str]]) -> None:
    statuses = [s.value for s in CommentStatus]
    result.confusion = {o: {s: confusion[o][s] for s in statuses} for o in OUTCOMES}
    result.outcomes = {o: sum(confusion[o].values()) for o in OUTCOMES}
    result.total = sum(result.outcomes.values())
    result.stopped = sum(n for o, n in result.outcomes.items() if o in STOPPED)
    result.refused = sum(n for o, n in result.outcomes.items() if o in REFUSED)
    result.held = result.outcomes["hold"]
    tp = sum(confusion[o][s] for o in STOPPED for s in BAD)
    fp = sum(confusion[o][s] for o in STOPPED for s in GOOD)
    fn = sum(confusion["accept"][s] for s in BAD)
    result.precision = tp / (tp + fp) if tp + fp else None
    result.recall = tp / (tp + fn) if tp + fn else None


class _Judge:
    """Gathers the facts of a batch of past comments in a few queries and judges each."""

    def __init__(
        self, conn: Connection, settings: Settings, proposal: Proposal, ruleset: rules.RuleSet
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.proposal = proposal
        self.ruleset = ruleset
        self.first_approved: dict[str, datetime | None] = {}
        self.post_times: dict[int, list[datetime]] = {}
        #: thread id -> (its auto-close policy under the proposal, counted from the last comment)
        self.policies: dict[int, tuple[AutoClosePolicy, bool]] = {}

    def batch(self, rows: Sequence[Any]) -> Iterable[tuple[Any, str, tuple[str, ...]]]:
        timed = [r.posted_at for r in rows if r.posted_at is not None]
        copies: dict[str, list[Any]] = {}
        if timed:
            found = q.copies_of(
                self.conn,
                sorted({r.content_hash for r in rows if r.posted_at is not None}),
                min(timed) - DUPLICATE_WINDOW,
                max(timed),
            )
            for copy in found:
                copies.setdefault(copy.content_hash, []).append(copy)
        keys = sorted({r.author_key for r in rows if r.author_key})
        missing = [k for k in keys if k not in self.first_approved]
        if missing:
            known = q.first_approvals(self.conn, missing)
            for key in missing:
                self.first_approved[key] = known.get(key)
            if len(self.first_approved) > 200_000:  # bounded memory over huge ranges
                self.first_approved = {k: self.first_approved[k] for k in keys}
        standing = q.standings(self.conn, sorted({int(r.site_id) for r in rows}), keys)
        for row in rows:
            outcome, reasons = self.judge(row, copies.get(row.content_hash, []), standing)
            yield row, outcome, reasons

    def judge(
        self, row: Any, copies: list[Any], standing: dict[tuple[int, str], str]
    ) -> tuple[str, tuple[str, ...]]:
        posted = row.posted_at
        closed = self._closed(row)
        if closed is not None:
            return "closed", (closed,)
        recent: list[rules.PriorComment] = []
        if posted is not None:
            window = posted - DUPLICATE_WINDOW
            earlier = [
                c
                for c in copies
                if c.id != row.id
                and window <= c.posted_at
                and (c.posted_at, c.id) < (posted, row.id)
            ]
            earlier.sort(key=lambda c: (c.posted_at, c.id), reverse=True)
            recent = [rules.PriorComment(c.id, c.thread_id, c.author_key) for c in earlier[:50]]
        key = row.author_key
        value = standing.get((int(row.site_id), key)) if key else None
        author_standing = Standing(value) if value else Standing.NORMAL
        first = self.first_approved.get(key) if key else None
        approved_before = first is not None and (posted is None or first < posted)
        policy = self.proposal.premoderation or premoderation_policy(
            row.premoderation, self.settings
        )
        facts = rules.Facts(
            body=str(row.body or ""),
            author_name=row.author_name,
            thread_id=int(row.thread_id),
            author_key=key,
            recent=recent,
            standing=author_standing,
            policy=policy,
            approved_before=bool(key) and approved_before,
        )
        if author_standing is Standing.BANNED:
            return "block", ("the author is banned in this site (standing now)",)
        decisions = rules.decide(facts, self.ruleset)
        outcome = rules.combine(decisions)
        reasons = tuple(
            r for d in decisions if d.outcome is not rules.Outcome.ACCEPT for r in d.reasons
        )
        return outcome.value, reasons

    def _closed(self, row: Any) -> str | None:
        """Why the proposed auto-close policy would have refused the comment, or None."""
        posted = row.posted_at
        if posted is None:
            return None
        known = self.policies.get(row.thread_id)
        if known is None:
            if len(self.policies) > 100_000:
                self.policies.clear()
            policy = self._policy(row)
            known = self.policies[row.thread_id] = (policy, self._counts_from_last_comment(policy))
        policy, from_last = known
        last = None
        if from_last:
            times = self.post_times.get(row.thread_id)
            if times is None:
                if len(self.post_times) > 1000:
                    self.post_times.clear()
                times = self.post_times[row.thread_id] = q.post_times(self.conn, row.thread_id)
            i = bisect.bisect_left(times, posted)
            last = times[i - 1] if i else None
        due = auto_close_time(
            policy, self.settings, published_at=row.published_at, last_comment_at=last
        )
        if due is None or posted < due[0]:
            return None
        return f"the thread would be closed ({due[1]}, at {due[0].isoformat()})"

    def _policy(self, row: Any) -> AutoClosePolicy:
        """The auto-close policy of the comment's thread under the proposal."""
        days, start = self.proposal.auto_close_days, self.proposal.auto_close_from
        if isinstance(days, _Unset) and isinstance(start, _Unset):
            return AutoClosePolicy(row.auto_close_days, row.auto_close_from, row.reopened_at)
        # setting a policy turns auto-close back on after a reopen (set_policy)
        return AutoClosePolicy(
            row.auto_close_days if isinstance(days, _Unset) else days,
            row.auto_close_from if isinstance(start, _Unset) else start,
        )

    def _counts_from_last_comment(self, policy: AutoClosePolicy) -> bool:
        start = policy.auto_close_from or self.settings.auto_close_from
        days = (
            policy.auto_close_days
            if policy.auto_close_days is not None
            else self.settings.auto_close_days
        )
        return bool(days) and AutoCloseFrom(start) is AutoCloseFrom.LAST_COMMENT


def from_request(req: DryRunRequest, settings: Settings) -> tuple[Proposal, Scope]:
    """The proposal and scope of an API request (the CLI builds the same from its options)."""
    wordlist = None
    if req.words is not None:
        refuse_nul(req.words, "words")
        try:
            wordlist = rules.parse_wordlist(req.words, "(proposed)")
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="words") from None
    for w in req.add_words:
        refuse_nul(w.word, "add_words")
    for raw in req.remove_words:
        refuse_nul(raw, "remove_words")
    if req.site is not None:
        refuse_nul(req.site, "site")
    proposal = Proposal(
        wordlist=wordlist,
        add_words=tuple((w.tier, w.word) for w in req.add_words),
        remove_words=tuple(req.remove_words),
        max_links=req.link_limit,
        premoderation=PreModeration(req.premoderation) if req.premoderation else None,
        auto_close_days=UNSET if req.auto_close_days is None else req.auto_close_days,
        auto_close_from=UNSET
        if req.auto_close_from is None
        else AutoCloseFrom(req.auto_close_from),
    )
    scope = Scope(
        site=req.site or None,
        thread_id=req.thread_id,
        since=_utc(req.since),
        until=_utc(req.until),
    )
    return proposal, scope


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_time(value: str | None, field: str) -> datetime | None:
    """An ISO date or time (UTC when it has no offset), or ``now``; InvalidInput naming
    ``field``."""
    if value is None or not value.strip():
        return None
    if value.strip().lower() == "now":
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} must be an ISO date or time (2024-03-01 or 2024-03-01T12:00:00Z) or now, "
            f"got {value!r}",
            field=field,
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_add_word(raw: str) -> tuple[str, str]:
    """``TIER:ENTRY`` (tier block, hold or flag) or a bare entry (tier hold)."""
    tier, sep, entry = raw.partition(":")
    if sep and tier.strip().lower() in {t.value for t in rules.TIERS}:
        return tier.strip().lower(), entry
    return rules.Outcome.HOLD.value, raw


__all__ = [
    "DryRunResult",
    "Proposal",
    "Scope",
    "Stopped",
    "dry_run",
    "parse_add_word",
    "parse_time",
    "proposed_wordlist",
]
