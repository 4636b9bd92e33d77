"""CSV of comments for spreadsheets, pandas and R: one row per comment, in thread order.

Columns: ``comment_id, thread_id, article_id, article_title, article_url, parent_id, position,
author_name, author_url, posted_at, status, kind, topics``, then ``score_<topic>`` for every topic
labelled in the exported comments (sorted), then ``sentiment, body``. Topics and scores are those
of one codebook (the shipped one unless another is named). RFC 4180 quoting, UTF-8,
a header row, ``\\n`` line ends; empty cells for missing values; text a spreadsheet would run as a
formula starts with a single quote (:func:`format_cell`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any, TextIO

from sqlalchemy.engine import Connection, Engine

from threads.archive.common import STREAM, format_time, snapshot
from threads.db.queries.archive import (
    ThreadScope,
    export_comments,
    export_labels,
    export_topic_ids,
)
from threads.models import DEFAULT_CODEBOOK, LabelSource

BASE_COLUMNS = [
    "comment_id",
    "thread_id",
    "article_id",
    "article_title",
    "article_url",
    "parent_id",
    "position",
    "author_name",
    "author_url",
    "posted_at",
    "status",
    "kind",
    "topics",
]
TAIL_COLUMNS = ["sentiment", "body"]


#: a text cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: a plain decimal number ("-0.25", "+3", "1e-5"): a spreadsheet reads it as that number, never
#: as a formula, so it is written as it is
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def format_cell(value: Any) -> str:
    """One cell's text: empty for None, an enum's value, numbers as they are, and text that a
    spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage return,
    and not a plain number) behind a single quote, as OWASP's CSV-injection rule says."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def format_row(cells: Sequence[Any], *, quote: str = "") -> str:
    """One RFC 4180 record ending in ``\\n``, each cell made safe by :func:`format_cell`: a cell
    is quoted when it holds a comma, a quote or a line break (``\\r`` included, which Python's
    csv writer would leave bare), or one of the characters in ``quote`` (the report CSV quotes
    ``#``, so that a reader skipping ``#`` comments never cuts a cell). The one CSV writer:
    exports and report CSV alike."""
    special = ',"\r\n' + quote
    out = []
    for cell in cells:
        text = format_cell(cell)
        if any(c in text for c in special):
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return ",".join(out) + "\n"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def topic_summary(labels: list[Any]) -> tuple[list[str], dict[str, float]]:
    """The topics of one comment and its automatic score per topic, from its label rows of one
    codebook as :func:`export_labels` gives them (``decides`` computed by the one rule)."""
    assigned = sorted({label.topic_id for label in labels if label.decides and label.assigned})
    scores = {
        label.topic_id: float(label.score) for label in labels if label.source == LabelSource.AUTO
    }
    return assigned, scores


def _labels_by_comment(conn: Connection, scope: ThreadScope, codebook: str) -> Iterator[Any]:
    rows = conn.execute(export_labels(scope, codebook), execution_options=STREAM)
    return groupby(rows, key=lambda r: r.comment_id)


def dump_csv(
    engine: Engine,
    out: TextIO,
    *,
    thread_ids: Sequence[int] | None = None,
    site: str | None = None,
    codebook: str = DEFAULT_CODEBOOK,
) -> int:
    """Write the comments of the threads (all, or ``thread_ids``) as CSV, with their topics and
    scores in ``codebook``; returns rows written.

    ``site`` (a site key) narrows to that site's threads. Raises NotFound naming thread ids
    that do not exist or an unknown site key.
    """
    written = 0
    with snapshot(engine, thread_ids, site) as (conn, scope):
        topics = list(conn.execute(export_topic_ids(scope, codebook)).scalars())
        out.write(format_row([*BASE_COLUMNS, *(f"score_{t}" for t in topics), *TAIL_COLUMNS]))
        labels = _labels_by_comment(conn, scope, codebook)
        pending = next(labels, None)
        for c in conn.execute(export_comments(scope), execution_options=STREAM):
            mine: list[Any] = []
            # labels come in the comments' order: the next group is this comment's or a later one's
            if pending is not None and pending[0] == c.id:
                mine = list(pending[1])
                pending = next(labels, None)
            assigned, scores = topic_summary(mine)
            out.write(
                format_row(
                    [
                        c.id,
                        c.thread_id,
                        c.article_id,
                        c.article_title,
                        _cell(c.article_url),
                        _cell(c.parent_id),
                        c.position,
                        _cell(c.author_name),
                        _cell(c.author_url),
                        format_time(c.posted_at) if c.posted_at is not None else "",
                        _cell(c.status),
                        _cell(c.kind),
                        ";".join(assigned),
                        *(_cell(scores.get(t)) for t in topics),
                        _cell(c.sentiment),
                        c.body,
                    ]
                )
            )
            written += 1
    return written
