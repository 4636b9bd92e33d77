"""Sparklines that tell the truth: every period has a mark, empty ones included, and the label
says what a mark is. Checked on the series (threads.analysis.timeline) and on the rendered
report of a real database with years of silence."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session

from cli.render import render_markdown, render_rich, sparkline
from tests.report_builders import Builder
from threads.analysis.common import ReportQuery
from threads.analysis.data import CorpusReport, DayCount, MonthPrevalence
from threads.analysis.report import build_report
from threads.analysis.timeline import day_marks, fill_days, month_marks

FIXED = datetime(2024, 1, 1, tzinfo=UTC)


def test_a_blank_mark_is_no_data_and_a_dot_is_zero() -> None:
    assert sparkline([1.0, None, 0.0, 0.5]) == "█ ·▅"
    assert sparkline([None, None]) == "  "


def test_years_of_silence_are_years_of_empty_day_marks() -> None:
    days = [DayCount("2010-01-01", 3), DayCount("2013-01-01", 2)]
    marks = day_marks(days, 40)
    # 1,097 days in at most 40 marks: 28 days a mark, 40 marks, each day in its place
    assert marks.per == 28 and len(marks.totals) == 40
    assert marks.totals[0] == 3 and marks.totals[-1] == 2
    assert set(marks.totals[1:-1]) == {0}
    assert marks.label == "one mark per 28 days"
    line = sparkline([float(n) for n in marks.totals])
    assert line == "█" + "·" * 38 + "▆"


def test_an_unfilled_long_timeline_still_gets_one_mark_per_period() -> None:
    # past MAX_FILLED_DAYS the report keeps only the days with comments; the marks do not care
    days = fill_days([DayCount("2000-01-01", 1), DayCount("2019-12-31", 1)])
    assert len(days) == 2
    marks = day_marks(days, 73)
    assert marks.per == 101 and len(marks.totals) == 73  # 7,305 days
    assert sum(1 for n in marks.totals if n) == 2


def test_237_months_are_grouped_not_cropped() -> None:
    months = [
        MonthPrevalence(f"{2000 + i // 12:04d}-{i % 12 + 1:02d}", 0, {"gold": 0})
        for i in range(237)
    ]
    months[0] = MonthPrevalence(months[0].month, 4, {"gold": 1})
    months[-1] = MonthPrevalence(months[-1].month, 2, {"gold": 2})
    marks = month_marks(months, 40)
    assert marks.per == 6 and len(marks.totals) == 40
    assert marks.label == "one mark per 6 months"
    assert marks.starts[0] == "2000-01" and marks.last == months[-1].month
    shares = marks.shares("gold")
    assert shares[0] == 0.25 and shares[-1] == 1.0
    assert all(s is None for s in shares[1:-1])  # no comments: a gap, not 0%
    assert sparkline(shares) == "▃" + " " * 38 + "█"


def _silent_years(engine: Engine) -> None:
    with Session(engine) as session:
        b = Builder(session)
        b.thread("old", "A thread with a long silence")
        b.comment(
            "a",
            "old",
            "Gold, gold and gold.",
            author="Ann",
            posted_at=datetime(2005, 3, 2, tzinfo=UTC),
        )
        b.comment(
            "b", "old", "Nothing to add.", author="Ben", posted_at=datetime(2005, 3, 9, tzinfo=UTC)
        )
        b.comment(
            "c", "old", "Gold again.", author="Cy", posted_at=datetime(2024, 7, 1, tzinfo=UTC)
        )
        b.label("a", "gold", 0.9)
        b.label("c", "gold", 0.8)
        session.commit()


def test_the_report_shows_the_silence_between_2005_and_2024(engine: Engine) -> None:
    _silent_years(engine)
    report = build_report(engine, ReportQuery(all_threads=True, generated_at=FIXED))
    assert isinstance(report, CorpusReport)
    assert len(report.months) == 233  # 2005-03 … 2024-07, every month listed
    console = Console(record=True, width=100, color_system=None, file=io.StringIO())
    render_rich(report, console)
    text = console.export_text()
    lines = text.splitlines()
    section = lines.index(
        next(line for line in lines if line.startswith("Topic prevalence per month"))
    )
    gold = next(line for line in lines[section:] if line.lstrip().startswith("gold "))
    marks = month_marks(report.months, 60)
    assert marks.per == 4 and len(marks.totals) == 59
    trend = sparkline(marks.shares("gold"))
    assert trend in gold  # whole: not cropped to the last months
    assert trend[0] != " " and trend[-1] != " " and trend[1:-1].strip() == ""
    assert "2005-03 … 2024-07: one mark per 4 months" in " ".join(text.split())
    day = next(i for i, line in enumerate(lines) if line.startswith("Comments per day"))
    spark = lines[day + 1]
    per_day = day_marks(report.timeline, 98)
    assert len(spark) == len(per_day.totals) == 97 and spark[0] != "·" and spark[-1] != "·"
    assert set(spark[1:-1]) == {"·"}
    assert "one mark per 73 days" in lines[day + 2]
    markdown = render_markdown(report)
    assert "one mark per 2 months" in markdown  # 233 months in at most 120 marks
