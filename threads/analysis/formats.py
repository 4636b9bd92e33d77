"""The report's data shapes for other programs: JSON, and CSV (one clean table, one row per
comment; the run manifest beside it in ``<out>.manifest.json``, or before it as a block of
``# key: value`` lines when the table goes to stdout). The terminal and Markdown renderers are in
``cli/render.py``; the CSV is written by the one CSV writer, :func:`threads.archive.csv.format_row`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from threads.analysis.data import LanguageMix, Manifest, Report, to_jsonable
from threads.analysis.report import CommentRecord
from threads.archive.csv import format_row

#: the JSON Schema (draft 2020-12) of :func:`report_json`'s output, shipped in the package
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "report.schema.json"


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of the JSON report (both kinds: "thread" and "corpus")."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def manifest_rows(m: Manifest) -> list[tuple[str, str]]:
    """The run manifest as (key, value) lines: the terminal shows them, CSV ends with them."""
    f = m.filters
    threads = f.get("threads")
    filters = [f"threads {'all' if threads == 'all' else ', '.join(map(str, threads or []))}"]
    if f.get("site"):
        filters.append(f"site {f['site']}")
    filters.append(f"statuses {', '.join(f.get('statuses') or [])}")
    if f.get("topic"):
        filters.append(f"topic {f['topic']}")
    if f.get("since"):
        filters.append(f"since {f['since']}")
    if f.get("until"):
        filters.append(f"until {f['until']} (exclusive)")
    codebook = "none"
    if m.codebook or m.codebook_version:
        codebook = m.codebook or "?"
        if m.codebook_version:
            codebook += f", version {m.codebook_version}"
    rows = [("software", f"{m.software} {m.version}"), ("codebook", codebook)]
    if m.codebook_hash and m.codebook_hash != m.codebook_version:
        rows.append(("codebook hash", m.codebook_hash))  # the full sha256, for citing
    rows += [
        ("label versions", ", ".join(m.label_versions) or "none"),
        ("comments", str(m.comments)),
        ("threads", str(m.threads)),
        ("filters", "; ".join(filters)),
    ]
    if m.terms:
        sample = m.terms.get("background_sample", "")
        rows.append(
            ("terms", f"log-odds, Dirichlet prior a0={m.terms.get('alpha0')}; background: {sample}")
        )
    if m.languages is not None:
        rows.append(("languages", language_line(m.languages)))
    if m.pseudonyms:
        rows.append(("pseudonyms", m.pseudonyms))
    rows.append(("generated", m.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return rows


def language_line(mix: LanguageMix) -> str:
    """The language mix on one line: "de 11, fr 11, en 7, und 2 (py3langid 0.4.0); sentiment
    n/a for 22 comments (languages: de, fr)"."""
    counts = (
        ", ".join(
            f"{'not yet detected' if lang == 'unknown' else lang} {n}"
            for lang, n in mix.counts.items()
        )
        or "no comments"
    )
    line = f"{counts} ({mix.detector})"
    if mix.sentiment_na:
        noun = "comment" if mix.sentiment_na == 1 else "comments"
        line += (
            f"; sentiment n/a for {mix.sentiment_na} {noun} "
            f"(languages: {', '.join(mix.sentiment_na_languages)})"
        )
    return line


def report_json(report: Report) -> str:
    """The report data as JSON ("kind" first, the manifest last)."""
    data = to_jsonable(report)
    kind = data.pop("kind")
    manifest = data.pop("manifest")
    return json.dumps({"kind": kind, **data, "manifest": manifest}, indent=2, ensure_ascii=False)


#: the per-comment table's columns: those of ``threads export --format csv`` that a report row
#: has, named and ordered as there (``author_name`` is a pseudonym with --anonymize); the
#: ``score_<topic>`` columns go between ``topics`` and ``sentiment``
BASE_COLUMNS = [
    "comment_id",
    "thread_id",
    "parent_id",
    "position",
    "author_name",
    "posted_at",
    "status",
    "kind",
    "topics",
]
#: what the export has not close the row: the campaigns a comment belongs to (ids,
#: ";"-separated), and its thread's site key and state (open/closed), as the per-thread table
#: of the other formats shows them
TAIL_COLUMNS = ["sentiment", "body", "campaigns", "site", "thread_state"]


def csv_columns(topic_ids: Sequence[str]) -> list[str]:
    """The header row: the base columns, one ``score_<topic>`` per topic (sorted), the tail."""
    return [*BASE_COLUMNS, *(f"score_{t}" for t in sorted(topic_ids)), *TAIL_COLUMNS]


def manifest_header(manifest: Manifest) -> str:
    """The manifest as a block of ``# key: value`` lines, for the top of a CSV written to
    stdout: ``pandas.read_csv(..., comment="#")`` skips them (every cell holding a ``#`` is
    quoted, so no value is cut), and so does any reader that drops lines starting with ``#``."""
    return "".join(
        f"# {key}: {' '.join(value.split())}\n" for key, value in manifest_rows(manifest)
    )


def manifest_json(manifest: Manifest) -> str:
    """The manifest as JSON: the sidecar ``<out>.manifest.json`` of a CSV written to a file."""
    return json.dumps(to_jsonable(manifest), indent=2, ensure_ascii=False) + "\n"


def report_csv(
    records: Iterable[CommentRecord],
    topic_ids: Sequence[str],
    manifest: Manifest | None = None,
) -> Iterator[str]:
    """The per-comment table as CSV text chunks: with ``manifest``, first its ``#`` header block
    (:func:`manifest_header`); then a header row and one row per comment, the comment's topics
    ``;``-separated in ``topics`` and its score for each topic in ``score_<topic>`` (empty when
    the comment has no label of that topic), as ``threads export --format csv`` writes them."""
    ordered = sorted(topic_ids)
    head = manifest_header(manifest) if manifest is not None else ""
    chunk = [head + format_row(csv_columns(ordered), quote="#")]
    for r in records:
        scores = dict(zip(r.topics, r.scores, strict=True))
        chunk.append(
            format_row(
                [
                    r.comment_id,
                    r.thread_id,
                    r.parent_id,
                    r.position,
                    r.author,
                    to_jsonable(r.posted_at),
                    r.status,
                    r.kind,
                    ";".join(r.topics),
                    *(None if t not in scores else f"{scores[t]:.4f}" for t in ordered),
                    None if r.sentiment is None else f"{r.sentiment:.4f}",
                    r.body,
                    ";".join(r.campaigns),
                    r.site,
                    r.thread_state,
                ],
                quote="#",
            )
        )
        if len(chunk) >= 1000:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
