"""The report's data shapes for other programs: JSON, and CSV (one row per comment, the run
manifest after the rows as ``# key: value`` lines). The terminal and Markdown renderers are in
``cli/render.py``; the CSV is written by the one CSV writer, :func:`threads.archive.csv.format_row`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from threads.analysis.data import LanguageMix, Manifest, Report, to_jsonable
from threads.analysis.report import CommentRecord
from threads.archive.csv import format_row


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


CSV_COLUMNS = [
    "comment_id",
    "thread_id",
    "parent_id",
    "position",
    "kind",
    "author",
    "posted_at",
    "status",
    "topics",
    "scores",
    "sentiment",
    "body",
    "campaigns",
]


def report_csv(records: Iterable[CommentRecord], manifest: Manifest) -> Iterator[str]:
    """The per-comment table as CSV text chunks: a header row, one row per comment (topics
    and their scores ";"-separated, in the same order; the campaigns it belongs to
    ";"-separated), then the manifest as "#" lines."""
    chunk = [format_row(CSV_COLUMNS)]
    for r in records:
        chunk.append(
            format_row(
                [
                    r.comment_id,
                    r.thread_id,
                    r.parent_id,
                    r.position,
                    r.kind,
                    r.author,
                    to_jsonable(r.posted_at),
                    r.status,
                    ";".join(r.topics),
                    ";".join(f"{s:.4f}" for s in r.scores),
                    None if r.sentiment is None else f"{r.sentiment:.4f}",
                    r.body,
                    ";".join(r.campaigns),
                ]
            )
        )
        if len(chunk) >= 1000:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
    yield "".join(f"# {key}: {value}\n" for key, value in manifest_rows(manifest))
