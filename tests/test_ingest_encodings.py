"""Exports in UTF-16 and UTF-32 import as what they are, and a file in which nothing is
recognised is an error naming it, never a 0-comment import (both backends)."""

from __future__ import annotations

import codecs
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.conftest import FIXTURES
from tests.ingest_support import batches, counts, ingest_one, snapshot
from threads.ingest.registry import detect_format
from threads.ingest.sniff import bom_encoding, decode

#: name -> (the Python codec, the BOM written first, the charset the declaration names)
ENCODINGS = {
    "utf-16-le-bom": ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"),
    "utf-16-be-bom": ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
    "utf-32-le-bom": ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32"),
    "utf-32-be-bom": ("utf-32-be", codecs.BOM_UTF32_BE, "UTF-32"),
    "utf-16-le-no-bom": ("utf-16-le", b"", "UTF-16"),
    "utf-16-be-no-bom": ("utf-16-be", b"", "UTF-16"),
    # what the probe found: UTF-16 with a BOM whose declaration still says UTF-8
    "utf-16-le-bom-declared-utf-8": ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-8"),
}
EXPORTS = {"wxr": "wxr/isso-wordpress.xml", "disqus": "disqus/isso-disqus.xml"}
_DECLARED = re.compile(r'encoding="[^"]*"')


def _recoded(source: Path, target: Path, encoding: str) -> None:
    codec, bom, declared = ENCODINGS[encoding]
    text = _DECLARED.sub(f'encoding="{declared}"', source.read_text(encoding="utf-8"), count=1)
    target.write_bytes(bom + text.encode(codec))


def _comments(engine: Engine) -> list[tuple[str | None, str | None, str]]:
    return sorted(
        (c["external_id"], c["author_name"], c["body"]) for c in snapshot(engine).comments
    )


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_wide_encoded_export_imports_like_its_utf8_original(
    new_db: Callable[[], Engine], corpora: Path, tmp_path: Path, fmt: str, encoding: str
) -> None:
    original = corpora / EXPORTS[fmt]
    wide = tmp_path / f"{fmt}-{encoding}.xml"
    _recoded(original, wide, encoding)
    plain, recoded = new_db(), new_db()
    assert ingest_one(plain, original).status == "ok"

    result = ingest_one(recoded, wide)

    assert (result.status, result.format, result.error) == ("ok", fmt, None)
    assert result.encoding == ENCODINGS[encoding][0]
    assert result.counts["comments"] > 0
    assert _comments(recoded) == _comments(plain)
    assert {a["title"] for a in snapshot(recoded).articles} == {
        a["title"] for a in snapshot(plain).articles
    }


def test_utf16_text_page_imports_with_its_comments(engine: Engine, tmp_path: Path) -> None:
    seed = FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt"
    page = tmp_path / "page.txt"
    page.write_bytes(codecs.BOM_UTF16_LE + seed.read_text(encoding="utf-8").encode("utf-16-le"))
    result = ingest_one(engine, page)
    assert (result.status, result.format, result.encoding) == ("ok", "text", "utf-16-le")
    assert result.counts["comments"] == 4  # as from the UTF-8 original


def test_wide_encodings_are_told_by_bom_or_by_their_look() -> None:
    head = '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/">'
    for codec, bom, _declared in ENCODINGS.values():
        data = bom + head.encode(codec)
        assert bom_encoding(data) == codec
        assert detect_format(data, "export.xml") == "wxr"
        assert decode(data, xml=True) == (head, codec)
    assert bom_encoding("Plain text, written in UTF-16".encode("utf-16-be")) == "utf-16-be"
    assert bom_encoding(b"Plain text, not wide") is None
    assert bom_encoding("Ünïcödé ſ ∂ Ω".encode()) is None


def _random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_random_bytes(20_000, 1), id="random"),
        pytest.param(codecs.BOM_UTF16_LE + _random_bytes(20_000, 2), id="random-after-utf16-bom"),
        pytest.param(codecs.BOM_UTF16_BE + _random_bytes(20_000, 3), id="utf16-be-bom"),
        pytest.param(codecs.BOM_UTF8 + _random_bytes(20_000, 4), id="random-after-utf8-bom"),
        pytest.param(codecs.BOM_UTF32_LE + _random_bytes(20_000, 5), id="utf32-bom"),
        pytest.param(bytes(range(256)) * 40, id="every-byte"),
    ],
)
def test_binary_file_is_an_error_naming_it_and_records_nothing(
    engine: Engine, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "blob.dat"
    path.write_bytes(content)
    result = ingest_one(engine, path)
    assert result.status == "failed"
    assert result.error is not None and "blob.dat" in result.error
    assert batches(engine) == []
    assert counts(engine)["article"] == 0


def test_export_in_which_nothing_is_recognised_is_an_error_not_an_empty_import(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text(
        '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/">'
        "<channel><title>Blog</title></channel></rss>",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["ingest", str(empty)], env={"THREADS_DATABASE_URL": db_url, "NO_COLOR": "1"}
    )
    assert result.exit_code == 1
    assert "empty.xml: read as a WordPress export (WXR) but no thread or comment" in result.stderr
    assert batches(engine) == []
    # a page without comments is still a page: imported, with its article and no comments
    page = tmp_path / "page.txt"
    page.write_text("A title\n\nThe article, and nobody has commented yet.\n", encoding="utf-8")
    imported = ingest_one(engine, page)
    assert (imported.status, imported.counts["articles"], imported.counts["comments"]) == (
        "ok",
        1,
        0,
    )
