"""Imported author URLs that would run script or open a document of their own are dropped,
however their scheme is spelled (both backends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.ingest_support import ingest_one, snapshot
from threads.ingest.rows import unsafe_url_scheme


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "\x01\x02javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\u200bjavascript:alert(1)",
        "VBScript:MsgBox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        " DATA:text/html,<script>alert(1)</script>",
    ],
)
def test_script_url_schemes_are_recognised_however_written(url: str) -> None:
    assert unsafe_url_scheme(url) in ("javascript", "vbscript", "data")


@pytest.mark.parametrize(
    "url", ["https://example.org/a", "http://x.test/javascript:y", "example.org", "mailto:a@b.c"]
)
def test_ordinary_urls_are_kept(url: str) -> None:
    assert unsafe_url_scheme(url) is None


WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Blog</title>
<item><title>Gold</title><link>https://blog.example/gold/</link>
<guid isPermaLink="false">https://blog.example/?p=1</guid>
<wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type>
<wp:comment_status>open</wp:comment_status>
{comments}
</item></channel></rss>
"""


def test_imported_author_urls_that_would_run_script_are_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    urls = {
        "1": "JaVaScRiPt:alert(1)",
        "2": "java&#9;script:alert(2)",
        "3": "vbscript:MsgBox(3)",
        "4": "data:text/html;base64,PHNjcmlwdD4=",
        "5": "&#x200b;javascript:alert(5)",
        "6": "https://ann.example/",
    }
    comments = "".join(
        f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author>Author {cid}</wp:comment_author>"
        f"<wp:comment_author_url>{url}</wp:comment_author_url>"
        "<wp:comment_date_gmt>2020-01-01 10:00:00</wp:comment_date_gmt>"
        f"<wp:comment_content>Comment {cid}</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved></wp:comment>"
        for cid, url in urls.items()
    )
    path = tmp_path / "blog.xml"
    path.write_text(WXR.format(comments=comments), encoding="utf-8")
    assert ingest_one(engine, path).status == "ok"
    db = snapshot(engine)
    kept = {c["external_id"]: c["author_url"] for c in db.comments}
    assert kept == {"1": None, "2": None, "3": None, "4": None, "5": None, "6": urls["6"]}
    refused = {c["external_id"]: c["extra"].get("author_url_refused") for c in db.comments}
    assert refused == {
        "1": "javascript:",
        "2": "javascript:",
        "3": "vbscript:",
        "4": "data:",
        "5": "javascript:",
        "6": None,
    }
