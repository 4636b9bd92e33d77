"""Detection by content never mistakes prose for markup: a text page that mentions ``<?xml``,
``<html>`` or ``<rss`` is read as page text, and real markup is still recognised."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.ingest_support import ingest_one, snapshot
from threads.ingest.registry import detect_format
from threads.ingest.sniff import xml_junk_prefix

#: pages saved as text whose prose starts with, or soon mentions, what looks like markup
PROSE = {
    "xml-tip.txt": (
        "<?xml is the first thing a feed says\n\n"
        'Every export we read starts with <?xml version="1.0"?> and then a root element.\n\n'
        "2 comments\n\nAnn says:\nNovember 4, 2014 at 3:32 am\nThanks, that helped.\n\n"
        "Bob says:\nNovember 5, 2014 at 9:10 am\nAnd the encoding comes next.\n"
    ),
    "declaration-in-a-title.txt": (
        'Tip: <?xml version="1.0"?> goes first\n\nA short note about declarations in feeds.\n'
    ),
    "html-prose.txt": (
        "<html> is the root element of a page, and other things we learnt\n\n"
        "Writing a page by hand teaches you where <body> goes.\n"
    ),
    "rss-prose.txt": (
        "<rss feeds are not dead>, says a reader\n\n"
        "Feeds still carry comments; an <rss> file lists items, each with a link.\n"
    ),
    "rss-first.txt": "<rss> readers in 2024\n\nWhich one do you use?\n",
}


@pytest.mark.parametrize("name", sorted(PROSE))
def test_prose_that_mentions_markup_is_detected_as_text(name: str) -> None:
    assert detect_format(PROSE[name].encode("utf-8"), name) == "text"


@pytest.mark.parametrize("name", sorted(PROSE))
def test_prose_that_mentions_markup_imports_as_page_text(
    engine: Engine, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_text(PROSE[name], encoding="utf-8")
    result = ingest_one(engine, path)
    assert result.status == "ok", result.error
    assert result.format == "text"
    db = snapshot(engine)
    assert len(db.threads) == 1
    title = PROSE[name].split("\n", 1)[0]
    assert db.articles[0]["title"] == title  # the markup-like text is kept as it was written
    if name == "xml-tip.txt":
        assert sorted(c["author_name"] for c in db.comments) == ["Ann", "Bob"]


def test_a_declaration_after_words_is_not_junk_to_skip() -> None:
    assert xml_junk_prefix(b'`<?xml version="1.0"?><disqus/>') == 1
    assert xml_junk_prefix(b'\n<?xml version="1.0"?><rss/>') == 1
    assert xml_junk_prefix(b'Tip: <?xml version="1.0"?> goes first') == 0
    assert xml_junk_prefix(b"<?xml is how it starts") == 0


#: every markup file of the corpora and the format it is detected as
MARKUP = {
    "wxr": "wxr",
    "disqus": "disqus",
    "blogger": None,  # Atom exports are blogger, saved Blogspot pages html
    "html": "html",
}


@pytest.mark.parametrize("folder", sorted(MARKUP))
def test_real_markup_in_the_corpora_is_still_detected(corpora: Path, folder: str) -> None:
    files = sorted((corpora / folder).iterdir())
    assert files
    for path in files:
        expected = MARKUP[folder] or ("html" if path.suffix == ".html" else "blogger")
        assert detect_format(path.read_bytes()[:65536], path.name) == expected, path.name


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<p>A comment</p>", "html"),
        ("<div class=comment>\n<p>x</p></div>", "html"),
        ("<html>\n<head><title>x</title></head>", "html"),
        ("<!-- saved -->\n<ol class='commentlist'><li>x", "html"),
        ("\n<?xml version='1.0' encoding='utf-8'?>\n<disqus xmlns='http://disqus.com'>", "disqus"),
    ],
)
def test_markup_fragments_are_still_markup(head: str, expected: str) -> None:
    assert detect_format(head, "page") == expected
