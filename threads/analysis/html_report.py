"""The corpus report as one self-contained HTML page: summary, charts (inline SVG), topics with
distinctive terms, representative comments with their evidence marked, coder agreement, and the
run manifest. No script, no external asset, no network: inline CSS and SVG only.

Jinja2 escapes everything the templates print; the charts are SVG made here and re-serialised
by lxml (:func:`threads.analysis.charts.inline_svg`), the one thing printed as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from threads.analysis.chart_data import CHARTS, build_chart
from threads.analysis.charts import inline_svg, render_chart
from threads.analysis.data import CorpusReport
from threads.analysis.formats import manifest_rows

DATA = Path(__file__).resolve().parent.parent / "data"
TEMPLATES = DATA / "templates"
#: the report's stylesheet: inline in the file, served to the console page
STYLESHEET = TEMPLATES / "report.css"


@dataclass
class Figure:
    name: str
    title: str
    caption: str
    svg: Markup


#: characters no HTML text should hold (C0 but tab and line feed, DEL, C1, bidi overrides)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(value: Any) -> Any:
    """Every printed value (before escaping): control characters as visible ``\\xNN``."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_shown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def highlight(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, marked) segments: marked where one of ``terms`` occurs
    (case-insensitive; longer terms first; overlaps go to the first found)."""
    lower = text.lower()
    taken: list[tuple[int, int]] = []
    for term in sorted({t.lower() for t in terms if t.strip()}, key=lambda t: (-len(t), t)):
        start = lower.find(term)
        while start >= 0:
            end = start + len(term)
            if all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
            start = lower.find(term, end)
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted(taken):
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def figures(report: CorpusReport) -> list[Figure]:
    """Every chart of the report, as inline SVG."""
    out = []
    for name in CHARTS:
        chart = build_chart(name, report)
        svg = inline_svg(render_chart(chart, "svg"), f"{name}-", chart.title)
        out.append(Figure(name=name, title=chart.title, caption=chart.caption, svg=Markup(svg)))
    return out


def _context(report: CorpusReport, agreement: Sequence[Any] | None) -> dict[str, Any]:
    rows = report.topics.rows
    first = report.timeline[0].day if report.timeline else None
    last = report.timeline[-1].day if report.timeline else None
    return {
        "report": report,
        "status_line": _status_line(report),
        "topic_ids": [r.topic_id for r in rows],
        "labels": report.topic_labels,
        "period": (first, last),
        "figures": figures(report),
        "representatives": [
            (row, highlight(row.representative.excerpt, row.representative.evidence))
            for row in rows
            if row.representative is not None
        ],
        "agreement": [a.as_dict() for a in agreement] if agreement else None,
        "manifest": manifest_rows(report.manifest),
    }


def _status_line(report: CorpusReport) -> str:
    parts = [f"{n} {status}" for status, n in report.statuses.items() if n]
    line = " · ".join(parts) or "none"
    if report.pingbacks:
        line += f" (+{report.pingbacks} pingbacks/trackbacks, kept apart)"
    return line


def render_report_body(report: CorpusReport, agreement: Sequence[Any] | None = None) -> Markup:
    """The report's sections (no page around them): for the console's /reports page."""
    template = _environment().get_template("report_body.html")
    return Markup(template.render(**_context(report, agreement)))


def render_html_report(report: CorpusReport, agreement: Sequence[Any] | None = None) -> str:
    """The whole report as one HTML document with its stylesheet inline."""
    template = _environment().get_template("report.html")
    return template.render(
        body=render_report_body(report, agreement),
        css=Markup(STYLESHEET.read_text(encoding="utf-8")),
        title=f"Corpus report: {len(report.threads)} threads, {report.topics.comments} comments",
    )
