"""The charts: the data behind each one (threads.analysis.chart_data), and the files drawn from
it (valid SVG, the same bytes every time; PNG that matplotlib reads back), through the library
and through `threads chart`."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.app import app
from tests.report_builders import Builder, Built, build_dataset
from threads.analysis.chart_data import CHARTS, build_chart
from threads.analysis.charts import inline_svg, render_chart
from threads.analysis.common import ReportQuery
from threads.analysis.data import CorpusReport
from threads.analysis.report import build_corpus

FIXED = datetime(2024, 1, 1, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}svg"
runner = CliRunner()


@pytest.fixture
def built(engine: Engine) -> Built:
    return build_dataset(engine)


def _corpus(engine: Engine) -> CorpusReport:
    return build_corpus(engine, ReportQuery(all_threads=True, generated_at=FIXED))


def _values(report: CorpusReport, name: str) -> dict[str, list[float | None]]:
    return {s.key: s.values for s in build_chart(name, report).series}


def test_the_data_behind_each_chart(engine: Engine, built: Built) -> None:
    report = _corpus(engine)
    prevalence = build_chart("prevalence", report)
    assert prevalence.categories == ["2014-11", "2014-12"]
    # November: 5 counted comments (gold c1 c6, p5 c4, russia c2 c3); December: 2 (c7 p5+russia)
    assert _values(report, "prevalence") == {
        "gold": [0.4, 0.0],
        "p5": [0.2, 0.5],
        "russia": [0.4, 0.5],
    }
    assert prevalence.unit == "%" and prevalence.y_range == (0.0, 1.0)
    assert _values(report, "comments") == {"comments": [5, 2]}
    threads = build_chart("threads", report)
    assert threads.categories == ["gold", "p5", "russia"]
    assert [s.key for s in threads.series] == ["1", "2"]  # the empty thread 3 is left out
    assert _values(report, "threads") == {"1": [0.25, 0.25, 0.5], "2": [1 / 3, 1 / 3, 1 / 3]}
    assert "Not shown: 1 of 3 threads (without comments" in threads.caption
    assert _values(report, "cooccurrence") == {
        "gold": [2, 0, 0],
        "p5": [0, 2, 1],
        "russia": [0, 1, 3],
    }
    # mean sentiment of the scored comments of each topic; gold has none in December: a gap
    assert _values(report, "sentiment") == {
        "gold": [0.26, None],
        "p5": [0.0, -0.2],
        "russia": [-0.51, -0.2],
    }
    for name in CHARTS:
        chart = build_chart(name, report)
        assert chart.title and chart.x_label and chart.y_label and chart.unit
        assert chart.caption.startswith("Codebook iran-china-2014, labels of version test-v1;")


def test_a_month_without_comments_is_a_gap_in_shares_and_a_zero_in_counts(engine: Engine) -> None:
    with Session(engine) as session:
        b = Builder(session)
        b.thread("t", "Two busy months and a silent one")
        b.comment("a", "t", "Gold.", author="A", posted_at=datetime(2014, 11, 2, tzinfo=UTC))
        b.comment("b", "t", "Gold!", author="B", posted_at=datetime(2015, 1, 5, tzinfo=UTC))
        b.label("a", "gold", 0.9)
        b.label("b", "gold", 0.9)
        session.commit()
    report = _corpus(engine)
    assert build_chart("prevalence", report).categories == ["2014-11", "2014-12", "2015-01"]
    assert _values(report, "prevalence")["gold"] == [1.0, None, 1.0]
    assert _values(report, "comments")["comments"] == [1, 0, 1]
    assert _values(report, "sentiment")["gold"] == [None, None, None]
    assert "Months without comments (1) are gaps" in build_chart("prevalence", report).caption


def test_every_chart_is_valid_deterministic_svg_and_a_png_matplotlib_reads(
    engine: Engine, built: Built
) -> None:
    import matplotlib.image

    report = _corpus(engine)
    for name in CHARTS:
        chart = build_chart(name, report)
        svg = render_chart(chart, "svg")
        root = etree.fromstring(svg)
        assert root.tag == SVG, name
        assert svg == render_chart(chart, "svg"), f"{name}: SVG is not deterministic"
        assert b"<dc:date>" not in svg
        # vector only: an <image> would be a data: URL, refused by the console's img-src 'self'
        assert not root.findall(".//{http://www.w3.org/2000/svg}image"), name
        png = render_chart(chart, "png")
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), name
        pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 600, name


def test_inline_svg_has_no_style_and_its_own_ids(engine: Engine, built: Built) -> None:
    """Under the console's CSP (style-src 'self'), style attributes and elements would be
    dropped; two charts in one page must not share ids."""
    report = _corpus(engine)
    chart = build_chart("prevalence", report)
    markup = inline_svg(render_chart(chart, "svg"), "prevalence-", chart.title)
    root = etree.fromstring(markup)
    assert root.get("role") == "img" and root.get("aria-label") == "Topic prevalence over time"
    assert root.get("width") is None and root.get("class") == "chart"
    assert not [e for e in root.iter() if e.get("style") is not None]
    assert not [e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}style")]
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    assert ids and all(i.startswith("prevalence-") for i in ids)
    refs = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', markup))
    for ref in {a or b for a, b in refs}:
        assert ref in ids, ref
    assert "stroke-linecap" in root.attrib  # the <style> element's rule, kept as attributes


def test_chart_command_writes_svg_and_png(db_url: str, built: Built, tmp_path: Path) -> None:
    env = {"THREADS_DATABASE_URL": db_url, "THREADS_REPORT_TIME": "2024-01-01T00:00:00Z"}
    svg = tmp_path / "prevalence.svg"
    result = runner.invoke(app, ["chart", "prevalence", "--all", "--out", str(svg)], env=env)
    assert result.exit_code == 0, result.output
    assert etree.parse(str(svg)).getroot().tag == SVG
    png = tmp_path / "threads.png"
    result = runner.invoke(app, ["chart", "threads", "1", "2", "-o", str(png)], env=env)
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG")
    result = runner.invoke(
        app,
        ["chart", "sentiment", "--site", "example.org", "--since", "2014-12-01", "-o", str(svg)],
        env=env,
    )
    assert result.exit_code == 0, result.output


def test_chart_command_errors_name_the_argument(db_url: str, built: Built, tmp_path: Path) -> None:
    env = {"THREADS_DATABASE_URL": db_url}
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "x.svg"
    result = runner.invoke(app, ["chart", "pie", "--all", "-o", str(out)], env=env)
    assert result.exit_code == 1
    assert "unknown chart 'pie' (expected one of: prevalence, comments" in result.output
    result = runner.invoke(
        app, ["chart", "comments", "--all", "-o", str(tmp_path / "x.gif")], env=env
    )
    assert result.exit_code == 1 and "ending in .svg or .png" in result.output
    result = runner.invoke(app, ["chart", "comments", "999", "-o", str(out)], env=env)
    assert result.exit_code == 1 and "no thread with id 999" in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())  # nothing half-written
