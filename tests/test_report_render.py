"""Rendered reports compared with stored expected text (tests/golden/), and the Markdown and
CSV outputs parsed back.

Regenerate the expected text after an intended change with ``THREADS_UPDATE_GOLDEN=1`` and
review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine

from cli.render import render_markdown, render_rich, sparkline
from tests.report_builders import Built, build_dataset
from threads.analysis.common import ReportQuery
from threads.analysis.data import CorpusReport, Report, to_jsonable
from threads.analysis.formats import report_csv, report_json
from threads.analysis.report import build_report, comment_table
from threads.archive.csv import format_row

GOLDEN = Path(__file__).resolve().parent / "golden"
FIXED = datetime(2024, 1, 1, tzinfo=UTC)


def rendered(report: Report, width: int = 100) -> str:
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    render_rich(report, console)
    return console.export_text()


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; THREADS_UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("THREADS_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with THREADS_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def built(engine: Engine) -> Built:
    return build_dataset(engine)


def _report(engine: Engine, **kw: object) -> Report:
    return build_report(engine, ReportQuery(generated_at=FIXED, **kw))  # type: ignore[arg-type]


def test_thread_report_matches_the_expected_text(engine: Engine, built: Built) -> None:
    check_golden("thread_report.txt", rendered(_report(engine, thread_ids=(1,))))


def test_closed_thread_report_matches_the_expected_text(engine: Engine, built: Built) -> None:
    text = rendered(_report(engine, thread_ids=(2,)))
    assert "Comments are closed" in text
    check_golden("thread_closed_report.txt", text)


def test_empty_thread_reads_well(engine: Engine, built: Built) -> None:
    text = rendered(_report(engine, thread_ids=(3,)))
    assert "No comments yet — the thread is open." in text
    check_golden("thread_empty_report.txt", text)


def test_corpus_report_matches_the_expected_text(engine: Engine, built: Built) -> None:
    check_golden("corpus_report.txt", rendered(_report(engine, all_threads=True)))


def test_anonymized_corpus_report_matches_the_expected_text(engine: Engine, built: Built) -> None:
    text = rendered(_report(engine, all_threads=True, anonymize=True))
    assert "Alice" not in text and "author-" in text
    check_golden("corpus_report_anonymized.txt", text)


@pytest.mark.parametrize("ids", [(1,), (2,), (3,), ()], ids=["one", "closed", "empty", "all"])
def test_reports_fit_in_80_columns(engine: Engine, built: Built, ids: tuple[int, ...]) -> None:
    report = _report(engine, thread_ids=ids, all_threads=not ids)
    text = rendered(report, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "\x1b[" not in text


def test_json_output_is_the_report_data(engine: Engine, built: Built) -> None:
    data = json.loads(report_json(_report(engine, all_threads=True)))
    assert list(data)[0] == "kind" and list(data)[-1] == "manifest"
    assert data["kind"] == "corpus"
    assert data["manifest"]["generated_at"] == "2024-01-01T00:00:00Z"


def _md_tables(text: str) -> list[list[dict[str, str]]]:
    tables: list[list[dict[str, str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("| ") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            header = _cells(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("| "):
                rows.append(dict(zip(header, _cells(lines[i]), strict=True)))
                i += 1
            tables.append(rows)
        else:
            i += 1
    return tables


def _cells(line: str) -> list[str]:
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [p.strip().replace("\\|", "|") for p in parts]


def test_markdown_tables_parse_back_to_the_numbers(engine: Engine, built: Built) -> None:
    report = _report(engine, all_threads=True)
    text = render_markdown(report)
    tables = _md_tables(text)
    topics = tables[0]
    assert [r["topic"] for r in topics] == ["gold", "p5", "russia", "(no topic)"]
    assert [r["comments"] for r in topics] == ["2", "2", "3", "1"]
    assert topics[2]["share"] == "42.9%"
    per_thread = tables[1]
    assert per_thread[0]["russia"] == "2 (50.0%)"
    manifest = {r["field"]: r["value"] for r in tables[-1]}
    assert manifest["comments"] == "7"
    assert manifest["generated"] == "2024-01-01T00:00:00Z"
    assert text.index("## Run manifest") > text.index("## Moderation")


def test_markdown_thread_report_lists_the_tree_and_bolds_evidence(
    engine: Engine, built: Built
) -> None:
    text = render_markdown(_report(engine, thread_ids=(1,)))
    assert text.startswith("# Gold reserves and the ruble\n")
    reply = next(line for line in text.splitlines() if "#2 Bob" in line)
    assert reply.startswith("  - ")
    assert "**gold reserves**" in text
    assert "P5+1" in text and "**P5+1**" in text


def test_csv_parses_back_with_one_row_per_comment(engine: Engine, built: Built) -> None:
    records, topic_ids, manifest = comment_table(
        engine, ReportQuery(all_threads=True, generated_at=FIXED)
    )
    text = "".join(report_csv(records, topic_ids, manifest))
    header = [line for line in text.splitlines() if line.startswith("# ")]
    assert "# generated: 2024-01-01T00:00:00Z" in header
    assert text.startswith("".join(line + "\n" for line in header))  # the block comes first
    data_lines = [line for line in text.splitlines(keepends=True) if not line.startswith("# ")]
    rows = list(csv.DictReader(io.StringIO("".join(data_lines))))
    assert len(rows) == 8
    c7 = next(r for r in rows if r["comment_id"] == str(built.comments["c7"]))
    assert c7["topics"] == "p5;russia"
    assert (c7["score_gold"], c7["score_p5"], c7["score_russia"]) == ("", "0.5000", "0.6000")
    assert c7["posted_at"] == "2014-12-03T09:00:00Z"
    assert c7["sentiment"] == "-0.2000"


def test_report_csv_uses_the_one_csv_writer(engine: Engine, built: Built) -> None:
    """The report's CSV quotes like the export's (RFC 4180, a bare carriage return quoted) and
    neutralises spreadsheet formulas the same way; a negative sentiment stays a number."""
    records, topic_ids, _ = comment_table(engine, ReportQuery(all_threads=True, generated_at=FIXED))
    record = next(iter(records))
    forged = replace(record, author="=HYPERLINK(1)", body="@SUM(A1)\rnext", sentiment=-0.5)
    text = "".join(report_csv([forged], topic_ids))
    row = text.split("\n")[1] + "\n"
    scores = dict(zip(forged.topics, forged.scores, strict=True))
    assert row == format_row(
        [
            forged.comment_id,
            forged.thread_id,
            forged.parent_id,
            forged.position,
            "=HYPERLINK(1)",
            to_jsonable(forged.posted_at),
            forged.status,
            forged.kind,
            ";".join(forged.topics),
            *(f"{scores[t]:.4f}" if t in scores else None for t in sorted(topic_ids)),
            "-0.5000",
            "@SUM(A1)\rnext",
            "",
            forged.site,
            forged.thread_state,
        ]
    )
    assert ",'=HYPERLINK(1)," in row and '"\'@SUM(A1)\rnext"' in row and ",-0.5000," in row


def test_sparkline_scales_to_the_largest_value() -> None:
    assert sparkline([0, 1, 2, 4, 8]) == "·▂▃▅█"
    assert sparkline([0, 0]) == "··"
    assert sparkline([]) == ""


# --------------------------------------------------------------------------- seed threads

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _seed_database(db_url: str) -> bool:
    """Ingest the seed pages with the real CLI and classify them; returns True (classified)."""
    from typer.testing import CliRunner

    from cli.app import app

    runner = CliRunner()
    env = {"THREADS_DATABASE_URL": db_url}
    seeds = [
        str(FIXTURES / "blogger-china-iran-relationship.txt"),
        str(FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt"),
    ]
    result = runner.invoke(app, ["ingest", *seeds], env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["classify"], env=env)
    assert result.exit_code == 0, result.output
    return True


def test_seed_threads_report_matches_the_expected_text(db_url: str, engine: Engine) -> None:
    classified = _seed_database(db_url)
    suffix = "" if classified else "_unclassified"
    name = f"seed_report{suffix}.txt"
    if classified and not (GOLDEN / name).exists() and not os.environ.get("THREADS_UPDATE_GOLDEN"):
        pytest.skip(f"{name} not recorded yet: run with THREADS_UPDATE_GOLDEN=1 and review it")
    corpus = _report(engine, all_threads=True)
    assert isinstance(corpus, CorpusReport)
    reports: list[Report] = [corpus]
    reports += [_report(engine, thread_ids=(t.thread_id,)) for t in corpus.threads]
    text = "\n".join(rendered(r) for r in reports)
    assert "Comments are closed" in text
    check_golden(name, text)


def test_a_deep_reply_chain_keeps_room_for_its_text(engine: Engine) -> None:
    from sqlmodel import Session

    from tests.report_builders import Builder, at

    with Session(engine) as session:
        b = Builder(session)
        b.thread("deep", "A long argument")
        parent = None
        for i in range(30):
            b.comment(
                f"d{i}",
                "deep",
                f"Reply number {i} says that the previous reply missed the point entirely.",
                author=f"User{i % 3}",
                posted_at=at(2, i % 24),
                parent=parent,
            )
            parent = f"d{i}"
        session.commit()
        thread_id = b.built.threads["deep"]
    report = _report(engine, thread_ids=(thread_id,))
    text = rendered(report, width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    body = next(line for line in lines if "Reply number 29 says" in line)
    assert len(body.split("Reply number")[0]) <= 4 * 7  # indentation is capped
    assert "reply to #" in text


def test_many_topics_still_fit_80_columns(engine: Engine) -> None:
    from sqlmodel import Session

    from tests.report_builders import Builder, at

    topics = ["economy", "energy", "sanctions", "nuclear", "diplomacy", "military", "trade", "law"]
    with Session(engine) as session:
        b = Builder(session)
        for t in range(3):
            b.thread(f"t{t}", f"A rather long article title number {t} about many things")
        for i in range(30):
            b.comment(f"c{i}", f"t{i % 3}", "text", author=f"A{i % 5}", posted_at=at(1 + i % 20))
            for j, topic in enumerate(topics):
                if (i + j) % 3 == 0:
                    b.label(f"c{i}", topic, 0.5)
        session.commit()
    text = rendered(_report(engine, all_threads=True), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "topics (share)" in text
    assert "100." not in text.replace("100.0%", "")  # no percentage split over two lines
