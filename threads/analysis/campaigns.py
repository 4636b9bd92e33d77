"""Coordinated campaigns: groups of comments that look organised, found in one pass over a
stream of comments (never the ORM objects), on demand, with no table of their own.

Three kinds of cluster:

- ``dup``: near-duplicate texts across threads or authors. Each comment of at least
  ``min_words`` words becomes the set of its word 3-grams (shingles); a MinHash signature
  (datasketch's ``affine32`` scheme and permutations) estimates the Jaccard similarity of two
  sets; locality-sensitive hashing (the band layout datasketch's ``MinHashLSH`` picks for the
  threshold) proposes candidate pairs, which are kept when their estimated similarity reaches
  the threshold. Connected comments form a cluster when it spans two authors or two threads.
- ``burst``: many authors whose first comment ever lands on the same thread within
  ``burst_window``, far above the thread's normal rate.
- ``alias``: one e-mail address, client address (WXR/Disqus ``author_ip``) or submission
  address hash used under several author names.

A cluster's id is its kind and a hash of its sorted member ids: the same comments give the same
id on every run, so a moderator can act on the cluster they were shown (and the action can
check it is still the same cluster) without anything being stored.

Signatures are computed for a batch of comments at once (one numpy expression instead of one
``MinHash.update_batch`` call per comment, 170 microseconds each); the result equals
datasketch's ``MinHash(hashfunc=shingle_hash).update_batch`` (tested). The LSH index keeps
each band's keys in numpy arrays and groups them by sorting, instead of ``MinHashLSH``'s
dictionaries of sets (hundreds of bytes per comment and band), so a million comments fit in a
few hundred megabytes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from threads.body_text import plain_text

KINDS: tuple[str, ...] = ("dup", "burst", "alias")

#: Jaccard similarity (of word 3-gram sets) from which two comments are near-duplicates; see
#: docs/campaigns.md for the precision and recall measured at other thresholds
DEFAULT_THRESHOLD = 0.5
#: signature length: 64 permutations estimate a Jaccard of 0.5 within +-0.06 (one standard
#: deviation) and keep a million signatures in 256 MB
NUM_PERM = 64
SEED = 1
SHINGLE_WORDS = 3
#: shorter comments ("Thanks!", "Great article") are alike by nature, not by coordination
MIN_WORDS = 8
MIN_DUP_MEMBERS = 3
BURST_WINDOW = timedelta(hours=1)
MIN_BURST_AUTHORS = 5
#: first-time authors in the window must be this many times what the thread's rate predicts
BURST_FACTOR = 5.0
#: signatures and facts are collected this many comments at a time
BATCH = 4096
#: the word-hash cache is cleared past this many words (a million comments use ~1M words)
WORD_CACHE = 500_000

_WORD = re.compile(r"\w+")
_MASK32 = np.uint64(0xFFFFFFFF)
# odd 64-bit multipliers that combine the words of a shingle (position matters)
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


@dataclass(frozen=True, slots=True)
class CommentFacts:
    """What campaign detection reads of one comment."""

    id: int
    thread_id: int
    author_key: str | None
    author_name: str | None
    posted_at: datetime | None
    body: str
    body_format: str = "text"
    email: str | None = None
    #: the author's network address as a source recorded it (WXR, Disqus)
    address: str | None = None
    #: the salted hash of a public submission's client address
    client_hash: str | None = None


@dataclass(frozen=True)
class Settings:
    """The detection parameters (defaults: the module constants)."""

    threshold: float = DEFAULT_THRESHOLD
    num_perm: int = NUM_PERM
    min_words: int = MIN_WORDS
    min_dup_members: int = MIN_DUP_MEMBERS
    burst_window: timedelta = BURST_WINDOW
    min_burst_authors: int = MIN_BURST_AUTHORS
    burst_factor: float = BURST_FACTOR
    #: comments posted before this are context only (first-time judgement), never members
    since: datetime | None = None
    kinds: tuple[str, ...] = KINDS


@dataclass
class Cluster:
    """One campaign: its members (comment ids, ascending) and the evidence for it."""

    id: str
    kind: str
    members: list[int]
    threads: list[int]
    #: the members' distinct authors (keys; an e-mail masked as ``j***@example.org``)
    authors: list[str]
    first: datetime | None
    last: datetime | None
    #: kind-specific numbers: similarity, window and rate, shared identities (hashed)
    evidence: dict[str, Any] = field(default_factory=dict)


def cluster_id(kind: str, members: Iterable[int]) -> str:
    """The stable id of a cluster: its kind and 12 hex digits of a hash of its sorted members."""
    text = ",".join(str(i) for i in sorted(set(members)))
    return f"{kind}-{hashlib.sha256(f'{kind}:{text}'.encode()).hexdigest()[:12]}"


def identity_hash(kind: str, value: str) -> str:
    """A short hash of an e-mail or address, to show that members share it without showing it."""
    return hashlib.sha256(f"threads-campaign\0{kind}\0{value}".encode()).hexdigest()[:12]


def masked(value: str | None) -> str | None:
    """An author key shown safely: an e-mail as ``j***@example.org``, a name as it is."""
    if value is None or "@" not in value:
        return value
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


# --------------------------------------------------------------------------- MinHash


def band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch's MinHashLSH chooses for ``threshold``
    (equal weights of false positives and false negatives)."""
    # datasketch is imported where it is used: it imports scipy (0.6 s), and the report
    # imports this module for every command that renders one
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """datasketch's affine32 permutation parameters, shape (2, num_perm), uint32."""
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed).permutations


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class _WordHashes:
    """sha1_hash32 of each word, remembered (natural text repeats its words)."""

    def __init__(self) -> None:
        from datasketch.hashfunc import sha1_hash32

        self.cache: dict[str, int] = {}
        self.hash = sha1_hash32

    def __call__(self, words: Sequence[str]) -> list[int]:
        cache = self.cache
        if len(cache) > WORD_CACHE:
            cache.clear()
        out: list[Any] = list(map(cache.get, words))  # one C loop; misses are rare
        if None in out:
            for i, h in enumerate(out):
                if h is None:
                    word = words[i]
                    out[i] = cache[word] = self.hash(word.encode("utf-8"))
        return out


def _shingle_values(w0: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        s: Any = w0 * _MIX[0] + w1 * _MIX[1] + w2 * _MIX[2]
    return ((s ^ (s >> np.uint64(32))) & _MASK32).astype(np.uint32)


def shingle_hash(shingle: tuple[int, int, int]) -> int:
    """The 32-bit hash of one shingle given as its three word hashes (``sha1_hash32`` of each
    word): the hash function the signatures use, for datasketch's ``MinHash(hashfunc=...)``."""
    w = [np.array([x], dtype=np.uint64) for x in shingle]
    return int(_shingle_values(w[0], w[1], w[2])[0])


def signatures(word_hashes: Sequence[Sequence[int]], perms: np.ndarray) -> np.ndarray:
    """MinHash signatures (uint32, one row per document) of documents given as their word
    hashes (each at least SHINGLE_WORDS long): row i equals
    ``MinHash(num_perm, hashfunc=shingle_hash, permutations=perms, scheme="affine32")
    .update_batch(shingles of document i).hashvalues``."""
    from datasketch.minhash import _fmix

    lengths = np.fromiter((len(d) for d in word_hashes), dtype=np.int64, count=len(word_hashes))
    flat = np.fromiter(
        (h for d in word_hashes for h in d), dtype=np.uint64, count=int(lengths.sum())
    )
    ends = np.cumsum(lengths)
    starts = ends - lengths
    # shingle i starts at word i; it is valid when its last word is in the same document
    valid = np.ones(len(flat), dtype=bool)
    for k in range(1, SHINGLE_WORDS):
        valid[ends - k] = False
    idx = np.flatnonzero(valid)
    values = _shingle_values(flat[idx], flat[idx + 1], flat[idx + 2])
    mixed = _fmix(values.astype(np.uint32), 32)
    a, b = perms
    with np.errstate(over="ignore"):
        phv = mixed[:, None] * a[None, :] + b[None, :]
    shingle_starts = starts - np.arange(len(starts)) * (SHINGLE_WORDS - 1)
    return np.minimum.reduceat(phv, shingle_starts, axis=0)


def similarity(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity: the share of equal signature positions (as MinHash.jaccard)."""
    return (sig_a == sig_b).mean(axis=-1)


# --------------------------------------------------------------------------- the scan


class CampaignScan:
    """Feed comments with :meth:`add` (any order), then read :meth:`clusters`."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = s = settings or Settings()
        if not 0.0 < s.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        self.perms = permutations(s.num_perm)
        self.bands, self.rows = band_layout(s.threshold, s.num_perm)
        self._words = _WordHashes()
        # per comment taken for duplicate detection
        self._sig_chunks: list[np.ndarray] = []
        self._pending_words: list[list[int]] = []
        self._pending_rows: list[int] = []
        # per comment (every member candidate): id, thread, author index, posted (epoch s, nan)
        self._ids = _Column(np.int64)
        self._threads = _Column(np.int64)
        self._authors = _Column(np.int32)
        self._posted = _Column(np.float64)
        self._dup_rows = _Column(np.int64)  # row numbers of the comments with a signature
        self._author_index: dict[str, int] = {}
        self._author_keys: list[str] = []
        # alias: identity -> {name: None} and the rows carrying it
        self._identities: dict[tuple[str, str], tuple[dict[str, None], list[int]]] = {}
        # burst: each author's first comment (posted, id, thread) and each thread's rate facts
        self._first: dict[str, tuple[float, int, int]] = {}
        self._thread_facts: dict[int, list[float]] = {}
        self.seen = 0

    # -- input

    def add(self, c: CommentFacts) -> None:
        s = self.settings
        self.seen += 1
        posted = c.posted_at.timestamp() if c.posted_at is not None else float("nan")
        key = c.author_key
        if "burst" in s.kinds and key and c.posted_at is not None:
            first = self._first.get(key)
            if first is None or (posted, c.id) < first[:2]:
                self._first[key] = (posted, c.id, c.thread_id)
            facts = self._thread_facts.get(c.thread_id)
            if facts is None:
                self._thread_facts[c.thread_id] = [1.0, posted, posted]
            else:
                facts[0] += 1
                facts[1] = min(facts[1], posted)
                facts[2] = max(facts[2], posted)
        if s.since is not None and (c.posted_at is None or c.posted_at < s.since):
            return
        row = len(self._ids)
        self._ids.append(c.id)
        self._threads.append(c.thread_id)
        self._authors.append(self._author(key))
        self._posted.append(posted)
        if "dup" in s.kinds:
            words = words_of(plain_text(c.body, c.body_format))
            if len(words) >= max(s.min_words, SHINGLE_WORDS):
                self._pending_words.append(self._words(words))
                self._pending_rows.append(row)
                if len(self._pending_rows) >= BATCH:
                    self._flush()
        if "alias" in s.kinds:
            name = " ".join((c.author_name or "").split()).lower()
            if name:
                for kind, value in (
                    ("email", (c.email or "").strip().lower()),
                    ("address", (c.address or "").strip()),
                    ("client", (c.client_hash or "").strip()),
                ):
                    if value:
                        names, rows = self._identities.setdefault((kind, value), ({}, []))
                        names[name] = None
                        rows.append(row)

    def add_all(self, comments: Iterable[CommentFacts]) -> CampaignScan:
        for c in comments:
            self.add(c)
        return self

    def _author(self, key: str | None) -> int:
        if not key:
            return -1
        index = self._author_index.get(key)
        if index is None:
            index = self._author_index[key] = len(self._author_keys)
            self._author_keys.append(key)
        return index

    def _flush(self) -> None:
        if not self._pending_rows:
            return
        self._sig_chunks.append(signatures(self._pending_words, self.perms))
        for r in self._pending_rows:
            self._dup_rows.append(r)
        self._pending_words.clear()
        self._pending_rows.clear()

    # -- output

    def clusters(self) -> list[Cluster]:
        """Every cluster found, by kind (dup, burst, alias), then largest first, then id."""
        out: list[Cluster] = []
        kinds = self.settings.kinds
        if "dup" in kinds:
            out += self._dup_clusters()
        if "burst" in kinds:
            out += self._burst_clusters()
        if "alias" in kinds:
            out += self._alias_clusters()
        out.sort(key=lambda c: (KINDS.index(c.kind), -len(c.members), c.id))
        return out

    def _cluster(self, kind: str, rows: np.ndarray, evidence: dict[str, Any]) -> Cluster:
        ids = self._ids.array()[rows]
        posted = self._posted.array()[rows]
        authors = sorted({int(a) for a in self._authors.array()[rows] if a >= 0})
        dated = posted[~np.isnan(posted)]
        return Cluster(
            id=cluster_id(kind, ids.tolist()),
            kind=kind,
            members=sorted(int(i) for i in ids),
            threads=sorted({int(t) for t in self._threads.array()[rows]}),
            authors=sorted(masked(self._author_keys[a]) or "" for a in authors),
            first=_when(float(dated.min())) if len(dated) else None,
            last=_when(float(dated.max())) if len(dated) else None,
            evidence=evidence,
        )

    def _dup_clusters(self) -> list[Cluster]:
        self._flush()
        if not self._sig_chunks:
            return []
        sigs = _stack(self._sig_chunks)
        self._sig_chunks = [sigs]
        rows_of = self._dup_rows.array()
        n = len(sigs)
        threshold = self.settings.threshold
        src: list[np.ndarray] = []
        dst: list[np.ndarray] = []
        weights = np.array([(2 * i + 1) for i in range(self.rows)], dtype=np.uint64) * _MIX[1]
        sig_ids = self._ids.array()[rows_of]  # ties in a bucket go by comment id: any input
        for band in range(self.bands):  # order gives the same clusters
            part = sigs[:, band * self.rows : (band + 1) * self.rows].astype(np.uint64)
            with np.errstate(over="ignore"):
                keys = (part * weights[None, :]).sum(axis=1, dtype=np.uint64)
                keys ^= part[:, 0] * _MIX[2]
            order = np.lexsort((sig_ids, keys))
            ordered = keys[order]
            cut = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
            starts = np.concatenate(([0], cut))
            ends = np.concatenate((cut, [n]))
            for a, z in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
                members = order[a:z]
                # Compare with up to four representatives: a bucket of near-duplicates needs
                # one; a bucket shared by chance is split, never chained into one cluster.
                for _ in range(4):
                    if len(members) < 2:
                        break
                    sims = similarity(sigs[members], sigs[members[0]])
                    close = sims >= threshold
                    matched = members[close]
                    if len(matched) > 1:
                        src.append(np.full(len(matched) - 1, members[0]))
                        dst.append(matched[1:])
                    members = members[~close]
        if not src:
            return []
        s_all, d_all = np.concatenate(src), np.concatenate(dst)
        from scipy.sparse import coo_matrix  # imported here: scipy costs 0.1-0.6 s to import
        from scipy.sparse.csgraph import connected_components

        graph = coo_matrix((np.ones(len(s_all), dtype=np.int8), (s_all, d_all)), shape=(n, n))
        count, labels = connected_components(graph, directed=False)
        sizes = np.bincount(labels, minlength=count)
        big = np.flatnonzero(sizes >= self.settings.min_dup_members)
        out: list[Cluster] = []
        if not len(big):
            return out
        order = np.argsort(labels, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        authors = self._authors.array()
        threads = self._threads.array()
        for label in big:
            sig_rows = order[bounds[label] : bounds[label + 1]]
            rows = rows_of[sig_rows]
            distinct_authors = len({int(a) for a in authors[rows]})
            distinct_threads = len({int(t) for t in threads[rows]})
            if distinct_authors < 2 and distinct_threads < 2:
                continue  # one author repeating themself in one thread: not a campaign
            sims = similarity(sigs[sig_rows], sigs[sig_rows[0]])[1:]
            evidence = {
                "similarity_min": round(float(sims.min()), 3),
                "similarity_mean": round(float(sims.mean()), 3),
                "threshold": threshold,
                "authors": distinct_authors,
            }
            out.append(self._cluster("dup", rows, evidence))
        return out

    def _burst_clusters(self) -> list[Cluster]:
        s = self.settings
        window = s.burst_window.total_seconds()
        since = s.since.timestamp() if s.since is not None else None
        per_thread: dict[int, list[tuple[float, int]]] = defaultdict(list)
        for posted, comment_id, thread_id in self._first.values():
            if since is None or posted >= since:
                per_thread[thread_id].append((posted, comment_id))
        row_of = {int(i): r for r, i in enumerate(self._ids.array())} if per_thread else {}
        out: list[Cluster] = []
        for thread_id, firsts in per_thread.items():
            if len(firsts) < s.min_burst_authors:
                continue
            firsts.sort()
            total, start, end = self._thread_facts[thread_id]
            span = max(end - start, window)
            for lo, hi in _dense_runs([t for t, _ in firsts], window, s.min_burst_authors):
                members = firsts[lo:hi]
                n = len(members)
                # the thread's normal rate: its other comments over its whole life
                expected = (total - n) * window / span
                if n < s.burst_factor * expected:
                    continue
                rows = np.array([row_of[i] for _, i in members if i in row_of], dtype=np.int64)
                if len(rows) < s.min_burst_authors:
                    continue
                evidence = {
                    "first_time_authors": n,
                    "window_seconds": int(window),
                    "expected": round(expected, 3),
                    "thread_comments": int(total),
                }
                out.append(self._cluster("burst", rows, evidence))
        return out

    def _alias_clusters(self) -> list[Cluster]:
        by_members: dict[tuple[int, ...], Cluster] = {}
        for (kind, value), (names, rows) in self._identities.items():
            if len(names) < 2:
                continue
            row_array = np.array(sorted(set(rows)), dtype=np.int64)
            shared = {"kind": kind, "hash": identity_hash(kind, value)}
            if kind == "email":
                shared["masked"] = masked(value) or ""
            members = tuple(sorted(int(i) for i in self._ids.array()[row_array]))
            found = by_members.get(members)
            if found is not None:  # the same comments share an e-mail and an address
                found.evidence["shared"].append(shared)
                continue
            evidence = {"names": sorted(names), "shared": [shared]}
            by_members[members] = self._cluster("alias", row_array, evidence)
        return list(by_members.values())


def _dense_runs(times: list[float], window: float, least: int) -> Iterator[tuple[int, int]]:
    """Maximal index ranges [lo, hi) of sorted ``times`` made of overlapping windows of length
    ``window`` that each hold at least ``least`` times."""
    run: tuple[int, int] | None = None
    j = 0
    for i in range(len(times)):
        j = max(j, i)
        while j + 1 < len(times) and times[j + 1] - times[i] <= window:
            j += 1
        if j - i + 1 >= least:
            if run is not None and i < run[1]:
                run = (run[0], j + 1)
            else:
                if run is not None:
                    yield run
                run = (i, j + 1)
    if run is not None:
        yield run


def _stack(chunks: list[np.ndarray]) -> np.ndarray:
    """The chunks as one array, each chunk freed once copied (np.vstack would hold both: twice
    the signatures' memory at the peak)."""
    if len(chunks) == 1:
        return chunks[0]
    out = np.empty((sum(len(c) for c in chunks), chunks[0].shape[1]), dtype=chunks[0].dtype)
    at = 0
    while chunks:
        chunk = chunks.pop(0)
        out[at : at + len(chunk)] = chunk
        at += len(chunk)
    return out


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class _Column:
    """A growing numpy column (appends go to a list, read back as one array)."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype
        self.chunks: list[np.ndarray] = []
        self.tail: list[Any] = []
        self._array: np.ndarray | None = None

    def append(self, value: Any) -> None:
        self.tail.append(value)
        self._array = None
        if len(self.tail) >= 65536:
            self.chunks.append(np.array(self.tail, dtype=self.dtype))
            self.tail = []

    def __len__(self) -> int:
        return sum(len(c) for c in self.chunks) + len(self.tail)

    def array(self) -> np.ndarray:
        if self._array is None:
            parts = [*self.chunks, np.array(self.tail, dtype=self.dtype)]
            self._array = np.concatenate(parts)
            self.chunks, self.tail = [self._array], []
        return self._array


def find_clusters(
    comments: Iterable[CommentFacts], settings: Settings | None = None
) -> list[Cluster]:
    """Every campaign cluster among ``comments``."""
    return CampaignScan(settings).add_all(comments).clusters()


# --------------------------------------------------------------------------- from the database


@dataclass
class MemberView:
    """A member comment as shown: its author's name (an e-mail key is masked), an excerpt."""

    id: int
    thread_id: int
    title: str
    author: str | None
    posted_at: datetime | None
    status: str
    version: int
    excerpt: str


@dataclass
class CampaignView:
    """A cluster with what a moderator needs to judge it and act on it."""

    id: str
    kind: str
    size: int
    members: list[int]
    threads: list[int]
    authors: list[str]
    first: datetime | None
    last: datetime | None
    evidence: dict[str, Any]
    #: up to SAMPLES members, the first of each thread first
    samples: list[MemberView]
    #: members waiting for a decision (pending or flagged): id -> version
    pending: dict[int, int]


SAMPLES = 3
EXCERPT = 160


def scan_database(
    conn: Any,
    *,
    site_id: int | None = None,
    thread_ids: Sequence[int] | None = None,
    statuses: Sequence[str] | None = None,
    until: datetime | None = None,
    settings: Settings | None = None,
) -> list[Cluster]:
    """The clusters among the comments of a site (or threads, or all; of ``statuses``, posted
    before ``until``), streamed from ``conn``."""
    from threads.db.queries import campaigns as q

    scan = CampaignScan(settings)
    rows = q.stream_comments(
        conn, site_id=site_id, thread_ids=thread_ids, statuses=statuses, until=until
    )
    for r in rows:
        scan.add(
            CommentFacts(
                id=r.id,
                thread_id=r.thread_id,
                author_key=r.author_key,
                author_name=r.author_name,
                posted_at=r.posted_at,
                body=r.body or "",
                body_format=r.body_format or "text",
                email=r.author_email,
                address=r.address,
                client_hash=r.client_hash,
            )
        )
    return scan.clusters()


def describe(conn: Any, clusters: Sequence[Cluster]) -> list[CampaignView]:
    """The clusters with their members' current status and version and a few sample texts."""
    from threads.analysis.common import excerpt
    from threads.db.queries import campaigns as q

    out: list[CampaignView] = []
    for cl in clusters:
        rows = q.member_rows(conn, cl.members)
        firsts: dict[int, Any] = {}  # the first member of each thread, then the others
        for r in rows:
            firsts.setdefault(r.thread_id, r)
        chosen = {r.id for r in list(firsts.values())[:SAMPLES]}
        picked = [r for r in rows if r.id in chosen]
        picked += [r for r in rows if r.id not in chosen][: SAMPLES - len(picked)]
        samples = [
            MemberView(
                id=r.id,
                thread_id=r.thread_id,
                title=r.title or "",
                author=r.author_name or masked(r.author_key),
                posted_at=r.posted_at,
                status=str(r.status),
                version=r.version,
                excerpt=excerpt(plain_text(r.body, r.body_format), EXCERPT),
            )
            for r in picked
        ]
        pending = {r.id: r.version for r in rows if str(r.status) in ("pending", "flagged")}
        out.append(
            CampaignView(
                id=cl.id,
                kind=cl.kind,
                size=len(cl.members),
                members=cl.members,
                threads=cl.threads,
                authors=cl.authors,
                first=cl.first,
                last=cl.last,
                evidence=cl.evidence,
                samples=samples,
                pending=pending,
            )
        )
    return out


def evidence_text(kind: str, evidence: dict[str, Any], *, names: bool = True) -> str:
    """A cluster's evidence in one line of plain words (an e-mail only masked and hashed);
    ``names=False`` leaves out the alias names (a report with pseudonyms)."""
    e = evidence
    if kind == "dup":
        return (
            f"similarity {e.get('similarity_min')} (lowest) to {e.get('similarity_mean')} "
            f"(mean) with the first member, threshold {e.get('threshold')}"
        )
    if kind == "burst":
        return (
            f"{e.get('first_time_authors')} first-time authors within "
            f"{int(e.get('window_seconds', 0)) // 60} minutes; the thread's usual rate "
            f"predicts {e.get('expected')}"
        )
    shared = ", ".join(
        " ".join(x for x in (s["kind"], s.get("masked") or "", f"#{s['hash']}") if x)
        for s in e.get("shared", [])
    )
    who = f"names {', '.join(e.get('names', []))}" if names else f"{len(e.get('names', []))} names"
    return f"{who} share {shared}"


#: campaigns listed in a report (the counts cover all)
REPORT_ROWS = 10


def _report_clusters(conn: Any, ctx: Any) -> list[Cluster]:
    """The clusters among the comments a report counts (its threads or site, statuses, dates)."""
    sel = ctx.selection
    return scan_database(
        conn,
        site_id=sel.site_id,
        thread_ids=sel.thread_ids,
        statuses=sel.statuses,
        until=sel.until,
        settings=Settings(since=sel.since),
    )


def campaign_membership(conn: Any, ctx: Any) -> dict[int, list[str]]:
    """Comment id -> the ids of the campaigns it belongs to (the report's CSV column); empty
    when the report was asked without campaigns."""
    if not ctx.request.campaigns:
        return {}
    out: dict[int, list[str]] = defaultdict(list)
    for cl in _report_clusters(conn, ctx):
        for m in cl.members:
            out[m].append(cl.id)
    return dict(out)


def campaign_summary(conn: Any, ctx: Any) -> Any:
    """The report's campaigns section over the selection of ``ctx`` (an analysis Context):
    its threads or site, statuses and dates."""
    from threads.analysis.common import excerpt
    from threads.analysis.data import CampaignRow, CampaignSummary

    if not ctx.request.campaigns:
        return CampaignSummary(counts={}, comments=0, rows=[], computed=False)
    clusters = _report_clusters(conn, ctx)
    counts = {k: sum(1 for cl in clusters if cl.kind == k) for k in KINDS}
    members = {m for cl in clusters for m in cl.members}
    shown = sorted(clusters, key=lambda cl: (-len(cl.members), cl.id))[:REPORT_ROWS]
    rows = []
    for view in describe(conn, shown):
        sample = view.samples[0].excerpt if view.samples else ""
        rows.append(
            CampaignRow(
                id=view.id,
                kind=view.kind,
                comments=view.size,
                threads=len(view.threads),
                authors=len(view.authors),
                first=view.first,
                last=view.last,
                evidence=evidence_text(view.kind, view.evidence, names=not ctx.request.anonymize),
                sample=excerpt(sample, 100),
            )
        )
    return CampaignSummary(counts=counts, comments=len(members), rows=rows)
