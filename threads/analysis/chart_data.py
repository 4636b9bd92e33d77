"""The data behind each chart, as plain data drawn from the corpus report: what is plotted, its
title, axis labels, units and caption. :mod:`threads.analysis.charts` only draws these.

A share is a fraction of a denominator; where the denominator is zero (a month without
comments, a thread without comments) the value is None, a gap, never a zero and never
interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass

from threads.analysis.data import CorpusReport, Manifest
from threads.errors import InvalidInput

#: threads shown in the per-thread chart (the busiest; the caption says how many are left out)
MAX_THREADS = 25
THREAD_LABEL_CHARS = 40


@dataclass
class Series:
    key: str
    label: str
    #: one value per category; None: no data (a gap)
    values: list[float | None]


@dataclass
class Chart:
    """One chart. ``kind``: "lines" (series over the categories), "bars" (one series), or
    "heatmap" (one row per series, one column per category)."""

    name: str
    kind: str
    title: str
    x_label: str
    y_label: str
    #: what a value is measured in: "%", "comments", "compound score (-1..1)"
    unit: str
    categories: list[str]
    series: list[Series]
    caption: str
    #: y axis range (lines and bars), None: from the data
    y_range: tuple[float, float] | None = None


def caption(manifest: Manifest, *notes: str) -> str:
    """Codebook name and version, the counts and time of the report, and the chart's notes."""
    book = manifest.codebook or "(none)"
    if manifest.codebook_version:
        version = f"version {manifest.codebook_version}"
    elif manifest.label_versions:
        version = f"labels of version {', '.join(manifest.label_versions)}"
    else:
        version = "no labels"
    head = (
        f"Codebook {book}, {version}; {manifest.comments:,} comments in "
        f"{manifest.threads:,} threads; threads {manifest.version}, "
        f"{manifest.generated_at.strftime('%Y-%m-%d %H:%M')} UTC."
    )
    return " ".join([head, *(n for n in notes if n)])


def _topics(report: CorpusReport) -> list[tuple[str, str]]:
    return [(r.topic_id, r.label) for r in report.topics.rows]


def prevalence_chart(report: CorpusReport) -> Chart:
    """Share of each month's comments that carry each topic; months without comments are gaps."""
    months = report.months
    series = [
        Series(
            key=t,
            label=label,
            values=[m.topics.get(t, 0) / m.comments if m.comments else None for m in months],
        )
        for t, label in _topics(report)
    ]
    empty = sum(1 for m in months if not m.comments)
    return Chart(
        name="prevalence",
        kind="lines",
        title="Topic prevalence over time",
        x_label="month (UTC)",
        y_label="share of the month's comments (%)",
        unit="%",
        categories=[m.month for m in months],
        series=series,
        caption=caption(
            report.manifest,
            "A comment may carry several topics.",
            f"Months without comments ({empty}) are gaps, not zeros." if empty else "",
            _undated(report),
        ),
        y_range=(0.0, 1.0),
    )


def comments_chart(report: CorpusReport) -> Chart:
    """Counted comments per month (a month without comments is a zero bar: it is a count)."""
    return Chart(
        name="comments",
        kind="bars",
        title="Comments over time",
        x_label="month (UTC)",
        y_label="comments per month (count)",
        unit="comments",
        categories=[m.month for m in report.months],
        series=[
            Series(key="comments", label="comments", values=[m.comments for m in report.months])
        ],
        caption=caption(report.manifest, _undated(report)),
    )


def threads_chart(report: CorpusReport) -> Chart:
    """Each thread's topic shares (rows: the busiest threads, columns: topics)."""
    rows = sorted(
        (t for t in report.threads if t.comments), key=lambda t: (-t.comments, t.thread_id)
    )
    shown = rows[:MAX_THREADS]
    left = len(report.threads) - len(shown)
    return Chart(
        name="threads",
        kind="heatmap",
        title="Topic shares per thread",
        x_label="topic",
        y_label="thread (id and title)",
        unit="% of the thread's comments",
        categories=[label for _, label in _topics(report)],
        series=[
            Series(
                key=str(t.thread_id),
                label=_thread_label(t.thread_id, t.title),
                values=[t.topics.get(topic, 0) / t.comments for topic, _ in _topics(report)],
            )
            for t in shown
        ],
        caption=caption(
            report.manifest,
            "Cells: share of the thread's comments with the topic; the busiest threads first.",
            f"Not shown: {left} of {len(report.threads)} threads (without comments, or beyond "
            f"the busiest {MAX_THREADS})."
            if left
            else "",
        ),
        y_range=(0.0, 1.0),
    )


def cooccurrence_chart(report: CorpusReport) -> Chart:
    """Comments carrying both topics (the diagonal: comments carrying the topic)."""
    co = report.cooccurrence
    labels = report.topic_labels
    return Chart(
        name="cooccurrence",
        kind="heatmap",
        title="Topic co-occurrence",
        x_label="topic",
        y_label="topic",
        unit="comments",
        categories=[labels.get(t, t) for t in co.topics],
        series=[
            Series(key=t, label=labels.get(t, t), values=[float(n) for n in row])
            for t, row in zip(co.topics, co.matrix, strict=True)
        ],
        caption=caption(
            report.manifest, "Cells: comments carrying both topics; the diagonal: the topic."
        ),
    )


def sentiment_chart(report: CorpusReport) -> Chart:
    """Mean sentiment of each topic's comments per month; a month without scored comments of
    the topic is a gap."""
    months = report.months
    return Chart(
        name="sentiment",
        kind="lines",
        title="Sentiment by topic over time",
        x_label="month (UTC)",
        y_label="mean sentiment (VADER compound, -1 to 1)",
        unit="compound score (-1..1)",
        categories=[m.month for m in months],
        series=[
            Series(key=t, label=label, values=[m.sentiment.get(t) for m in months])
            for t, label in _topics(report)
        ],
        caption=caption(
            report.manifest,
            "Mean over the month's comments of the topic that have a sentiment score; "
            "months without any are gaps.",
            _undated(report),
        ),
        y_range=(-1.0, 1.0),
    )


def _undated(report: CorpusReport) -> str:
    return f"{report.undated} comments without a date are not shown." if report.undated else ""


def _thread_label(thread_id: int, title: str) -> str:
    text = " ".join(title.split())
    if len(text) > THREAD_LABEL_CHARS:
        text = text[: THREAD_LABEL_CHARS - 1].rstrip() + "…"
    return f"#{thread_id} {text}"


CHARTS = {
    "prevalence": prevalence_chart,
    "comments": comments_chart,
    "threads": threads_chart,
    "cooccurrence": cooccurrence_chart,
    "sentiment": sentiment_chart,
}


def build_chart(name: str, report: CorpusReport) -> Chart:
    """The chart called ``name`` (one of :data:`CHARTS`) from the corpus report."""
    try:
        make = CHARTS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown chart {name!r} (expected one of: {', '.join(CHARTS)})", field="NAME"
        ) from None
    return make(report)
