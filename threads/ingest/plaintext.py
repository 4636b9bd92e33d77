"""Reader for saved article pages as plain text (copied or "saved as text" from a browser).

The page is read line by line: each line is classified on its own (blank, comment-count header,
state notice, numbered entry, "Author said...", timestamp, action link, text), then a small
state machine walks the classified lines: article, comment header, comment entries and their
bodies. Two comment layouts are recognised, and may be nested by indentation:

* WordPress: ``4 comments for “Title”``, then ``  1. Author`` / indented timestamp line /
  indented body paragraphs (also ``Author says:`` instead of a number);
* Blogger: ``3 comments:``, then ``Author said...`` / body / timestamp line / "Delete" "Reply".

Readers keep what the page said: comment bodies are the comment's own lines with the common
indentation removed, timestamps keep their original text, and anything that had to be guessed
is recorded (``extra`` and ``ParsedThread.warnings``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from threads.enums import CommentKind, CommentStatus, ThreadState
from threads.errors import InvalidInput
from threads.ingest.dates import parse_timestamp_info
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedThread
from threads.ingest.registry import Format, Head, PageReader
from threads.ingest.saved_page import (
    QUOTE_CHARS,
    closed_notice,
    comment_count,
    fit_limits,
    header_match,
    open_notice,
    removed_notice,
    split_authors,
)

__all__ = ["derive_title", "parse_text"]


_NUMBERED_RE = re.compile(r"^(?P<number>\d{1,4})[.)]\s+(?P<rest>\S.*)$")
_SAYS_RE = re.compile(
    r"^(?P<author>\S.{0,120}?)\s+(?:says|sagt|schreibt|zegt|dit|dice|wrote|schrieb)\s*:\s*$",
    re.IGNORECASE,
)
_SAID_RE = re.compile(
    r"^(?P<author>\S.{0,120}?)\s+(?:said|sagte|hat gesagt|schreef|zei|a dit|dijo|ha detto|disse)"
    r"\s*(?:\.\.\.|…|:)\s*$",
    re.IGNORECASE,
)
_ACTION_RE = re.compile(
    r"^(?:delete|reply|replies|report|like|edit|share|löschen|antworten|antwort|bearbeiten|"
    r"melden|verwijderen|beantwoorden|supprimer|répondre|eliminar|responder|elimina|rispondi|"
    r"reply\s*[↓↵]|like\s*or\s*dislike.*|\(?\s*reply\s*\)?|hide replies|show replies|"
    r"log in to reply|report comment|permalink|\d+\s+likes?|liked by \d+ (?:people|person))[.!]?$",
    re.IGNORECASE,
)
_BYLINE_RE = re.compile(
    r"^(?:(?:posted|written|published)\s+on\s+(?P<date>.+?)\s+by\s+(?P<dated_names>\S.*)"
    r"|(?:by|von|door|par|por|di|(?:written|posted|published)\s+by)\s+(?P<names>\S.*))$",
    re.I,
)
_SENTENCE_END_RE = re.compile(r"(?<=[a-z0-9)\]][.!?])(?=[\s\"”’]|[A-Z])")

# "Ahmad on November 4, 2014 at 03:32 said:" / "2. Ahmad | 4 November 2014" (author and date on
# one line). Unnumbered forms need a closing ":" or a "|" so body sentences ending in a date
# ("I met him on November 4, 2014.") are not taken for a new comment.
_AUTHOR_DATE_RE = re.compile(
    r"^(?:(?P<number>\d{1,4})[.)]\s+)?(?P<author>[^\s|].{0,80}?)"
    r"(?:\s+(?:said|says|wrote)?\s*(?:on|am|le|op|el|il)\s+|\s*[|]\s*|\s+[–—]\s+)"
    r"(?P<date>[^|]{6,80}?)(?P<end>\s+(?:said|says|wrote|sagte|schrieb|sagt|schreibt)\s*:|\s*:)?$",
    re.IGNORECASE,
)
_PINGBACK_RE = re.compile(r"^(pingback|trackback)\s*:\s*(.*)$", re.IGNORECASE)

TITLE_MAX = 150
DERIVED_TITLE_MAX = 80


class Kind(enum.Enum):
    BLANK = "blank"
    HEADER = "header"
    CLOSED = "closed"
    OPEN = "open"
    NUMBERED = "numbered"
    AUTHOR_DATE = "author_date"
    SAYS = "says"
    SAID = "said"
    TIMESTAMP = "timestamp"
    ACTION = "action"
    TEXT = "text"


@dataclass
class Line:
    #: the line as on the page, trailing whitespace stripped
    raw: str
    #: the line without surrounding whitespace, non-breaking spaces as spaces (for matching)
    text: str
    #: leading whitespace width, tabs expanded to 4 columns
    indent: int
    kind: Kind

    def without_indent(self, width: int) -> str:
        """The raw line with ``width`` columns of leading whitespace removed."""
        stripped = self.raw.lstrip()
        leading = self.raw[: len(self.raw) - len(stripped)].expandtabs(4)
        return leading[width:] + stripped


@dataclass
class Entry:
    """One comment as found in the text, before it becomes a :class:`ParsedComment`."""

    start: int
    indent: int
    author: str
    style: str
    number: int | None = None
    meta: Line | None = None
    body: list[Line] = field(default_factory=list)
    parent: int | None = None
    #: the timestamp text when it shares the author's line
    meta_text: str | None = None


@dataclass
class Notice:
    kind: Kind
    text: str
    line: int


# --------------------------------------------------------------------------- public


def parse_text(text: str, *, source_name: str) -> list[ParsedThread]:
    """Parse a saved page (plain text) into one :class:`ParsedThread`.

    Raises :class:`InvalidInput` naming ``source_name`` when the text is empty or binary.
    """
    lines = _classify(_split_lines(text, source_name))
    region = _find_comment_region(lines)
    warnings: list[str] = []
    notices = _find_notices(lines, region)
    entries: list[Entry] = []
    if region is not None:
        entries = _parse_entries(lines, region, warnings)
    article_end = region.header if region is not None else _first_notice(notices, len(lines))
    article = _parse_article(lines[:article_end], region.title if region else None)
    comments = [_to_comment(entry, position, warnings) for position, entry in enumerate(entries)]
    if region is not None and region.count is not None and region.count != len(comments):
        warnings.append(
            f"{source_name}: header {region.header_text!r} announces {region.count} comment(s), "
            f"found {len(comments)}"
        )
    if region is not None and region.header_text is None:
        warnings.append(f"{source_name}: comments found without a comment-count header")
    state, note = _thread_state(notices)
    extra: dict[str, object] = {"source_format": "text"}
    if region is not None and region.header_text is not None:
        extra["comment_header"] = region.header_text
        extra["announced_count"] = region.count
    thread = ParsedThread(
        article=article,
        comments=comments,
        state=state,
        state_note=note,
        extra=extra,
        warnings=warnings,
    )
    fit_limits(thread, source_name)
    return [thread]


def derive_title(text: str, limit: int = DERIVED_TITLE_MAX) -> str:
    """A title made from the first sentence of ``text``, cut at a word boundary near ``limit``."""
    flat = " ".join(text.split())
    match = _SENTENCE_END_RE.search(flat)
    sentence = flat[: match.start()] if match else flat
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut[:limit].rstrip(" ,;:-–—") + "…"


# --------------------------------------------------------------------------- lines


#: what text has almost none of and binary read as text has plenty of: control characters,
#: bytes that did not decode (U+FFFD) and private-use characters (random bytes read as UTF-16)
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd\ue000-\uf8ff]")


def _split_lines(text: str, source_name: str) -> list[str]:
    if not isinstance(text, str):
        raise InvalidInput(f"{source_name}: expected decoded text", field="text")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput(f"{source_name}: the page is empty", field="text")
    odd = len(_NOT_TEXT.findall(text))
    if "\x00" in text or odd > max(8, len(text) // 100):
        raise InvalidInput(
            f"{source_name}: does not look like a text page (binary: control characters, "
            "undecodable bytes or private-use characters)",
            field="text",
        )
    return text.split("\n")


def _classify(raw_lines: list[str]) -> list[Line]:
    result: list[Line] = []
    for raw in raw_lines:
        kept = raw.rstrip()
        stripped = kept.lstrip()
        indent = len(kept[: len(kept) - len(stripped)].expandtabs(4))
        text = stripped.replace("\u00a0", " ")
        result.append(Line(raw=kept, text=text, indent=indent, kind=_kind_of(text)))
    return result


def _kind_of(text: str) -> Kind:
    if not text:
        return Kind.BLANK
    for kind, test in _CHECKS:
        if test(text):
            return kind
    return Kind.TEXT


# Order matters: a timestamp line beats an entry number ("26. März 2004, 16:19" is not entry
# 26), and "Ahmad on November 4, 2014 said:" is an author with a date, not Blogger's "said:".
_CHECKS: tuple[tuple[Kind, Callable[[str], object]], ...] = (
    (Kind.HEADER, lambda t: header_match(t)),
    (Kind.CLOSED, closed_notice),
    (Kind.OPEN, open_notice),
    (Kind.TIMESTAMP, lambda t: parse_timestamp_info(t, strict=True)),
    (Kind.AUTHOR_DATE, lambda t: _author_date(t)),
    (Kind.SAID, _SAID_RE.match),
    (Kind.NUMBERED, _NUMBERED_RE.match),
    (Kind.SAYS, _SAYS_RE.match),
    (Kind.ACTION, _ACTION_RE.match),
)


# --------------------------------------------------------------------------- regions


@dataclass
class Region:
    """Where the comment section is: its header line (if any) and the first line after it."""

    header: int
    start: int
    header_text: str | None = None
    count: int | None = None
    title: str | None = None


def _find_comment_region(lines: list[Line]) -> Region | None:
    headers = [index for index, line in enumerate(lines) if line.kind is Kind.HEADER]
    if headers:
        # "12 comments" can also sit in a list of related posts: the section is the first
        # header followed by comments, else the last one (an empty section ends the page).
        ends = [*headers[1:], len(lines)]
        for header, end in zip(headers, ends, strict=True):
            if _has_entries(lines, header + 1, end):
                return _region_from_header(lines, header)
        return _region_from_header(lines, headers[-1])
    for index in range(len(lines)):
        # Without a header only unmistakable entries open a comment section: "X said...",
        # or a numbered / "X says:" line directly above a timestamp line.
        if lines[index].kind is Kind.AUTHOR_DATE:
            continue
        if _entry_start(lines, index, top_indent=None, expected=None) is not None:
            return Region(header=index, start=index)
    return None


def _has_entries(lines: list[Line], start: int, end: int) -> bool:
    return any(
        _entry_start(lines, index, top_indent=None, expected=1, allow_plain=True) is not None
        for index in range(start, end)
    )


def _region_from_header(lines: list[Line], index: int) -> Region:
    text = lines[index].text
    match = header_match(text)
    count: int | None = None
    title: str | None = None
    if match:
        count = comment_count(text)
        groups = match.groupdict()
        if groups.get("title"):
            title = groups["title"].strip().strip(QUOTE_CHARS + " :").strip() or None
    return Region(header=index, start=index + 1, header_text=text, count=count, title=title)


def _find_notices(lines: list[Line], region: Region | None) -> list[Notice]:
    """State notices at the page level (a notice inside an indented comment body is text)."""
    comment_indent = _min_entry_indent(lines, region)
    notices = []
    for index, line in enumerate(lines):
        if line.kind not in (Kind.CLOSED, Kind.OPEN):
            continue
        in_comments = region is not None and index >= region.start
        if in_comments and comment_indent is not None and line.indent > comment_indent:
            continue
        notices.append(Notice(line.kind, line.text, index))
    return notices


def _min_entry_indent(lines: list[Line], region: Region | None) -> int | None:
    if region is None:
        return None
    for index in range(region.start, len(lines)):
        start = _entry_start(lines, index, top_indent=None, expected=None)
        if start is not None:
            return start.indent
    return None


def _first_notice(notices: list[Notice], default: int) -> int:
    return min((n.line for n in notices), default=default)


def _thread_state(notices: list[Notice]) -> tuple[ThreadState | None, str]:
    closed = [n for n in notices if n.kind is Kind.CLOSED]
    if closed:
        return ThreadState.CLOSED, f"page says {closed[0].text!r}"
    opened = [n for n in notices if n.kind is Kind.OPEN]
    if opened:
        return ThreadState.OPEN, f"page shows {opened[0].text!r} (comment form)"
    return None, "no comment-state notice found on the page (kept open)"


# --------------------------------------------------------------------------- entries


def _entry_start(
    lines: list[Line],
    index: int,
    *,
    top_indent: int | None,
    expected: int | None,
    allow_plain: bool = False,
) -> Entry | None:
    """An :class:`Entry` when ``lines[index]`` starts a comment, else None.

    ``allow_plain`` also accepts a bare author line directly above a timestamp line, which is
    only safe inside a comment section (a body sentence can sit above a date line too).
    """
    line = lines[index]
    nxt = lines[index + 1] if index + 1 < len(lines) else None
    if allow_plain and _plain_author_line(lines, index):
        assert nxt is not None
        return Entry(index, line.indent, line.text, "wordpress", meta=nxt)
    if line.kind is Kind.SAID:
        match = _SAID_RE.match(line.text)
        assert match is not None
        return Entry(index, line.indent, match.group("author").strip(), "blogger")
    if line.kind is Kind.AUTHOR_DATE:
        found = _author_date(line.text)
        assert found is not None
        number = int(found.group("number")) if found.group("number") else None
        entry = Entry(index, line.indent, found.group("author").strip(), "wordpress", number)
        entry.meta_text = found.group("date").strip()
        return entry
    if line.kind not in (Kind.NUMBERED, Kind.SAYS) or nxt is None or nxt.kind is Kind.BLANK:
        return None
    followed_by_time = nxt.kind is Kind.TIMESTAMP
    if line.kind is Kind.SAYS:
        match = _SAYS_RE.match(line.text)
        if match is None or not followed_by_time:
            return None
        return Entry(index, line.indent, match.group("author").strip(), "wordpress", meta=nxt)
    match = _NUMBERED_RE.match(line.text)
    assert match is not None
    number = int(match.group("number"))
    in_sequence = (
        expected is not None
        and (top_indent is None or line.indent == top_indent)
        and number == expected
        and nxt.indent > line.indent
    )
    if not (followed_by_time or in_sequence):
        return None
    author = _strip_says(match.group("rest"))
    return Entry(index, line.indent, author, "wordpress", number=number, meta=nxt)


_PLAIN_AUTHOR_MAX = 60


def _plain_author_line(lines: list[Line], index: int) -> bool:
    """A short line starting a paragraph, right above a timestamp line: "Alice" / "date"."""
    line = lines[index]
    if line.kind is not Kind.TEXT or len(line.text) > _PLAIN_AUTHOR_MAX:
        return False
    if line.text.endswith((".", ",", ";", ":", "!", "?")):
        return False
    if index + 1 >= len(lines) or lines[index + 1].kind is not Kind.TIMESTAMP:
        return False
    return index == 0 or lines[index - 1].kind in (Kind.BLANK, Kind.HEADER, Kind.ACTION)


def _author_date(text: str) -> re.Match[str] | None:
    if len(text) > 200:
        return None
    match = _AUTHOR_DATE_RE.match(text)
    if match is None or parse_timestamp_info(match.group("date"), strict=True) is None:
        return None
    if not (match.group("number") or match.group("end") or "|" in text):
        return None
    return match


def _strip_says(author: str) -> str:
    match = _SAYS_RE.match(author)
    return match.group("author").strip() if match else author.strip()


def _parse_entries(lines: list[Line], region: Region, warnings: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    current: Entry | None = None
    top: Entry | None = None  # the latest top-level entry (its number predicts the next one)
    open_entries: list[int] = []  # indexes of entries that may still get replies, by indent
    ignored: list[int] = []
    index = region.start
    while index < len(lines):
        line = lines[index]
        expected = top.number + 1 if top is not None and top.number is not None else 1
        entry = _entry_start(
            lines,
            index,
            top_indent=top.indent if top is not None else None,
            expected=expected,
            allow_plain=True,
        )
        if entry is not None and entries and not _same_layout(entry, entries[0]):
            entry = None  # one layout per page: "2. point" in a Blogger body is body text
        if entry is not None:
            while open_entries and entries[open_entries[-1]].indent >= entry.indent:
                open_entries.pop()
            entry.parent = open_entries[-1] if open_entries else None
            if top is None or entry.indent <= top.indent:
                top = entry
            open_entries.append(len(entries))
            entries.append(entry)
            current = entry
            index += 2 if entry.meta is not None else 1
            continue
        if _ends_section(line, current):
            if line.kind is Kind.OPEN:
                break
            current = None
        elif current is not None:
            current.body.append(line)
        elif line.kind is not Kind.BLANK:
            ignored.append(index + 1)
        index += 1
    if ignored:
        warnings.append(
            f"{len(ignored)} line(s) of the comment section outside any comment ignored "
            f"(first: line {ignored[0]}: {lines[ignored[0] - 1].text[:60]!r})"
        )
    return entries


def _same_layout(entry: Entry, first: Entry) -> bool:
    if entry.style != first.style:
        return False
    # numbered pages number every comment (replies restart at 1); plain pages number none
    return (entry.number is None) == (first.number is None)


def _ends_section(line: Line, current: Entry | None) -> bool:
    if line.kind not in (Kind.CLOSED, Kind.OPEN, Kind.HEADER):
        return False
    # A notice indented like the comment body belongs to the body.
    return current is None or line.indent <= current.indent


# --------------------------------------------------------------------------- comments


def _to_comment(entry: Entry, position: int, warnings: list[str]) -> ParsedComment:
    if entry.style == "blogger":
        body_lines, meta = _split_blogger_body(entry.body)
    else:
        body_lines, meta = _without_trailing_controls(entry.body), entry.meta
    extra: dict[str, object] = {}
    if entry.number is not None:
        extra["number"] = entry.number
    kind, author = _kind_and_author(entry.author)
    posted_text = entry.meta_text or (meta.text if meta is not None else None)
    posted_at = None
    if posted_text:
        parsed = parse_timestamp_info(posted_text)
        if parsed is None:
            warnings.append(f"comment {position + 1}: unparsed timestamp {posted_text!r}")
        else:
            posted_at = parsed.value
            extra.update(parsed.notes())
    else:
        warnings.append(f"comment {position + 1} ({entry.author}): no timestamp line")
    body = _dedent(body_lines)
    status = CommentStatus.APPROVED
    if removed_notice(body):
        status = CommentStatus.DELETED
        extra["removed_notice"] = True
    return ParsedComment(
        body=body,
        status=status,
        author_name=author or None,
        posted_at=posted_at,
        posted_text=posted_text,
        kind=kind,
        position=position,
        parent_index=entry.parent,
        extra=extra,
    )


def _kind_and_author(author: str) -> tuple[CommentKind, str]:
    """ "Pingback: Title | Site" is a pingback from that page, kept apart from comments."""
    match = _PINGBACK_RE.match(author)
    if not match:
        return CommentKind.COMMENT, author
    kind = CommentKind.TRACKBACK if match.group(1).lower() == "trackback" else CommentKind.PINGBACK
    return kind, match.group(2).strip()


def _without_trailing_controls(lines: list[Line]) -> list[Line]:
    """Drop the "Reply" / "Like" links a copied WordPress page leaves after each comment."""
    end = len(lines)
    while end > 0 and lines[end - 1].kind in (Kind.BLANK, Kind.ACTION):
        end -= 1
    return lines[:end]


def _split_blogger_body(lines: list[Line]) -> tuple[list[Line], Line | None]:
    """Blogger puts the timestamp after the body, then "Delete"/"Reply" links."""
    end = len(lines)
    while end > 0 and lines[end - 1].kind in (Kind.BLANK, Kind.ACTION):
        end -= 1
    if end > 0 and lines[end - 1].kind is Kind.TIMESTAMP:
        return lines[: end - 1], lines[end - 1]
    return lines[:end], None


def _dedent(lines: list[Line]) -> str:
    start, end = 0, len(lines)
    while start < end and lines[start].kind is Kind.BLANK:
        start += 1
    while end > start and lines[end - 1].kind is Kind.BLANK:
        end -= 1
    kept = lines[start:end]
    indent = min((ln.indent for ln in kept if ln.kind is not Kind.BLANK), default=0)
    return "\n".join(ln.without_indent(indent) for ln in kept)


# --------------------------------------------------------------------------- article


def _paragraphs(lines: list[Line]) -> list[tuple[int, int]]:
    """(start, end) line ranges of blank-separated paragraphs."""
    result: list[tuple[int, int]] = []
    start: int | None = None
    for index, line in enumerate(lines):
        if line.kind is Kind.BLANK or line.kind in (Kind.CLOSED, Kind.OPEN):
            if start is not None:
                result.append((start, index))
                start = None
        elif start is None:
            start = index
    if start is not None:
        result.append((start, len(lines)))
    return result


def _parse_article(lines: list[Line], header_title: str | None) -> ParsedArticle:
    lines = [ln for ln in lines if ln.kind not in (Kind.CLOSED, Kind.OPEN)]
    paragraphs = _split_header_block(lines, _paragraphs(lines))
    article = ParsedArticle()
    if not paragraphs:
        article.title = header_title or ""
        return article
    first_start, first_end = paragraphs[0]
    first = lines[first_start]
    body_from = first_start
    if first_end - first_start == 1 and _is_title(first.text):
        article.title = first.text
        body_from = first_end
        rest = paragraphs[1:]
    else:
        rest = paragraphs
        if header_title:
            article.title = header_title
            article.extra["title_source"] = "comment header"
        else:
            article.title = derive_title(first.text)
            article.extra["title_derived"] = True
    rest, body_from = _take_dateline(article, lines, rest, body_from)
    byline = _find_byline(lines, rest[:2])
    if byline is not None:
        position, names = byline
        b_start, b_end = rest[position]
        article.byline = lines[b_start].text
        names, published = _split_dated_names(names)
        article.authors = split_authors(names)
        if published is not None and article.published_text is None:
            _set_published(article, published)
        if position > 0:
            article.standfirst = _join(lines, rest[0][0], rest[position - 1][1])
        body_from = b_end
        rest, body_from = _take_dateline(article, lines, rest[position + 1 :], body_from)
    article.body = _join(lines, body_from, len(lines))
    return article


def _split_header_block(
    lines: list[Line], paragraphs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """A title followed, without a blank line, by its byline and/or date is three paragraphs.

    Blogger and many CMS themes print "Title / Posted by A on March 3, 2021" as one block.
    """
    if not paragraphs:
        return paragraphs
    start, end = paragraphs[0]
    if end - start < 2 or not _is_title(lines[start].text):
        return paragraphs
    cut = start + 1
    while (
        cut < end
        and len(lines[cut].text) <= 200
        and (lines[cut].kind is Kind.TIMESTAMP or _BYLINE_RE.match(lines[cut].text))
    ):
        cut += 1
    if cut == start + 1:
        return paragraphs
    split = [(index, index + 1) for index in range(start, cut)]
    if cut < end:
        split.append((cut, end))
    return split + paragraphs[1:]


def _take_dateline(
    article: ParsedArticle, lines: list[Line], rest: list[tuple[int, int]], body_from: int
) -> tuple[list[tuple[int, int]], int]:
    """A paragraph that is only a date, right here, is the publication date (not the body)."""
    if article.published_text is None and rest:
        start, end = rest[0]
        if end - start == 1 and lines[start].kind is Kind.TIMESTAMP:
            _set_published(article, lines[start].text)
            return rest[1:], end
    return rest, body_from


def _split_dated_names(names: str) -> tuple[str, str | None]:
    """ "A and B | November 1, 2014" -> ("A and B", "November 1, 2014")."""
    parts = re.split(r"\s+[|–—-]\s+|\s*\|\s*|,\s+(?=\d|\w+\.?\s+\d)|\s+on\s+", names, maxsplit=1)
    if len(parts) == 2 and parse_timestamp_info(parts[1], strict=True) is not None:
        return parts[0].strip(), parts[1].strip()
    return names, None


def _set_published(article: ParsedArticle, text: str) -> None:
    parsed = parse_timestamp_info(text)
    article.published_text = text
    article.published_at = parsed.value if parsed else None
    if parsed is not None and parsed.timezone_assumed:
        article.extra["published_timezone_assumed"] = "UTC"


def _is_title(text: str) -> bool:
    if len(text) > TITLE_MAX:
        return False
    return text.endswith(("...", "…")) or not text.endswith((".", ",", ";", ":"))


def _find_byline(lines: list[Line], paragraphs: list[tuple[int, int]]) -> tuple[int, str] | None:
    for position, (start, end) in enumerate(paragraphs):
        if end - start != 1 or len(lines[start].text) > 200:
            continue
        match = _BYLINE_RE.match(lines[start].text)
        if match and match.group("dated_names"):
            # "Posted on March 3, 2021 by Jane Roe": the same as "Jane Roe on March 3, 2021".
            return position, f"{match.group('dated_names')} on {match.group('date')}"
        if match:
            return position, match.group("names")
    return None


def _join(lines: list[Line], start: int, end: int) -> str:
    chosen = lines[start:end]
    text = "\n".join(ln.raw for ln in chosen)
    return text.strip("\n")


def _detect(head: Head) -> bool:
    """Anything that is not markup or JSON: a page saved as text."""
    return head.root is None and not head.xml_declaration and not head.json


FORMAT = Format(
    name="text",
    description="a page saved as text (WordPress and Blogger comment layouts)",
    detect=_detect,
    open=lambda source: PageReader(source, parse_text),
)
