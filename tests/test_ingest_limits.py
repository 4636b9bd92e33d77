"""Hostile input to an import: a broken XML file on one huge line is quoted in bounded memory,
and a huge comment body is cut to THREADS_MAX_IMPORT_COMMENT_CHARS with a warning."""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.ingest_support import batches, ingest_one, snapshot
from threads.config import DEFAULT_MAX_IMPORT_COMMENT_CHARS, Settings
from threads.errors import InvalidInput
from threads.ingest.registry import get_format
from threads.ingest.service import ingest_paths
from threads.ingest.source import SourceFile

# ---------------------------------------------------------------- the quote of an XML error

FILLER = "<note>" + "x" * 1000 + "</note>"
#: how the error in such a file ends: the problem and the text around its place
QUOTED = ': duplicate attribute near \'x</note><post a="1" a="2"/></disqus>\''


def _one_line_broken_export(path: Path, size: int, encoding: str = "utf-8") -> None:
    """A Disqus export of about ``size`` bytes on a single line, broken near its end."""
    with path.open("w", encoding=encoding) as out:
        out.write('<?xml version="1.0"?><disqus xmlns="http://disqus.com">')
        for _ in range(size // len(FILLER)):
            out.write(FILLER)
        out.write('<post a="1" a="2"/></disqus>\n')


_PEAK = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from threads.db import ensure_schema, make_engine
    from threads.ingest.service import ingest_paths
    engine = make_engine(f"sqlite:///{sys.argv[2]}")
    ensure_schema(engine)
    report = ingest_paths(engine, [Path(sys.argv[1])])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"error": report.files[0].error, "peak": peak}))
    """
)


def _import_in_a_process(path: Path, tmp_path: Path) -> tuple[str, int]:
    """The error and the peak memory (max RSS, bytes) of importing ``path`` in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), str(tmp_path / f"{path.stem}.db")],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    return found["error"], found["peak"]


def test_broken_xml_on_one_huge_line_is_quoted_in_bounded_memory(tmp_path: Path) -> None:
    """50 MB on one line: quoting the line whole took about three times its size."""
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    _one_line_broken_export(small, 2_000)
    _one_line_broken_export(large, 50_000_000)
    small_error, small_peak = _import_in_a_process(small, tmp_path)
    large_error, large_peak = _import_in_a_process(large, tmp_path)

    for error, name in ((small_error, "small.xml"), (large_error, "large.xml")):
        assert error.startswith(f"{name}: not well-formed XML at line 1, column ")
        assert error.endswith(QUOTED)
    assert large_peak - small_peak < large.stat().st_size // 4


def test_error_quote_is_the_text_around_the_column_in_any_encoding(
    engine: Engine, tmp_path: Path
) -> None:
    for encoding in ("utf-8", "utf-16"):
        path = tmp_path / f"broken-{encoding}.xml"
        _one_line_broken_export(path, 300_000, encoding)
        result = ingest_one(engine, path)
        assert result.status == "failed"
        assert result.error is not None
        assert result.error.endswith(QUOTED), result.error
        assert len(result.error) < 200
    assert batches(engine) == []


@pytest.mark.parametrize(
    ("declared", "codec", "bom"),
    [
        ("utf-8", "utf-8", codecs.BOM_UTF8),
        ("utf-16", "utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-32", "utf-32-be", codecs.BOM_UTF32_BE),
        ("iso-8859-1", "iso-8859-1", b""),
        (None, "cp1252", b""),  # undeclared and not UTF-8: read as cp1252
    ],
)
def test_error_quote_matches_the_parser_s_column_whatever_the_encoding(
    tmp_path: Path, declared: str | None, codec: str, bom: bytes
) -> None:
    """The parser counts columns in bytes of what it read: the quote must find the same place
    with multi-byte characters, a BOM and transcoding."""
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    text = declaration + "<disqus>\n<post>" + "é" * 30 + "</pst></disqus>\n"
    path = tmp_path / "accents.xml"
    path.write_bytes(bom + text.encode(codec))
    reader = get_format("disqus").open(SourceFile(path))  # type: ignore[misc]
    with pytest.raises(InvalidInput) as caught:
        list(reader)
    assert caught.value.detail.startswith("accents.xml: not well-formed XML at line 2, column ")
    assert caught.value.detail.endswith(f": mismatched tag near '{'é' * 18}</pst></disqus>'")


# ---------------------------------------------------------------- THREADS_MAX_IMPORT_COMMENT_CHARS


def _disqus(path: Path, bodies: dict[str, str]) -> None:
    posts = "".join(
        f'<post dsq:id="{post_id}"><message><![CDATA[{body}]]></message>'
        "<createdAt>2020-01-01T10:00:00Z</createdAt><isDeleted>false</isDeleted>"
        "<isSpam>false</isSpam><author><name>Ann</name></author>"
        '<thread dsq:id="t1"/></post>'
        for post_id, body in bodies.items()
    )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><disqus xmlns="http://disqus.com" '
        'xmlns:dsq="http://disqus.com/disqus-internals"><thread dsq:id="t1"><id>p1</id>'
        "<forum>f</forum><link>https://example.org/1/</link><title>Gold</title>"
        f"<isClosed>false</isClosed></thread>{posts}</disqus>",
        encoding="utf-8",
    )


def test_longer_comment_body_is_cut_with_a_warning_and_the_rest_not_kept(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "long.xml"
    _disqus(path, {"p1": "short", "p2": "ab" * 1_500})
    report = ingest_paths(engine, [path], max_comment_chars=1_000)

    result = report.files[0]
    assert result.status == "ok", result.error
    assert result.warnings == [
        "long.xml: comment 'p2' in thread 't1' has 3,000 characters; kept the first 1,000 "
        "(THREADS_MAX_IMPORT_COMMENT_CHARS), the rest is not stored"
    ]
    db = snapshot(engine)
    cut = db.comment("p2")
    assert cut["body"] == "ab" * 500
    assert cut["extra"]["body_truncated_from_chars"] == 3_000
    assert "ab" * 501 not in json.dumps([c["extra"] for c in db.comments])  # nowhere else
    assert db.comment("p1")["body"] == "short"
    # the same file again: unchanged, and the same file read afresh cuts it the same way
    assert ingest_paths(engine, [path], max_comment_chars=1_000).files[0].status == "unchanged"


def test_the_limit_is_a_setting_the_command_uses(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    assert Settings().max_import_comment_chars == DEFAULT_MAX_IMPORT_COMMENT_CHARS == 1_000_000
    with pytest.raises(InvalidInput, match="THREADS_MAX_IMPORT_COMMENT_CHARS='0'"):
        Settings.from_env({"THREADS_MAX_IMPORT_COMMENT_CHARS": "0"})
    path = tmp_path / "long.xml"
    _disqus(path, {"p1": "z" * 800})
    env = {
        "THREADS_DATABASE_URL": db_url,
        "THREADS_MAX_IMPORT_COMMENT_CHARS": "500",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, ["ingest", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "warning: long.xml: comment 'p1' in thread 't1' has 800 characters" in result.stdout
    assert snapshot(engine).comment("p1")["body"] == "z" * 500
