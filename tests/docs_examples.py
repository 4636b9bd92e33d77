"""The examples of the README and docs/: found in the Markdown, run, and their output compared.

A page is read as a sequence of fenced blocks. ```sh blocks run in bash (-e, -o pipefail),
```python blocks in this interpreter; all blocks of a page run in order in one folder (a copy of
``fixtures/``) on one database, so a page reads like a session (a variable an sh block
exports stays set for the later blocks). The block right after one (only blank lines
between) that is fenced ```output is what the block must print (stdout and stderr together),
compared line by line after trailing spaces are dropped: a line that is just ``...``
stands for any number of lines, and ``...`` inside a line for any text (times, ids, paths).

A block that cannot run in the tests is marked on the line before it with
``<!-- skip: why -->``; the database starts with the two seed pages imported (as ``threads
ingest fixtures/*.txt`` leaves it) unless the page says ``<!-- docs-test: fresh database -->``.

A block may start a server in the background (a line ending in ``&``, as a reader would in a
terminal): it keeps running for the page's later blocks and is stopped when the page ends. Such
pages run one at a time, since the servers listen on the ports the page shows (8000, 8786).
What a page needs besides the database is said once in the page:

- ``<!-- docs-test: postgresql -->``: libpq's variables (``PGHOST``, ``PGPORT``, ``PGUSER``,
  ``PGPASSWORD``, ``PGDATABASE``) name an empty PostgreSQL database of the test server;
- ``<!-- docs-test: redis on 127.0.0.1:6379 -->``: a Redis-compatible server listens there;
- ``<!-- docs-test: in a copy of the checkout -->``: the folder is a copy of the repository's
  files (``git ls-files``, times kept) with ``.venv`` linked to the installed environment, so
  ``make demo``, ``make docs`` and ``bench/`` run as they do in a checkout;
- ``<!-- docs-test: in a scratch environment -->``: as in a copy of the checkout, and ``pip``,
  ``python`` and ``threads`` on the ``PATH`` are those of a new virtual environment of the page's
  own, which sees the packages already installed for the tests and no package index (``pip
  install -e .`` installs the copy there, offline);
- ``<!-- docs-test: env NAME=value -->`` (any number): the variable is set for every block of
  the page, for what a test must run smaller than a reader would (the value is the rest of the
  line, spaces included).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE = {"sh": "sh", "bash": "sh", "python": "python"}
FENCE = re.compile(r"^(`{3,})([\w+-]*)[^\n]*$")
SKIP = re.compile(r"^<!--\s*skip:\s*(.*?)\s*-->$")
FRESH = "<!-- docs-test: fresh database -->"
POSTGRESQL = "<!-- docs-test: postgresql -->"
REDIS = "<!-- docs-test: redis on 127.0.0.1:6379 -->"
REDIS_PORT = 6379
CHECKOUT = "<!-- docs-test: in a copy of the checkout -->"
SCRATCH = "<!-- docs-test: in a scratch environment -->"
ENV = re.compile(r"^<!--\s*docs-test:\s*env\s+([A-Za-z_]\w*)=(.*?)\s*-->$", re.MULTILINE)
#: a line of shell that leaves a job running in the background
BACKGROUND = re.compile(r"&\s*(#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    """One runnable block of a page, with the output the page shows for it (if any)."""

    page: str
    line: int
    language: str  # "sh" or "python"
    code: str
    expected: str | None
    skip: str | None  # why it is not run, or None


@dataclass(frozen=True)
class Page:
    path: str
    fresh: bool
    examples: list[Example]
    postgresql: bool = False  # libpq's variables name an empty PostgreSQL database
    redis: bool = False  # a Redis-compatible server on 127.0.0.1:6379
    checkout: bool = False  # the folder is a copy of the checkout, not only of fixtures/
    scratch: bool = False  # ... and a virtual environment of its own comes first on the PATH
    env: tuple[tuple[str, str], ...] = ()  # variables set for every block of the page

    @property
    def serves(self) -> bool:
        """Whether a block leaves a server running (the page then runs alone: fixed ports)."""
        return self.redis or any(
            e.skip is None and e.language == "sh" and BACKGROUND.search(e.code)
            for e in self.examples
        )


def pages() -> list[Path]:
    """The Markdown files whose examples run: the README and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _blocks(text: str) -> list[tuple[int, str, str, str | None]]:
    """(line, language, body, skip reason) of every fenced block, in order."""
    lines = text.split("\n")
    found: list[tuple[int, str, str, str | None]] = []
    index = 0
    previous = ""  # the last non-blank line outside a block
    while index < len(lines):
        match = FENCE.match(lines[index].strip())
        if match is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        fence, language = match.group(1), match.group(2)
        start = index
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index])
            index += 1
        index += 1  # the closing fence
        skip = SKIP.match(previous)
        # a block inside a list item is indented as the item is: the code is the dedented text
        code = textwrap.dedent("\n".join(body)) + "\n"
        found.append((start + 1, language, code, skip.group(1) if skip else None))
        previous = fence
    return found


def _follows(text: str, first_line: int, second_line: int) -> bool:
    """Whether only blank lines stand between the block ending before ``second_line``
    (1-based start of the next block) and that block."""
    lines = text.split("\n")
    index = second_line - 2
    while index >= 0 and not lines[index].strip():
        index -= 1
    return index >= first_line - 1 and lines[index].strip().startswith("```")


def read_page(path: Path) -> Page:
    return parse_page(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))


def parse_page(name: str, text: str) -> Page:
    """The examples and markers of the Markdown ``text`` of the page ``name``."""
    blocks = _blocks(text)
    examples: list[Example] = []
    for number, (line, language, body, skip) in enumerate(blocks):
        if language not in RUNNABLE:
            continue
        expected = None
        if number + 1 < len(blocks):
            next_line, next_language, next_body, _ = blocks[number + 1]
            if next_language == "output" and _follows(text, line, next_line):
                expected = next_body
        examples.append(Example(name, line, RUNNABLE[language], body, expected, skip))
    return Page(
        name,
        FRESH in text,
        examples,
        POSTGRESQL in text,
        REDIS in text,
        CHECKOUT in text or SCRATCH in text,
        SCRATCH in text,
        tuple((m.group(1), m.group(2)) for m in ENV.finditer(text)),
    )


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is what ``expected`` shows, ``...`` standing for what varies."""
    pattern: list[str] = []
    for line in expected.rstrip("\n").split("\n"):
        line = line.rstrip()
        if line == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pieces = [re.escape(piece) for piece in line.split("...")]
            pattern.append(r"[^\n]*?".join(pieces) + r"[ \t]*\n")
    cleaned = "".join(line.rstrip() + "\n" for line in actual.rstrip("\n").split("\n"))
    return re.fullmatch("".join(pattern), cleaned) is not None
