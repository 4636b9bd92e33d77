"""Saved page text: the two seed pages, our own realistic pages, layouts and hostile input."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threads.errors import InvalidInput
from threads.ingest.parsed import ParsedThread
from threads.ingest.plaintext import derive_title, parse_text
from threads.ingest.saved_page import comment_count, split_authors
from threads.models import CommentKind, CommentStatus, ThreadState

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CONSORTIUM = FIXTURES / "consortiumnews-us-policy-unites-iran-and-china.txt"
BLOGGER_SEED = FIXTURES / "blogger-china-iran-relationship.txt"
PAGES = FIXTURES / "pages"


def parse_file(path: Path) -> ParsedThread:
    threads = parse_text(path.read_text(encoding="utf-8"), source_name=path.name)
    assert len(threads) == 1
    return threads[0]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- seed pages


def test_consortium_seed_is_one_closed_thread_with_four_comments() -> None:
    thread = parse_file(CONSORTIUM)
    assert thread.state is ThreadState.CLOSED
    assert thread.state_note == "page says 'Comments are closed.'"
    assert [c.author_name for c in thread.comments] == [
        "Ahmad Mondegaran",
        "nmb",
        "Zachary Smith",
        "Mujib Ahmed",
    ]
    assert [c.posted_text for c in thread.comments] == [
        "November 4, 2014 at 03:32",
        "November 3, 2014 at 17:34",
        "November 3, 2014 at 17:12",
        "November 1, 2014 at 22:12",
    ]
    assert [c.posted_at for c in thread.comments] == [
        utc(2014, 11, 4, 3, 32),
        utc(2014, 11, 3, 17, 34),
        utc(2014, 11, 3, 17, 12),
        utc(2014, 11, 1, 22, 12),
    ]
    assert [c.position for c in thread.comments] == [0, 1, 2, 3]
    assert all(c.status is CommentStatus.APPROVED for c in thread.comments)
    assert all(c.kind is CommentKind.COMMENT for c in thread.comments)
    assert all(c.parent_index is None for c in thread.comments)
    assert all(c.extra["timezone_assumed"] == "UTC" for c in thread.comments)
    assert thread.warnings == []


def test_consortium_seed_bodies_are_exactly_the_page_text() -> None:
    lines = CONSORTIUM.read_text(encoding="utf-8").splitlines()
    thread = parse_file(CONSORTIUM)

    def page_block(first: str, last: str) -> str:
        start = next(i for i, line in enumerate(lines) if line.strip().startswith(first))
        end = next(i for i in range(start, len(lines)) if lines[i].strip().endswith(last))
        return "\n".join(line[4:] for line in lines[start : end + 1])

    assert thread.comments[0].body == page_block("To: Flynt", "Ahmad Mondegaran")
    assert thread.comments[1].body.startswith("“Probably the most significant reason")
    assert thread.comments[1].body.endswith("economic frame.”")
    assert thread.comments[2].body == page_block("The linked paper", "a tie tack.")
    assert thread.comments[2].body.count("\n\n") == 6
    assert thread.comments[3].body == page_block("I am and have been", "Mujib Ahmed")


def test_consortium_seed_article_fields() -> None:
    article = parse_file(CONSORTIUM).article
    assert article.title == "How US Policy Unites Iran and China"
    assert article.authors == ["Flynt Leverett", "Hillary Mann Leverett"]
    assert article.byline == "By Flynt Leverett and Hillary Mann Leverett"
    assert article.standfirst is not None
    assert article.standfirst.startswith("The proliferation of U.S. government’s")
    assert article.body.startswith("As the world waits to see if Iran and the P5+1")
    assert article.body.endswith("[ This article was also posted at]")
    assert "comments for" not in article.body
    assert article.key is None
    assert "title_derived" not in article.extra


def test_blogger_seed_is_one_open_thread_without_comments() -> None:
    thread = parse_file(BLOGGER_SEED)
    assert thread.state is ThreadState.OPEN
    assert "Post a Comment" in (thread.state_note or "")
    assert thread.comments == []
    assert thread.warnings == []


def test_blogger_seed_title_is_derived_and_marked() -> None:
    article = parse_file(BLOGGER_SEED).article
    assert article.extra["title_derived"] is True
    assert article.title.startswith("The China-Iran relationship has evolved")
    assert len(article.title) <= 81
    assert article.title.endswith("…")
    assert article.body.startswith("The China-Iran relationship")
    assert article.body.endswith("overly reliant on China economically.")
    assert "No comments" not in article.body


# --------------------------------------------------------------------------- our pages


def test_wordpress_page_with_two_digit_numbering_and_nested_replies() -> None:
    thread = parse_file(PAGES / "wordpress-gold-repatriation.txt")
    comments = thread.comments
    assert len(comments) == 15
    assert thread.warnings == []
    assert thread.state is ThreadState.CLOSED
    numbers = [c.extra["number"] for c in comments if c.parent_index is None]
    assert numbers == list(range(1, 14))
    # 2 -> reply -> reply-of-reply, linked by index
    assert comments[2].author_name == "Jürgen Weiß"
    assert comments[2].parent_index == 1
    assert comments[3].author_name == "O’Brien"
    assert comments[3].parent_index == 2
    assert comments[3].body == "Fair point. Libya and Iran then, both before 2013."
    assert [c.author_name for c in comments[4:8]] == [
        "Zhang Wei 张伟",
        "Nadia",
        "Sven-Erik Nyström",
        "“Goldbug” Pete",
    ]
    assert comments[6].posted_at == utc(2021, 3, 3, 7, 5)


def test_wordpress_page_bodies_keep_lists_dates_quotes_and_notices() -> None:
    comments = parse_file(PAGES / "wordpress-gold-repatriation.txt").comments
    by_author = {c.author_name: c for c in comments}
    assert by_author["Zhang Wei 张伟"].body.endswith(
        "1. sanctions risk,\n"
        "2. we should not forget the domestic audience,\n"
        "3. the yuan needs a hard anchor if it is ever to compete."
    )
    assert by_author["Nadia"].body == (
        "Small correction: the Dutch transfer was announced on\n"
        "November 21, 2014\n"
        "but it had been finished months before."
    )
    assert by_author["Lena"].body.startswith("Comments are closed.\n\n(That is")
    assert by_author["Bob"].body == "12. is my favourite number, and this is my favourite blog."
    assert by_author["Tomasz Nowak"].body.endswith("trucks.\n\nIt was a national event.")


def test_wordpress_page_article_has_three_authors() -> None:
    article = parse_file(PAGES / "wordpress-gold-repatriation.txt").article
    assert article.title == "Why Central Banks Are Bringing Their Gold Home"
    assert article.authors == ["Marta Kowalczyk", "Jonas Lindqvist", "Amélie Durand"]
    assert article.standfirst is not None and "Marta Kowalczyk" in article.standfirst


def test_blogger_page_entries_said_body_timestamp_and_links() -> None:
    thread = parse_file(PAGES / "blogger-russia-sanctions-notes.txt")
    comments = thread.comments
    assert thread.state is ThreadState.OPEN
    assert thread.warnings == []
    assert [c.author_name for c in comments] == [
        "Mark T.",
        "Anna",
        "Anna",
        "Ренат Хабибуллин",
        "Anonymous",
    ]
    assert (
        comments[0].body
        == "Interesting notes. Do you have a source for the 17% figure?\n\nThanks, Mark"
    )
    assert comments[0].posted_text == "March 5, 2021 at 10:14 AM"
    assert comments[1].parent_index == 0
    assert comments[1].posted_at == utc(2021, 3, 5, 10, 40)
    assert comments[3].body.endswith("\n\n2. And the swap lines with the PBoC matter too.")
    assert comments[4].body == "Great post!! Visit my site for cheap watches"
    assert all("Delete" not in c.body and "Reply" not in c.body for c in comments)


def test_page_without_comment_section_is_unknown_state_with_a_note() -> None:
    thread = parse_file(PAGES / "no-comment-section-p5-talks.txt")
    assert thread.comments == []
    assert thread.state is None
    assert thread.state_note is not None and "no comment-state notice" in thread.state_note
    assert thread.article.authors == ["Karin Hofer"]
    assert thread.article.body.endswith("What the framework would mean for Iran's economy")


# --------------------------------------------------------------------------- layouts


def page(*lines: str) -> ParsedThread:
    return parse_text("\n".join(lines), source_name="page.txt")[0]


def test_header_count_that_disagrees_gives_a_warning() -> None:
    text = CONSORTIUM.read_text(encoding="utf-8").replace("4 comments for", "5 comments for")
    thread = parse_text(text, source_name="x.txt")[0]
    assert len(thread.comments) == 4
    assert any("announces 5" in w and "found 4" in w for w in thread.warnings)


@pytest.mark.parametrize(
    ("header", "count"),
    [
        ("4 comments for “Title”", 4),
        ("1 comment for “Title”", 1),
        ("One comment", 1),
        ("One thought on “Title”", 1),
        ('12 Responses to "Title"', 12),
        ("31 thoughts on “Title”", 31),
        ("3 comments:", 3),
        ("No comments:", 0),
        ("1 comment:", 1),
        ("Keine Kommentare:", 0),
        ("2 Kommentare:", 2),
        ("Comments (3)", 3),
        ("2 replies on “Title”", 2),
        ("45 Gedanken zu „Titel“", 45),
        ("3 gedachten over “Titel”", 3),
        ("4 comments for the plan we discussed yesterday", None),
        ("There are 4 comments", None),
    ],
)
def test_comment_count_headers(header: str, count: int | None) -> None:
    assert comment_count(header) == count


def test_says_layout_without_numbers() -> None:
    thread = page(
        "A Title",
        "",
        "Body of the article.",
        "",
        "2 thoughts on “A Title”",
        "",
        "Alice says:",
        "4 November 2014 at 3:32 pm",
        "",
        "First!",
        "",
        "Bob says:",
        "2014-11-05 08:00",
        "",
        "Second.",
        "",
        "Leave a Reply",
        "Your email address will not be published.",
    )
    assert [c.author_name for c in thread.comments] == ["Alice", "Bob"]
    assert [c.body for c in thread.comments] == ["First!", "Second."]
    assert thread.comments[0].posted_at == utc(2014, 11, 4, 15, 32)
    assert thread.state is ThreadState.OPEN
    assert thread.warnings == []


def test_pingbacks_and_reply_links_in_a_copied_wordpress_page() -> None:
    thread = page(
        "T",
        "",
        "Body.",
        "",
        "3 Responses to “T”",
        "",
        "  1. Alice",
        "    November 4, 2014 at 3:32 pm",
        "",
        "    Hello there.",
        "",
        "    Reply",
        "  2. Pingback: Another blog | Site",
        "    November 5, 2014 at 10:00",
        "",
        "    […] as said here […]",
        "  3. Bob",
        "    November 6, 2014 at 10:00",
        "",
        "    Last line is text.",
        "    Log in to Reply",
        "",
        "Leave a Reply",
    )
    alice, pingback, bob = thread.comments
    assert alice.body == "Hello there."
    assert pingback.kind is CommentKind.PINGBACK
    assert pingback.author_name == "Another blog | Site"
    assert pingback.body == "[…] as said here […]"
    assert bob.kind is CommentKind.COMMENT
    assert bob.body == "Last line is text."
    assert thread.extra["announced_count"] == 3
    assert thread.warnings == []


def test_author_and_date_on_one_line() -> None:
    thread = page(
        "T",
        "",
        "Body.",
        "",
        "3 comments",
        "",
        "Ahmad Mondegaran on November 4, 2014 at 03:32 said:",
        "I met him on November 4, 2014.",
        "",
        "Second para.",
        "",
        "nmb | November 3, 2014 at 17:34",
        "Quote.",
        "Reply",
        "",
        "Zach on 3 November 2014 at 17:12:",
        "Hello:",
        "",
        "Sorry, the comment form is closed at this time.",
    )
    assert [(c.author_name, c.posted_text, c.body) for c in thread.comments] == [
        (
            "Ahmad Mondegaran",
            "November 4, 2014 at 03:32",
            "I met him on November 4, 2014.\n\nSecond para.",
        ),
        ("nmb", "November 3, 2014 at 17:34", "Quote."),
        ("Zach", "3 November 2014 at 17:12", "Hello:"),
    ]
    assert thread.comments[2].posted_at == utc(2014, 11, 3, 17, 12)
    assert thread.state is ThreadState.CLOSED
    assert thread.warnings == []


def test_plain_author_line_above_a_timestamp() -> None:
    thread = page(
        "T",
        "",
        "Body.",
        "",
        "2 thoughts on “T”",
        "",
        "Ahmad Mondegaran",
        "November 4, 2014 at 03:32",
        "",
        "I read few of your writings.",
        "Reply",
        "",
        "Zachary Smith",
        "November 3, 2014 at 17:12",
        "",
        "Quoting the date of the paper:",
        "November 1, 2014",
        "Reply",
        "",
        "Leave a Reply",
    )
    assert [c.author_name for c in thread.comments] == ["Ahmad Mondegaran", "Zachary Smith"]
    assert thread.comments[1].body == "Quoting the date of the paper:\nNovember 1, 2014"
    assert thread.warnings == []


def test_removed_blogger_comment_is_kept_as_deleted() -> None:
    thread = page(
        "T",
        "",
        "Body.",
        "",
        "2 comments:",
        "",
        "Anonymous said...",
        "This comment has been removed by the author.",
        "March 5, 2021 at 10:14 AM",
        "",
        "Eva said...",
        "Still here.",
        "March 5, 2021 at 11:00 AM",
        "",
        "Post a Comment",
    )
    removed, kept = thread.comments
    assert removed.status is CommentStatus.DELETED
    assert removed.body == "This comment has been removed by the author."
    assert kept.status is CommentStatus.APPROVED
    assert thread.state is ThreadState.OPEN


def test_a_count_line_in_related_posts_is_not_the_comment_section() -> None:
    thread = page(
        "T",
        "",
        "Body first part.",
        "",
        "Related: Gold in 2014",
        "12 comments",
        "",
        "Body second part.",
        "",
        "1 comment for “T”",
        "",
        "  1. Alice",
        "    November 4, 2014 at 3:32 pm",
        "",
        "    Hi.",
    )
    assert [c.author_name for c in thread.comments] == ["Alice"]
    assert "Body second part." in thread.article.body
    assert thread.warnings == []


def test_german_closed_notice() -> None:
    thread = page(
        "Titel",
        "",
        "Text.",
        "",
        "1 Kommentar",
        "",
        "  1. Jörg",
        "    26. März 2004, 16:19",
        "",
        "    Danke!",
        "",
        "Die Kommentarfunktion ist geschlossen.",
    )
    assert thread.state is ThreadState.CLOSED
    assert "Kommentarfunktion" in (thread.state_note or "")
    assert thread.comments[0].posted_at == utc(2004, 3, 26, 16, 19)
    assert thread.comments[0].body == "Danke!"


def test_unparseable_timestamp_is_kept_as_text_with_a_warning() -> None:
    thread = page(
        "T",
        "",
        "Body.",
        "",
        "1 comment for “T”",
        "",
        "  1. Carol",
        "    a while ago",
        "",
        "    Hello.",
    )
    assert thread.comments[0].author_name == "Carol"
    assert thread.comments[0].posted_text == "a while ago"
    assert thread.comments[0].posted_at is None
    assert any("unparsed timestamp" in w for w in thread.warnings)


def test_crlf_and_tabs_give_the_same_result() -> None:
    text = CONSORTIUM.read_text(encoding="utf-8")
    lf = parse_text(text, source_name="lf")[0]
    crlf = parse_text(text.replace("\n", "\r\n"), source_name="crlf")[0]
    tabs = parse_text(text.replace("\n    ", "\n\t"), source_name="tabs")[0]
    assert [c.body for c in crlf.comments] == [c.body for c in lf.comments]
    assert [c.author_name for c in tabs.comments] == [c.author_name for c in lf.comments]
    assert [c.body for c in tabs.comments] == [c.body for c in lf.comments]


def test_hundreds_of_comments() -> None:
    entries = []
    for n in range(1, 251):
        entries += [
            f"  {n}. Reader {n}",
            "    November 4, 2014 at 03:32",
            "",
            f"    Comment {n}.",
            "",
        ]
    thread = page(
        "T", "", "Body.", "", "250 comments for “T”", "", *entries, "Comments are closed."
    )
    assert len(thread.comments) == 250
    assert thread.comments[-1].body == "Comment 250."
    assert thread.warnings == []


def test_dateline_and_dated_byline() -> None:
    article = page(
        "Title", "", "Standfirst here.", "", "By A and B | November 1, 2014", "", "Body."
    ).article
    assert (article.authors, article.standfirst, article.body) == (
        ["A", "B"],
        "Standfirst here.",
        "Body.",
    )
    assert article.published_at == utc(2014, 11, 1)
    article = page("Title", "", "November 1, 2014", "", "By A, B and C", "", "Body one.").article
    assert article.authors == ["A", "B", "C"]
    assert article.published_text == "November 1, 2014"
    assert article.standfirst is None
    assert article.body == "Body one."


@pytest.mark.parametrize(
    ("header", "authors"),
    [
        (["Posted by Jane Roe on March 3, 2021"], ["Jane Roe"]),
        (["Posted on March 3, 2021 by Ann and Bo"], ["Ann", "Bo"]),
        (["By Jane Roe", "March 3, 2021"], ["Jane Roe"]),
        (["March 3, 2021"], []),
    ],
)
def test_title_byline_and_date_written_as_one_block(header: list[str], authors: list[str]) -> None:
    """Blogger themes print title, "Posted by ..." and date with no blank line between them."""
    lines = ["Why Gold Matters", *header, "", "Central banks keep buying.", "", "Labels: gold"]
    article = page(*lines).article
    assert article.title == "Why Gold Matters"
    assert "title_derived" not in article.extra
    assert article.authors == authors
    assert article.published_at == utc(2021, 3, 3)
    assert article.body == "Central banks keep buying.\n\nLabels: gold"


def test_a_title_followed_by_prose_in_one_block_stays_body() -> None:
    article = page("Short opening line", "and the paragraph goes on here.", "", "More.").article
    assert article.extra.get("title_derived") is True
    assert article.body.startswith("Short opening line\nand the paragraph")


def test_split_authors_and_derived_titles() -> None:
    assert split_authors("A and B") == ["A", "B"]
    assert split_authors("A, B and C") == ["A", "B", "C"]
    assert split_authors("A, B, and C") == ["A", "B", "C"]
    assert split_authors("Anna & Jörg") == ["Anna", "Jörg"]
    assert derive_title("Short one. Then more.") == "Short one."
    long = "word " * 40
    assert len(derive_title(long)) <= 81


@pytest.mark.parametrize("text", ["", "   \n\n  ", "\x00\x01\x02binary\x03\x04" * 20])
def test_empty_or_binary_text_is_invalid_input_naming_the_file(text: str) -> None:
    with pytest.raises(InvalidInput, match="page.txt"):
        parse_text(text, source_name="page.txt")


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_any_text_gives_threads_or_invalid_input(text: str) -> None:
    try:
        threads = parse_text(text, source_name="fuzz.txt")
    except InvalidInput:
        return
    assert len(threads) == 1
    assert isinstance(threads[0], ParsedThread)
    for index, comment in enumerate(threads[0].comments):
        assert comment.position == index
        assert comment.parent_index is None or comment.parent_index < index


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_decoded_bytes_give_threads_or_invalid_input(data: bytes) -> None:
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            threads = parse_text(text, source_name="fuzz.bin")
        except InvalidInput as exc:
            assert "fuzz.bin" in str(exc)
        else:
            assert len(threads) == 1


_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzäöüßéçñ’“”ABCDEFGHJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=12,
)
_NAME = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
# A line that is nothing but a page action ("Permalink", "Reply", "Like") is page chrome by design,
# so a comment paragraph of exactly such a word cannot survive the printed form.
_PAGE_ACTION = re.compile(
    r"(?:delete|reply|replies|report|like|edit|share|permalink|löschen|antworten|antwort|bearbeiten|"
    r"melden|verwijderen|beantwoorden|supprimer|répondre|eliminar|responder|elimina|rispondi)[.!]?",
    re.IGNORECASE,
)
_PARAGRAPH = (
    st.lists(_WORD, min_size=1, max_size=15)
    .map(" ".join)
    .filter(lambda p: not _PAGE_ACTION.fullmatch(p))
)
_COMMENT = st.tuples(
    _NAME,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1)),
    st.lists(_PARAGRAPH, min_size=1, max_size=4),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_COMMENT, min_size=0, max_size=25), st.booleans())
def test_printed_wordpress_pages_parse_back(comments: list, closed: bool) -> None:
    lines = ["A Title", "", "Some article text.", "", f"{len(comments)} comments for “A Title”", ""]
    for number, (name, moment, paragraphs) in enumerate(comments, start=1):
        lines += [f"  {number}. {name}", "    " + moment.strftime("%B %-d, %Y at %H:%M"), ""]
        for paragraph in paragraphs:
            lines += ["    " + paragraph, ""]
    lines.append("Comments are closed." if closed else "Leave a Reply")
    thread = parse_text("\n".join(lines), source_name="printed.txt")[0]
    assert thread.warnings == []
    assert thread.state is (ThreadState.CLOSED if closed else ThreadState.OPEN)
    assert [c.author_name for c in thread.comments] == [name for name, _, _ in comments]
    assert [c.body for c in thread.comments] == ["\n\n".join(p) for _, _, p in comments]
    assert [c.posted_at for c in thread.comments] == [
        m.replace(second=0, microsecond=0, tzinfo=UTC) for _, m, _ in comments
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_COMMENT, min_size=0, max_size=25),
    st.sampled_from(["%B %-d, %Y at %-I:%M %p", "%-d %B %Y at %H:%M", "%d.%m.%Y, %H:%M"]),
)
def test_printed_blogger_pages_parse_back(comments: list, pattern: str) -> None:
    count = "No comments:" if not comments else f"{len(comments)} comments:"
    lines = ["Some article text that has no title line because Blogger hides it.", "", count, ""]
    for name, moment, paragraphs in comments:
        lines.append(f"{name} said...")
        for number, paragraph in enumerate(paragraphs):
            lines += ([""] if number else []) + [paragraph]
        lines += [moment.strftime(pattern), "Delete", ""]
    lines.append("Post a Comment")
    thread = parse_text("\n".join(lines), source_name="printed.txt")[0]
    assert thread.warnings == []
    assert thread.state is ThreadState.OPEN
    assert thread.article.extra["title_derived"] is True
    assert [c.author_name for c in thread.comments] == [name for name, _, _ in comments]
    assert [c.body for c in thread.comments] == ["\n\n".join(p) for _, _, p in comments]
    assert [c.posted_at for c in thread.comments] == [
        m.replace(second=0, microsecond=0, tzinfo=UTC) for _, m, _ in comments
    ]
