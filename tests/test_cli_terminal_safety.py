"""Text from outside reaches the terminal as text: never as Rich markup, never as control codes.

Hostile names, titles, bodies, URLs, reasons, codebook labels and file names go in through the
library (an imported WXR file and a saved text page, public submissions, readers' reports,
moderation actions, a codebook) and every command that prints them runs through the real CLI,
on SQLite and PostgreSQL. Their output must hold no ESC, C1 or other control character, no
MarkupError, and show the hostile text literally (controls as ``\\x1b``-style escapes).
"""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import typer
from click.testing import Result
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from cli.app import COMMANDS, app
from cli.safe_text import safe_json, safe_text, visible
from threads.config import Settings
from threads.db import session_scope
from threads.db.types import utcnow
from threads.models import Article, Comment, Role, Thread
from threads.moderation.audit import Actor
from threads.moderation.authors import author_of_comment
from threads.moderation.reports import report_comment
from threads.moderation.service import apply_action
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import close_thread

runner = CliRunner()

# the attacks, each short enough to stay on one line of any table
MARKUP_CLOSE = "[/oops]"
MARKUP_LINK = "[link=http://evil.test]x[/link]"
MARKUP_STYLE = "[bold red]"
OSC8 = "\x1b]8;;http://evil.test\x1b\\click\x1b]8;;\x1b\\"
OSC_TITLE = "\x1b]0;pwned\x07"
CSI_CLEAR = "\x1b[2J"
C1_CSI = "\x9b31m"
DEL = "\x7f"

# how they must look on the terminal
SHOWN_CLEAR = "\\x1b[2J"
SHOWN_TITLE = "\\x1b]0;pwned\\x07"
SHOWN_OSC8 = "\\x1b]8;;http://evil.test\\x1b\\click"
SHOWN_C1 = "\\x9b31m"

#: a control character a terminal would obey (line feed and tab are layout)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: commands that print no text from outside, and why (every other command is run below)
PRINT_NO_OUTSIDE_TEXT = {
    "serve": "starts the server; prints its own address and one-line errors",
    "db upgrade": "prints schema revisions",
    "db downgrade": "prints schema revisions",
    "db current": "prints schema revisions",
    "db check": "prints table names, statuses and counts",
    "keys create": "key names are validated (letters, digits, '.', '_', '@', '-')",
    "keys list": "key names are validated; roles and times are ours",
    "keys revoke": "key names are validated",
}


def all_commands() -> set[str]:
    """Every command the app has, groups expanded ("db info")."""
    names: set[str] = set()
    for name, (module, attribute) in COMMANDS.items():
        found = getattr(__import__(module, fromlist=[attribute]), attribute)
        if isinstance(found, typer.Typer):
            names.update(f"{name} {c.name}" for c in found.registered_commands)
        else:
            names.add(name)
    return names


# --------------------------------------------------------------------------- the hostile world


def _wxr(path: Path) -> None:
    """A WordPress export: site, post title, authors, URLs and bodies carry markup, C1 and DEL
    (XML 1.0 cannot hold ESC at all); one comment is pending, so it waits in the queue."""

    def comment(cid: int, author: str, body: str, approved: str) -> str:
        return (
            "<wp:comment>"
            f"<wp:comment_id>{cid}</wp:comment_id>"
            f"<wp:comment_author>{escape(author)}</wp:comment_author>"
            "<wp:comment_author_url>http://evil.test/[/oops]</wp:comment_author_url>"
            f"<wp:comment_date_gmt>2021-03-0{cid} 10:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content>{escape(body)}</wp:comment_content>"
            f"<wp:comment_approved>{approved}</wp:comment_approved>"
            "<wp:comment_parent>0</wp:comment_parent>"
            "</wp:comment>"
        )

    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>'
        f"<title>{escape(f'Site {MARKUP_STYLE} {C1_CSI}')}</title>"
        "<link>http://blog.example/</link><wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>http://blog.example/</wp:base_site_url>"
        "<item>"
        f"<title>{escape(f'W {MARKUP_CLOSE}{C1_CSI}{DEL}')}</title>"
        "<link>http://blog.example/?p=1</link>"
        '<guid isPermaLink="false">http://blog.example/?p=1</guid>'
        "<content:encoded>The post</content:encoded>"
        "<wp:post_id>1</wp:post_id><wp:post_date_gmt>2021-03-01 09:00:00</wp:post_date_gmt>"
        "<wp:comment_status>open</wp:comment_status><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type>"
        + comment(1, MARKUP_LINK, f"gold {MARKUP_STYLE} bars {C1_CSI} here", "1")
        + comment(2, f"{MARKUP_CLOSE} w{C1_CSI}", f"gold {MARKUP_CLOSE} waits {C1_CSI}", "0")
        + "</item></channel></rss>\n",
        encoding="utf-8",
    )


def _page(path: Path) -> None:
    """A saved page as text: ESC sequences in the title, the authors and the bodies (in a page
    long enough that they do not make it look binary)."""
    article = "An article about the gold reserves of central banks and their vaults. " * 30
    path.write_text(
        f"Page {MARKUP_CLOSE}{CSI_CLEAR} title\n\n{article}\n\n"
        "2 Responses to “Page”\n\n"
        f"  1. T {MARKUP_LINK}{OSC_TITLE}\n"
        "    March 2, 2021 at 08:15\n\n"
        f"    gold body {CSI_CLEAR} and {OSC8} and {C1_CSI} end\n\n"
        f"  2. U {MARKUP_CLOSE}{CSI_CLEAR}\n"
        "    March 2, 2021 at 09:02\n\n"
        f"    second gold body {MARKUP_STYLE}{OSC_TITLE}\n",
        encoding="utf-8",
    )


def _codebook(path: Path) -> None:
    path.write_text(
        'name = "book [/oops] \\u001b[2J"\n'
        "[[topic]]\n"
        'id = "gold"\n'
        'label = "Gold [link=http://evil.test]x[/link] \\u009b31m"\n'
        'terms = ["gold"]\n',
        encoding="utf-8",
    )


@dataclass
class World:
    db_url: str
    folder: Path
    codebook: Path
    wxr_thread: int = 0
    page_thread: int = 0
    submitted: int = 0
    flagged: int = 0
    #: the site and author key of the submitted comment
    site: str = ""
    author: str = ""
    outputs: dict[str, list[str]] = field(default_factory=dict)

    def run(self, *args: str, code: int = 0, shown: tuple[str, ...] = ()) -> Result:
        """Run ``threads ARGS`` and check that its output is safe and shows ``shown``."""
        result = runner.invoke(
            app,
            list(args),
            env={
                "THREADS_DATABASE_URL": self.db_url,
                "USER": "mia",
                "COLUMNS": "250",
                "FORCE_COLOR": None,
                "TTY_COMPATIBLE": None,
                "THREADS_TAXONOMY_PATH": str(self.codebook),
                "THREADS_WEBHOOK_SECRET": "s" * 32,
                # one attempt: a refused connection makes a failed delivery, which can be retried
                "THREADS_WEBHOOK_MAX_ATTEMPTS": "1",
                "THREADS_WEBHOOK_TIMEOUT_SECONDS": "5",
            },
        )
        text = result.stdout + result.stderr
        where = f"threads {' '.join(args)}:\n{text}"
        assert result.exit_code == code, (where, result.exception)
        assert "MarkupError" not in text and "Traceback" not in text, where
        assert not CONTROL.search(text), (args, repr(text))
        for literal in shown:
            assert literal in text, (literal, where)
        name = " ".join(args[:2]) if " ".join(args[:2]) in all_commands() else args[0]
        self.outputs.setdefault(name, []).append(text)
        return result


def _build(db_url: str, engine: Engine, folder: Path) -> World:
    folder.mkdir()
    codebook = folder / "codebook.toml"
    _codebook(codebook)
    world = World(db_url, folder, codebook)
    imports = folder / "imports"
    imports.mkdir()
    # (a file name cannot hold "/": markup without it)
    _wxr(imports / f"export {MARKUP_STYLE}{C1_CSI}.xml")
    _page(imports / f"page [link=x]{CSI_CLEAR}.txt")
    # ingest summary: file names (folder lines too) and the site, through the real command
    world.run(
        "ingest",
        str(imports),
        shown=(f"export {MARKUP_STYLE}{SHOWN_C1}.xml", f"page [link=x]{SHOWN_CLEAR}.txt"),
    )
    world.run("ingest", "--dry-run", str(imports), shown=(MARKUP_STYLE, SHOWN_CLEAR))

    settings = Settings(database_url=db_url, premoderation="all")
    villain = Actor.user(f"mod {MARKUP_CLOSE}{CSI_CLEAR}")
    with session_scope(engine) as session:
        threads = {
            a.source_format: t.id
            for t, a in session.exec(
                select(Thread, Article).where(Thread.article_id == Article.id)
            ).all()
        }
        world.wxr_thread, world.page_thread = threads["wxr"] or 0, threads["text"] or 0
        result = submit_comment(
            session,
            world.page_thread,
            Submission(
                author_name=f"{MARKUP_CLOSE} anon{OSC_TITLE}",
                body=f"gold {MARKUP_LINK} {OSC8} {CSI_CLEAR} {C1_CSI}",
                author_url="http://evil.test/[/oops]",
            ),
            settings=settings,
            now=utcnow(),
        )
        world.submitted = result.comment.id or 0
        world.site, world.author = author_of_comment(session, world.submitted)
        first = session.exec(
            select(Comment).where(Comment.thread_id == world.page_thread).order_by(Comment.id)
        ).first()
        assert first is not None and first.id is not None
        world.flagged = first.id
        report_comment(
            session, first.id, "abuse", reporter="10.0.0.1", detail=f"see {MARKUP_STYLE}{OSC8}"
        )
        apply_action(
            session,
            world.submitted,
            "flag",
            actor=villain,
            role=Role.ADMIN,
            reason=f"flag {MARKUP_LINK}{CSI_CLEAR}",
        )
        close_thread(
            session, world.wxr_thread, actor=villain, reason=f"closed {MARKUP_CLOSE}{OSC_TITLE}"
        )
    return world


@pytest.fixture
def world(db_url: str, engine: Engine, tmp_path: Path) -> World:
    return _build(db_url, engine, tmp_path / "w")


# --------------------------------------------------------------------------- every command


def test_every_command_prints_outside_text_as_text(
    world: World, engine: Engine, tmp_path: Path
) -> None:
    w = world
    by = f"by {MARKUP_LINK}{OSC_TITLE}"

    # topics first, so that the reports below show the codebook's labels
    w.run("classify", shown=(f"book {MARKUP_CLOSE} {SHOWN_CLEAR}",))
    w.run("label", str(w.flagged), "--add", "gold", "--by", by, shown=(f"by {MARKUP_LINK}",))
    w.run("train", shown=(f"book {MARKUP_CLOSE}",))
    w.run("train", "--format", "json", shown=("gold",))
    w.run("codebooks", shown=(f"book {MARKUP_CLOSE}",))
    listed = json.loads(w.run("codebooks", "--format", "json").stdout)
    assert any(MARKUP_CLOSE in book["name"] for book in listed)
    w.run("sites")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        json.dumps({"id": f"g{MARKUP_CLOSE}{CSI_CLEAR}", "body": f"gold {OSC8}", "topics": []})
        + "\n",
        encoding="utf-8",
    )
    w.run("evaluate", "--gold", str(gold), shown=(f"g{MARKUP_CLOSE}{SHOWN_CLEAR}", SHOWN_OSC8))
    evaluated = w.run("evaluate", "--gold", str(gold), "--format", "json")
    assert json.loads(evaluated.stdout)["disagreements"][0]["id"] == f"g{MARKUP_CLOSE}{CSI_CLEAR}"
    annotations = tmp_path / "annotations.jsonl"
    annotations.write_text(
        "".join(
            json.dumps({"id": i, "coder": f"{c}{OSC_TITLE}", "body": "gold", "topics": ["gold"]})
            + "\n"
            for i in (1, 2)
            for c in ("a", "b")
        ),
        encoding="utf-8",
    )
    w.run("evaluate", "--agreement", "--annotations", str(annotations))
    w.run("evaluate", "--agreement")
    research = tmp_path / "research.jsonl"
    research.write_text(json.dumps({"id": f"r{C1_CSI}{OSC8}", "body": "gold"}) + "\n")
    lines = w.run("classify", "--input", str(research)).stdout.splitlines()
    assert json.loads(lines[0])["id"] == f"r{C1_CSI}{OSC8}"  # the data itself is exact

    # the queue: names, titles and bodies of imported and submitted comments
    w.run(
        "queue",
        "--status",
        "all",
        shown=(MARKUP_LINK, f"{MARKUP_CLOSE} anon{SHOWN_TITLE}", SHOWN_C1, SHOWN_CLEAR),
    )
    queued = w.run("queue", "--json")
    names = {item["comment"]["author_name"] for item in json.loads(queued.stdout)["items"]}
    assert f"{MARKUP_CLOSE} anon{OSC_TITLE}" in names  # JSON escapes; the data is exact

    # reports: one thread in full, every thread, and the other formats
    w.run(
        "report",
        str(w.page_thread),
        shown=(
            f"Page {MARKUP_CLOSE}{SHOWN_CLEAR} title",
            f"T {MARKUP_LINK}{SHOWN_TITLE}",
            f"gold body {SHOWN_CLEAR} and {SHOWN_OSC8}",
            "Gold [link=http://evil.test]x[/link] \\x9b31m",
            f"mod {MARKUP_CLOSE}{SHOWN_CLEAR}",
            f"flag {MARKUP_LINK}{SHOWN_CLEAR}",
        ),
    )
    w.run(
        "report",
        str(w.wxr_thread),
        shown=(f"closed {MARKUP_CLOSE}{SHOWN_TITLE}", MARKUP_LINK, f"gold {MARKUP_STYLE} bars"),
    )
    w.run("report", "--all", shown=(MARKUP_CLOSE, SHOWN_CLEAR, "Gold [link=http://evil.test]"))
    w.run("report", "--all", "--taxonomy", str(w.codebook), "--width", "60")
    w.run(
        "report",
        str(w.page_thread),
        "--format",
        "markdown",
        shown=(r"\\x1b\[2J", r"\\x9b31m", r"\[/oops\]"),  # as Markdown escapes them
    )
    w.run("report", "--all", "--format", "markdown", shown=(r"\\x1b\[2J",))
    chart = tmp_path / f"chart {MARKUP_STYLE}{CSI_CLEAR}.svg"
    w.run("chart", "threads", "--all", "-o", str(chart), shown=(f"{MARKUP_STYLE}{SHOWN_CLEAR}",))
    assert chart.read_bytes().startswith(b"<?xml")
    html = w.run("report", "--all", "--format", "html", shown=(f"{MARKUP_CLOSE}{SHOWN_CLEAR}",))
    assert "&lt;" not in MARKUP_CLOSE and "<script" not in html.stdout
    reported = w.run("report", str(w.page_thread), "--format", "json")
    parsed = json.loads(reported.stdout)  # JSON escapes the controls; the data is exact
    assert parsed["header"]["title"] == f"Page {MARKUP_CLOSE}{CSI_CLEAR} title"
    assert any(C1_CSI in text for text in _strings(parsed))

    # audit trails and thread states
    w.run(
        "history",
        str(w.submitted),
        shown=(f"mod {MARKUP_CLOSE}{SHOWN_CLEAR}", f"flag {MARKUP_LINK}{SHOWN_CLEAR}"),
    )
    w.run("history", str(w.flagged), shown=(f"see {MARKUP_STYLE}{SHOWN_OSC8}", "by [link="))
    w.run("policy", str(w.wxr_thread), shown=(f"closed {MARKUP_CLOSE}{SHOWN_TITLE}",))
    w.run("reopen", str(w.wxr_thread), "--by", by, shown=(f"by {MARKUP_LINK}{SHOWN_TITLE}",))
    w.run("policy", str(w.wxr_thread), shown=(f"reopened by by {MARKUP_LINK}{SHOWN_TITLE}",))
    w.run(
        "close",
        str(w.wxr_thread),
        "--by",
        by,
        "--reason",
        f"again {OSC8}",
        shown=(f"again {SHOWN_OSC8}",),
    )
    w.run("moderate", str(w.submitted), "approve", "--by", by, shown=(f"{MARKUP_LINK}",))
    w.run("author", "standing", w.site, w.author, shown=(f"{MARKUP_CLOSE} anon{SHOWN_TITLE}",))
    w.run(
        "author",
        "standing",
        w.site,
        w.author,
        "--set",
        "banned",
        "--by",
        by,
        "--reason",
        f"spam {OSC8}",
        shown=(f"spam {SHOWN_OSC8}", f"set by by {MARKUP_LINK}{SHOWN_TITLE}"),
    )
    w.run("authors", "--standing", "banned", shown=(MARKUP_CLOSE, "banned"))
    w.run("authors", "--json", shown=("banned",))
    w.run(
        "author",
        "reject-pending",
        w.site,
        w.author,
        "--reason",
        f"flood {CSI_CLEAR}",
        "--by",
        by,
        shown=(f"anon{SHOWN_TITLE}",),
    )
    w.run("audit", shown=(f"spam {SHOWN_OSC8}", f"closed {MARKUP_CLOSE}"))
    w.run("audit", "--json", shown=("standing",))
    w.run("imports")
    w.run("close-stale", "--dry-run", "--by", by)
    w.run("db", "info")

    # the proposed rules over the past comments, and the policy form by name
    w.run(
        "policy",
        "test",
        "--add-word",
        f"hold:gold {MARKUP_CLOSE}",
        "--add-word",
        "flag:gold",
        shown=(MARKUP_LINK, SHOWN_CLEAR, SHOWN_C1),
    )
    w.run("policy", "test", "--add-word", "gold", "--format", "json", shown=("gold",))
    w.run("policy", "show", str(w.wxr_thread), shown=(f"again {SHOWN_OSC8}",))

    # new terms for a codebook topic, with example comments
    w.run("codebook", "suggest", "gold", "--min-count", "1", shown=(SHOWN_CLEAR,))
    w.run("codebook", "suggest", "gold", "--min-count", "1", "--format", "json")

    # campaigns: near-duplicate hostile comments by two authors, two names on one e-mail
    _plant_campaign(engine, w)
    w.run("campaigns", shown=(f"{MARKUP_CLOSE} twin{SHOWN_TITLE}", SHOWN_OSC8))
    w.run("campaigns", "--format", "json", shown=("alias",))
    w.run("report", "--all", shown=(f"{MARKUP_CLOSE} twin{SHOWN_TITLE}", "alias-"))

    # a thread as readers saw it: a data format, exact when piped (and see the terminal test)
    snapped = runner.invoke(
        app,
        ["snapshot", str(w.page_thread), "--at", "now", "--format", "jsonl"],
        env={"THREADS_DATABASE_URL": w.db_url},
    )
    assert snapped.exit_code == 0, snapped.output
    w.outputs["snapshot"] = [snapped.stdout]
    page = tmp_path / f"snap {MARKUP_STYLE}{CSI_CLEAR}.html"
    w.run(
        "snapshot",
        str(w.page_thread),
        "--at",
        "now",
        "--out",
        str(page),
        shown=(f"snap {MARKUP_STYLE}{SHOWN_CLEAR}.html",),
    )
    assert f"Page {MARKUP_CLOSE}" in page.read_text(encoding="utf-8")

    # webhooks: a URL with markup-like characters and C1 in it; a delivery that carries the
    # closed thread's title and reason to a port that refuses it (nothing leaves the machine)
    with _refusing_port() as port:
        url = f"http://127.0.0.1:{port}/h{MARKUP_CLOSE}{C1_CSI}?q=[bold]&r={MARKUP_LINK}"
        shown_url = f"/h{MARKUP_CLOSE}{SHOWN_C1}?q=[bold]&r={MARKUP_LINK}"
        w.run("hooks", "add", url, "--event", "thread.closed", shown=(shown_url,))
        w.run("hooks", "list", shown=(shown_url,))
        w.run("hooks", "list", "--json", shown=("thread.closed",))
        w.run("reopen", str(w.wxr_thread), "--by", by)
        w.run("close", str(w.wxr_thread), "--by", by, "--reason", f"hooked {OSC_TITLE}")
        w.run("hooks", "deliver", shown=("1 failed",))
    w.run("hooks", "deliveries", shown=("failed",))
    listed_deliveries = json.loads(w.run("hooks", "deliveries", "--json").stdout)
    uid = listed_deliveries["items"][0]["id"]
    w.run(
        "hooks",
        "deliveries",
        "--id",
        uid,
        shown=(r"hooked \u001b]0;pwned\u0007", f"W {MARKUP_CLOSE}{SHOWN_C1}\\x7f"),
    )
    w.run("hooks", "deliveries", "--id", uid, "--json", shown=("thread.closed",))
    w.run("hooks", "retry", uid[:8], shown=(uid,))
    hook_id = str(json.loads(w.run("hooks", "list", "--json").stdout)["items"][0]["id"])
    w.run("hooks", "remove", hook_id, shown=(shown_url,))

    # data formats: exact when piped (test_data_formats_on_a_terminal_show_controls below)
    exported = runner.invoke(
        app, ["export", "--format", "csv"], env={"THREADS_DATABASE_URL": w.db_url}
    )
    assert exported.exit_code == 0 and CSI_CLEAR in exported.stdout
    w.outputs["export"] = [exported.stdout]

    missing = all_commands() - set(w.outputs) - set(PRINT_NO_OUTSIDE_TEXT)
    assert not missing, f"commands not run on outside text: {sorted(missing)}"


def _plant_campaign(engine: Engine, w: World) -> None:
    """Three near-duplicate hostile comments on the open thread: one by an author of their own,
    two under two hostile names sharing one e-mail (a ``dup`` and an ``alias`` campaign)."""
    settings = Settings(database_url=w.db_url, premoderation="all")
    text = f"buy gold {MARKUP_LINK} from the one true vault {OSC8} before the price goes up"
    authors = [
        (f"solo {MARKUP_STYLE}{C1_CSI}", None),
        (f"{MARKUP_CLOSE} twin{OSC_TITLE}", "twin@evil.test"),
        (f"{MARKUP_LINK} twin{CSI_CLEAR}", "twin@evil.test"),
    ]
    with session_scope(engine) as session:
        for i, (name, email) in enumerate(authors):
            submit_comment(
                session,
                w.page_thread,
                Submission(author_name=name, body=f"{text} {i}", author_email=email),
                settings=settings,
                now=utcnow(),
            )


@contextmanager
def _refusing_port() -> Iterator[int]:
    """A local port that refuses connections (bound, never listening) while it is held."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_errors_quoting_names_and_content_show_controls(world: World, tmp_path: Path) -> None:
    bad = tmp_path / f"bad {MARKUP_STYLE}{CSI_CLEAR}.xml"
    bad.write_text(
        f'<?xml version="1.0"?>\n<rss><channel><title>{MARKUP_LINK}{OSC_TITLE}</title>\n',
        encoding="utf-8",
    )
    world.run("ingest", str(bad), code=1, shown=(f"bad {MARKUP_STYLE}{SHOWN_CLEAR}.xml",))
    gold = tmp_path / f"gold {OSC_TITLE}.jsonl"
    gold.write_text("not json\n", encoding="utf-8")
    world.run("evaluate", "--gold", str(gold), code=1, shown=(f"gold {SHOWN_TITLE}.jsonl",))
    codebook = tmp_path / f"book {C1_CSI}.toml"
    codebook.write_text('name = "x"\n[[topic]]\nid = "BAD\\u001b[2J"\n', encoding="utf-8")
    world.run("report", "--all", "--taxonomy", str(codebook), code=1, shown=(SHOWN_C1,))


def test_data_formats_on_a_terminal_show_controls(world: World) -> None:
    """CSV, XML and HTML to a terminal (a real pseudo-terminal) show controls as escapes; piped, the
    same command writes the exact data."""
    for args, raw, shown in (
        (["export", "--format", "csv"], C1_CSI, SHOWN_C1),
        (["export", "--format", "wxr"], C1_CSI, SHOWN_C1),
        (["report", "--all", "--format", "csv"], C1_CSI, SHOWN_C1),
        (["snapshot", str(world.page_thread), "--at", "now"], OSC_TITLE, SHOWN_TITLE),
    ):
        on_terminal = _run_on_terminal(world.db_url, args)
        assert not CONTROL.search(on_terminal.replace("\r", "")), (args, repr(on_terminal))
        piped = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env={**os.environ, "THREADS_DATABASE_URL": world.db_url},
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        assert raw in piped and shown in on_terminal, args


def _run_on_terminal(db_url: str, args: list[str]) -> str:
    main, other = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=other,
            stderr=subprocess.PIPE,
            env={**os.environ, "THREADS_DATABASE_URL": db_url, "COLUMNS": "200"},
        )
    finally:
        os.close(other)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait() == 0, process.stderr.read() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    return b"".join(chunks).decode("utf-8")


# --------------------------------------------------------------------------- the helper


def test_visible_escapes_controls_and_keeps_layout_where_asked() -> None:
    text = f"a{CSI_CLEAR}b{C1_CSI}{DEL}\n\tc\r\u202eend"
    assert visible(text) == "a\\x1b[2Jb\\x9b31m\\x7f\n\tc\\r\\u202eend"
    assert visible(text, one_line=True) == "a\\x1b[2Jb\\x9b31m\\x7f\\n\\tc\\r\\u202eend"
    assert visible(None) == "" and visible("Zoë 李 ✓") == "Zoë 李 ✓"


def test_safe_text_is_never_markup() -> None:
    shown = safe_text(f"{MARKUP_CLOSE} {MARKUP_LINK}", style="bold")
    assert shown.plain == f"{MARKUP_CLOSE} {MARKUP_LINK}" and not shown.spans
    assert str(shown.style) == "bold"


def test_safe_json_is_lossless() -> None:
    value = {"k": f"{OSC8}{C1_CSI}{DEL}\u202e"}
    text = safe_json(json.dumps(value, ensure_ascii=False))
    assert not CONTROL.search(text) and "\u202e" not in text
    assert json.loads(text) == value
