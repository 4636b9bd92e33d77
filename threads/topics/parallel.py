"""Classification as plain functions over chunks of records, run by one process or by several.

A task is a chunk of records in file or id order; a worker process builds its classifier once
(the pool's initializer) and turns each chunk into plain results: research-mode JSON lines, or
(classification, sentiment) pairs for the database. The parent reads, hands out the chunks and
takes their results back in the order it handed them out, so ``--jobs N`` writes the same bytes
and the same labels as one process; the parent alone writes to the database or the output.
With ``jobs=1`` the same functions run in the parent, without a pool.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import IO, Any, TypeVar

from threads.body_text import plain_text
from threads.errors import InvalidInput
from threads.topics.classifier import Classification, Classifier
from threads.topics.evaluation import classification_line
from threads.topics.language import detect_language, has_sentiment
from threads.topics.learn import LearnedModel
from threads.topics.sentiment import sentiment_of
from threads.topics.taxonomy import Taxonomy

#: records per task: large enough that handing one out costs little beside classifying it
CHUNK = 500
#: tasks handed out per worker ahead of the one whose result is awaited (bounds memory)
AHEAD = 2

K = TypeVar("K")
T = TypeVar("T")
R = TypeVar("R")

_classifier: Classifier | None = None

#: what a JSON encoder leaves raw inside strings that a terminal could obey (DEL, C1, bidi)
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def start_worker(taxonomy: Taxonomy, models: Mapping[str, LearnedModel] | None = None) -> None:
    """Build this process's classifier (once per worker: the pool's initializer)."""
    global _classifier
    _classifier = Classifier(taxonomy, models)


def _ensure_classifier(taxonomy: Taxonomy, models: Mapping[str, LearnedModel] | None) -> None:
    """Build this process's classifier unless it already is this one (a Dask worker keeps its
    classifier from one shard to the next)."""
    clf = _classifier
    if clf is None or clf.taxonomy != taxonomy or clf.models != dict(models or {}):
        start_worker(taxonomy, models)


def research_line(item_id: Any, result: Classification, language: str | None = None) -> str:
    """One research-mode output line (``{id, topics, scores, evidence}``, plus ``language``
    when the codebook has terms in other languages, with its newline): compact UTF-8 JSON with
    no raw control character a terminal could obey."""
    text = _encode(classification_line(item_id, result, language))
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def research_chunk(records: list[tuple[Any, str]]) -> str:
    """The research-mode lines for ``(id, body)`` records, in their order (one text)."""
    classify = _require().classify_text
    return "".join(research_line(item_id, *classify(body)) for item_id, body in records)


def stored_chunk(
    bodies: list[tuple[str, str]],
) -> list[tuple[Classification, dict[str, float] | None, str]]:
    """Topics, sentiment (None where no lexicon exists for the language) and detected language
    for stored comments' ``(body, body_format)``, in their order."""
    clf = _require()
    out: list[tuple[Classification, dict[str, float] | None, str]] = []
    for body, body_format in bodies:
        text = plain_text(body, body_format)
        language = detect_language(text)
        scores = sentiment_of(text) if has_sentiment(language) else None
        out.append((clf.classify(text, language), scores, language))
    return out


def _require() -> Classifier:
    if _classifier is None:
        raise RuntimeError("start_worker() first: this process has no classifier")
    return _classifier


def start_method() -> str:
    """Fork where it is safe, spawn elsewhere. A forked worker starts at once with NLTK and the
    codebook already loaded, where a spawned one first spends about a second (as long as
    classifying 10,000 comments) importing them; but forking a process that runs other threads
    (a progress bar's) can leave a lock held forever in the child, and macOS forbids it for
    some system libraries. The workers never touch the parent's database connections."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def ordered_map(
    fn: Callable[[T], R],
    tasks: Iterable[tuple[K, T]],
    *,
    jobs: int,
    taxonomy: Taxonomy,
    models: Mapping[str, LearnedModel] | None = None,
) -> Iterator[tuple[K, R]]:
    """``(key, fn(task))`` for each ``(key, task)``, in the order of ``tasks``, computed by
    ``jobs`` worker processes (in this process when ``jobs`` is 1); keys stay in this process.
    At most ``AHEAD`` tasks per worker are in flight, so a long input is never read whole."""
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if jobs == 1:
        _ensure_classifier(taxonomy, models)
        for key, task in tasks:
            yield key, fn(task)
        return
    context = multiprocessing.get_context(start_method())
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=start_worker, initargs=(taxonomy, models)
    ) as pool:
        pending: deque[tuple[K, Future[R]]] = deque()
        try:
            for key, task in tasks:
                pending.append((key, pool.submit(fn, task)))
                if len(pending) >= jobs * AHEAD:
                    key, future = pending.popleft()
                    yield key, future.result()
            while pending:
                key, future = pending.popleft()
                yield key, future.result()
        finally:  # stopped early (an error, or the caller stopped): drop what has not started
            for _, future in pending:
                future.cancel()


def write_research_lines(
    items: Iterable[tuple[Any, str]],
    taxonomy: Taxonomy,
    out: IO[str],
    *,
    jobs: int = 1,
    models: Mapping[str, LearnedModel] | None = None,
) -> int:
    """Classify ``(id, body)`` records with ``taxonomy`` (and the learned ``models``) and
    write their research lines to ``out`` in input order; returns how many. An
    ``InvalidInput`` met while reading the records is raised once the lines before it are
    written, as one process would."""
    failure: list[InvalidInput] = []

    def records() -> Iterator[tuple[Any, str]]:
        try:
            yield from items
        except InvalidInput as exc:
            failure.append(exc)

    count = 0
    tasks = ((len(chunk), chunk) for chunk in chunked(records()))
    for n, text in ordered_map(research_chunk, tasks, jobs=jobs, taxonomy=taxonomy, models=models):
        out.write(text)
        count += n
    if failure:
        raise failure[0]
    return count
