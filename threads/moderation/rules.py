"""The automatic checks on a submission: small pure rules, each returning a typed Decision.

A rule never touches the database: the submission service gathers the facts (recent duplicates,
whether the author was approved before) and passes them in. Each rule has a name and a version,
recorded in the audit log as the actor ``rule:<name>@<version>``.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from threads.errors import InvalidInput
from threads.models import CommentStatus, PreModeration, Standing
from threads.moderation.matching import links_in, normalise, words


class Outcome(enum.StrEnum):
    """What a rule asks for, from mildest to strongest."""

    ACCEPT = "accept"
    FLAG = "flag"
    HOLD = "hold"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {outcome: i for i, outcome in enumerate(Outcome)}


@dataclass(frozen=True)
class Decision:
    """One rule's verdict on one submission, with the reasons a moderator (or author) can read."""

    rule: str
    version: str
    outcome: Outcome
    reasons: tuple[str, ...] = ()

    @classmethod
    def accept(cls, rule: str, version: str) -> Decision:
        # frozen, so one instance per rule serves every submission (a dry-run judges many)
        key = (cls, rule, version)
        found = _ACCEPTED.get(key)
        if found is None:
            if len(_ACCEPTED) > 256:  # word-list versions come and go
                _ACCEPTED.clear()
            found = _ACCEPTED[key] = cls(rule, version, Outcome.ACCEPT)
        return found


_ACCEPTED: dict[tuple[type, str, str], Decision] = {}


def combine(decisions: Iterable[Decision]) -> Outcome:
    """The strongest outcome among ``decisions`` (accept when there are none)."""
    return max((d.outcome for d in decisions), key=_RANK.__getitem__, default=Outcome.ACCEPT)


def status_for(outcome: Outcome) -> CommentStatus | None:
    """The status a stored comment gets for an outcome; None for block (nothing is stored)."""
    return {
        Outcome.ACCEPT: CommentStatus.APPROVED,
        Outcome.FLAG: CommentStatus.FLAGGED,
        Outcome.HOLD: CommentStatus.PENDING,
        Outcome.BLOCK: None,
    }[outcome]


# --------------------------------------------------------------------------- length

LENGTH_VERSION = "1"


def check_length(body: str, *, min_chars: int, max_chars: int) -> Decision:
    """Block a body shorter than ``min_chars`` or longer than ``max_chars`` (spaces trimmed)."""
    n = len(body.strip())
    if n < min_chars:
        reason = f"the comment has {n} characters; at least {min_chars} are required"
        return Decision("length", LENGTH_VERSION, Outcome.BLOCK, (reason,))
    if n > max_chars:
        reason = f"the comment has {n} characters; at most {max_chars} are allowed"
        return Decision("length", LENGTH_VERSION, Outcome.BLOCK, (reason,))
    return Decision.accept("length", LENGTH_VERSION)


# --------------------------------------------------------------------------- links

LINKS_VERSION = "1"


def check_links(
    body: str,
    *,
    max_links: int,
    author_url: str | None = None,
    found: Sequence[str] | None = None,
) -> Decision:
    """Hold a comment with more than ``max_links`` links (an author URL counts as one).
    ``found``: the links of ``body`` when the caller has them already."""
    found = links_in(body) if found is None else list(found)
    total = len(found) + (1 if author_url else 0)
    if total > max_links:
        shown = ", ".join(found[:5]) + (" ..." if len(found) > 5 else "")
        reason = f"{total} links (at most {max_links} without review): {shown}".rstrip(": ")
        return Decision("links", LINKS_VERSION, Outcome.HOLD, (reason,))
    return Decision.accept("links", LINKS_VERSION)


# --------------------------------------------------------------------------- duplicates

DUPLICATE_VERSION = "1"
#: a body shorter than this ("Thanks!", "+1") may be posted by many people: not a duplicate
DUPLICATE_MIN_CHARS = 20


@dataclass(frozen=True)
class PriorComment:
    """A recent comment with the same normalised body."""

    id: int
    thread_id: int
    author_key: str | None


def check_duplicate(
    body: str, *, thread_id: int, author_key: str | None, recent: Sequence[PriorComment]
) -> Decision:
    """Block a repeat of the same author's recent comment in the same thread; hold a body that
    was recently posted elsewhere or by someone else (a copy-paste campaign)."""
    for prior in recent:
        if prior.thread_id == thread_id and author_key and prior.author_key == author_key:
            reason = f"duplicate of your recent comment {prior.id} in this thread"
            return Decision("duplicate", DUPLICATE_VERSION, Outcome.BLOCK, (reason,))
    if recent and len(body.strip()) >= DUPLICATE_MIN_CHARS:
        ids = ", ".join(str(p.id) for p in recent[:5])
        reason = f"the same text was posted recently (comment {ids})"
        return Decision("duplicate", DUPLICATE_VERSION, Outcome.HOLD, (reason,))
    return Decision.accept("duplicate", DUPLICATE_VERSION)


# --------------------------------------------------------------------------- word list

TIERS: tuple[Outcome, ...] = (Outcome.BLOCK, Outcome.HOLD, Outcome.FLAG)
#: one tier's lookup structures (see WordList.__post_init__)
_TierIndex = tuple[dict[str, list[tuple[str, ...]]], tuple[str, ...]]


@dataclass(frozen=True)
class WordList:
    """A tiered word list: each entry is a word, a phrase or a prefix (``idiot*``).

    Matching is on whole words of the NFKC, case-folded text: ``ass`` does not match "class",
    ``straße`` matches "STRASSE", ``škoda`` matches "ŠKODA".
    """

    version: str
    source: str
    #: tier -> entries, each a tuple of words; a final word ending in "*" is a prefix
    tiers: dict[Outcome, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # tier -> (entries by their first word, one-word prefix entries): a text is scanned
        # once per tier, looking up only the entries that can start at each word; a word that
        # starts with no prefix is passed over with one str.startswith(tuple) call.
        index: dict[Outcome, _TierIndex] = {}
        for tier, entries in self.tiers.items():
            by_first: dict[str, list[tuple[str, ...]]] = {}
            prefixes: list[str] = []
            for entry in entries:
                if len(entry) == 1 and entry[0].endswith("*"):
                    prefixes.append(entry[0].rstrip("*"))
                else:
                    by_first.setdefault(entry[0], []).append(entry)
            index[tier] = (by_first, tuple(prefixes))
        object.__setattr__(self, "_index", index)
        # Most texts match nothing: a set intersection and a prefix test per word tell so
        # without the per-tier loop.
        firsts = frozenset(w for by_first, _ in index.values() for w in by_first)
        stems = [p for _, ps in index.values() for p in ps]
        # a prefix at the start of a word of the words joined by spaces
        starts = re.compile("(?<![^ ])(?:" + "|".join(re.escape(p) for p in stems) + ")")
        object.__setattr__(self, "_firsts", firsts)
        object.__setattr__(self, "_stems", tuple(stems))
        object.__setattr__(self, "_starts", starts if stems else None)

    def matches(self, text: str) -> dict[Outcome, list[str]]:
        """Entries found in ``text``, per tier (only tiers with a match), in list order."""
        tokens = words(text)
        found: dict[Outcome, list[str]] = {}
        starts: re.Pattern[str] | None = self._starts  # type: ignore[attr-defined]
        some_prefix = starts is not None and starts.search(" ".join(tokens)) is not None
        if not some_prefix and self._firsts.isdisjoint(tokens):  # type: ignore[attr-defined]
            return found
        index: dict[Outcome, _TierIndex] = self._index  # type: ignore[attr-defined]
        firsts: frozenset[str] = self._firsts  # type: ignore[attr-defined]
        # the words that can start an entry, and those that start with a prefix: found once,
        # then looked up per tier
        at = [(i, tok) for i, tok in enumerate(tokens) if tok in firsts]
        stems: tuple[str, ...] = self._stems  # type: ignore[attr-defined]
        prefixed = {tok for tok in set(tokens) if tok.startswith(stems)} if some_prefix else set()
        for tier, entries in self.tiers.items():
            by_first, prefixes = index[tier]
            hit: set[tuple[str, ...]] = set()
            for i, tok in at:
                for entry in by_first.get(tok, ()):
                    if entry not in hit and _matches_at(tokens, i, entry):
                        hit.add(entry)
            for tok in prefixed:
                for stem in prefixes:
                    if tok.startswith(stem):
                        hit.add((stem + "*",))
            if hit:
                found[tier] = [" ".join(e) for e in entries if e in hit]
        return found


def _matches_at(tokens: Sequence[str], i: int, entry: tuple[str, ...]) -> bool:
    n = len(entry)
    if i + n > len(tokens):
        return False
    *head, last = entry
    if any(tokens[i + j] != w for j, w in enumerate(head)):
        return False
    tok = tokens[i + n - 1]
    return tok.startswith(last.rstrip("*")) if last.endswith("*") else tok == last


def _contains(tokens: Sequence[str], entry: tuple[str, ...]) -> bool:
    """Does ``entry`` occur in ``tokens``? The plain scan (the index in WordList must agree)."""
    n = len(entry)
    if n == 0 or n > len(tokens):
        return False
    *head, last = entry
    prefix = last.endswith("*")
    stem = last.rstrip("*")
    for i in range(len(tokens) - n + 1):
        if any(tokens[i + j] != w for j, w in enumerate(head)):
            continue
        tok = tokens[i + n - 1]
        if tok.startswith(stem) if prefix else tok == stem:
            return True
    return False


def _entry(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(f"{where}: every entry must be a non-empty string, got {raw!r}")
    star = raw.strip().endswith("*")
    parts = tuple(words(raw))
    if not parts:
        raise InvalidInput(f"{where}: entry {raw!r} has no letters or digits")
    if star:
        parts = (*parts[:-1], parts[-1] + "*")
    return parts


def parse_wordlist(text: str, source: str) -> WordList:
    """A WordList from TOML text; InvalidInput naming ``source`` and the problem otherwise.

    Format::

        version = "2026-01"
        [block]
        words = ["kill yourself"]
        [hold]
        words = ["casino bonus", "viagra"]
        [flag]
        words = ["idiot*", "moron"]
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            f"word list {source} is not valid TOML: {exc}", field="wordlist"
        ) from exc
    version = data.get("version", "1")
    if not isinstance(version, (str, int)):
        raise InvalidInput(f"word list {source}: version must be a string", field="wordlist")
    unknown = set(data) - {"version", *(t.value for t in TIERS)}
    if unknown:
        raise InvalidInput(
            f"word list {source}: unknown section(s) {', '.join(sorted(unknown))}; expected "
            "version, block, hold, flag",
            field="wordlist",
        )
    tiers: dict[Outcome, tuple[tuple[str, ...], ...]] = {}
    for tier in TIERS:
        section = data.get(tier.value, {})
        if isinstance(section, list):  # allow `block = ["..."]` as a shorthand
            section = {"words": section}
        if not isinstance(section, dict) or not isinstance(section.get("words", []), list):
            raise InvalidInput(
                f'word list {source}: [{tier.value}] must have words = ["..."]', field="wordlist"
            )
        where = f"word list {source} [{tier.value}]"
        try:
            entries = tuple(dict.fromkeys(_entry(w, where) for w in section.get("words", [])))
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, field="wordlist") from None
        tiers[tier] = entries
    return WordList(version=str(version), source=source, tiers=tiers)


DEFAULT_WORDLIST = "wordlist.toml"
DEFAULT_WORDLIST_PATH = Path(__file__).resolve().parent.parent / "data" / DEFAULT_WORDLIST


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> WordList:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"word list {path} is not UTF-8 text", field="wordlist") from exc
    return parse_wordlist(text, path)


def load_wordlist(path: Path | None = None) -> WordList:
    """The word list at ``path`` (Settings.wordlist_path), else the packaged default.

    Re-read when the file changes. InvalidInput naming the file when it is missing or malformed.
    """
    if path is None:
        return _parse_default(DEFAULT_WORDLIST_PATH.read_text(encoding="utf-8"))
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise InvalidInput(
            f"word list {path} cannot be read: {exc.strerror or exc}", field="wordlist"
        ) from exc
    return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1)
def _parse_default(text: str) -> WordList:
    return parse_wordlist(text, f"(packaged) threads/data/{DEFAULT_WORDLIST}")


def check_words(body: str, wordlist: WordList, *, author_name: str | None = None) -> Decision:
    """The strongest tier with a match in the body or the author's name (spammers advertise in
    names too): block, hold or flag; accept when nothing matches."""
    places = [("", wordlist.matches(body))]
    if author_name:
        places.append((" in the author name", wordlist.matches(author_name)))
    for tier in TIERS:
        reasons = tuple(
            f"word list ({tier.value}){where}: {', '.join(repr(t) for t in found[tier])}"
            for where, found in places
            if tier in found
        )
        if reasons:
            return Decision("wordlist", wordlist.version, tier, reasons)
    return Decision.accept("wordlist", wordlist.version)


# --------------------------------------------------------------------------- pre-moderation

PREMODERATION_VERSION = "1"


def check_premoderation(
    policy: PreModeration,
    *,
    has_links: bool,
    author_approved_before: bool,
    author_trusted: bool = False,
) -> Decision:
    """Hold according to the thread's pre-moderation policy.

    ``all`` holds everything; ``first_time`` holds authors never approved before; ``links`` holds
    comments with links; ``none`` holds nothing. A trusted author (author standing) skips
    pre-moderation whatever the policy; the other rules still apply to them.
    """
    rule = "premoderation"
    if author_trusted:
        return Decision.accept(rule, PREMODERATION_VERSION)
    if policy is PreModeration.ALL:
        return Decision(rule, PREMODERATION_VERSION, Outcome.HOLD, ("policy all: every comment",))
    if policy is PreModeration.FIRST_TIME and not author_approved_before:
        reason = "policy first_time: the author has no approved comment yet"
        return Decision(rule, PREMODERATION_VERSION, Outcome.HOLD, (reason,))
    if policy is PreModeration.LINKS and has_links:
        reason = "policy links: the comment contains links"
        return Decision(rule, PREMODERATION_VERSION, Outcome.HOLD, (reason,))
    return Decision.accept(rule, PREMODERATION_VERSION)


# --------------------------------------------------------------------------- author standing

STANDING_VERSION = "1"


def check_standing(standing: Standing) -> Decision:
    """Hold every comment of a premoderated author, whatever the thread's policy. (A banned
    author's submission is refused before the rules run; a trusted author skips only
    :func:`check_premoderation`.)"""
    if standing is Standing.PREMODERATED:
        reason = "author standing premoderated: every comment of this author is held for review"
        return Decision("standing", STANDING_VERSION, Outcome.HOLD, (reason,))
    return Decision.accept("standing", STANDING_VERSION)


# --------------------------------------------------------------------------- all the checks


@dataclass(frozen=True)
class RuleSet:
    """The settings the checks read: what a moderator may change (and a dry-run proposes)."""

    min_chars: int
    max_chars: int
    max_links: int
    wordlist: WordList


@dataclass(frozen=True)
class Facts:
    """What the checks need to know about one submission besides its text, gathered by the
    caller from the database (live: now; a dry-run: as of the comment's time)."""

    body: str
    author_name: str | None
    thread_id: int
    author_key: str | None
    #: recent comments with the same normalised body (see :func:`check_duplicate`)
    recent: Sequence[PriorComment]
    standing: Standing
    #: the pre-moderation policy that applies to the thread
    policy: PreModeration
    #: whether the author had an approved comment before (read for ``first_time`` only)
    approved_before: bool


def decide(facts: Facts, ruleset: RuleSet) -> list[Decision]:
    """Every check's decision on one submission, in a fixed order: the one list both a live
    submission and a dry-run (:mod:`threads.moderation.dryrun`) take their outcome from."""
    links = links_in(facts.body)
    return [
        check_length(facts.body, min_chars=ruleset.min_chars, max_chars=ruleset.max_chars),
        check_links(facts.body, max_links=ruleset.max_links, author_url=None, found=links),
        check_duplicate(
            facts.body, thread_id=facts.thread_id, author_key=facts.author_key, recent=facts.recent
        ),
        check_words(facts.body, ruleset.wordlist, author_name=facts.author_name),
        check_standing(facts.standing),
        check_premoderation(
            facts.policy,
            has_links=bool(links),
            author_approved_before=facts.approved_before,
            author_trusted=facts.standing is Standing.TRUSTED,
        ),
    ]


__all__ = [
    "Decision",
    "Facts",
    "Outcome",
    "PriorComment",
    "RuleSet",
    "WordList",
    "check_duplicate",
    "check_length",
    "check_links",
    "check_premoderation",
    "check_standing",
    "check_words",
    "combine",
    "decide",
    "load_wordlist",
    "normalise",
    "parse_wordlist",
    "status_for",
]
