"""Saved HTML pages: every page in the shared corpora, synthetic layouts and hostile input."""

from __future__ import annotations

import html as html_lib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threads.errors import InvalidInput
from threads.ingest.html import parse_html
from threads.ingest.parsed import ParsedComment, ParsedThread
from threads.models import CommentKind, CommentStatus, ThreadState


def decode(raw: bytes) -> str:
    """UTF-8, else the single-byte charset these old pages declare."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse_corpus(corpora: Path, name: str) -> ParsedThread:
    matches = sorted(corpora.glob(f"*/{name}"))
    assert matches, f"{name} missing from {corpora}"
    threads = parse_html(decode(matches[0].read_bytes()), source_name=name)
    assert len(threads) == 1
    return threads[0]


def depth_of(comments: list[ParsedComment], index: int) -> int:
    depth, parent = 1, comments[index].parent_index
    while parent is not None:
        depth, parent = depth + 1, comments[parent].parent_index
    return depth


def depths(thread: ParsedThread, kind: CommentKind = CommentKind.COMMENT) -> dict[int, int]:
    found = Counter(
        depth_of(thread.comments, i) for i, c in enumerate(thread.comments) if c.kind is kind
    )
    return dict(sorted(found.items()))


# --------------------------------------------------------------------------- the corpora

# file -> (comment depths, pingbacks+trackbacks, state), as documented in corpora/SOURCES.md
EXPECTED: dict[str, tuple[dict[int, int], int, ThreadState | None]] = {
    "trafilatura-blog.wordpress.com.diverse.html": ({1: 10, 2: 2, 3: 1}, 0, ThreadState.CLOSED),
    "trafilatura-gormulus.wordpress.com.durfen.html": ({1: 15, 2: 9, 3: 16}, 5, ThreadState.OPEN),
    "trafilatura-helge.at.mahu.html": ({1: 1}, 0, ThreadState.CLOSED),
    "trafilatura-lemire.me.json.html": ({1: 3, 2: 2}, 0, ThreadState.OPEN),
    "trafilatura-archive.org.bewegliche-lettern.de.typography.html": ({}, 0, ThreadState.CLOSED),
    "trafilatura-nnz-online.de-Quantensprung.html": ({1: 1}, 0, ThreadState.OPEN),
    "trafilatura-love-hina.ch.0409.html": ({1: 1}, 0, ThreadState.OPEN),
    "readability-002-mozilla-hacks.html": ({1: 1, 2: 1}, 0, ThreadState.OPEN),
    "readability-firefox-nightly-blog.html": ({1: 2}, 0, ThreadState.OPEN),
    "trafilatura-abookshelffullofsunshine.blogspot.com.interview.html": (
        {1: 1, 2: 1},
        0,
        ThreadState.OPEN,
    ),
    "trafilatura-bumsbutzener-gumpfen.blogspot.com.tach-auch.html": ({}, 0, ThreadState.OPEN),
}


def test_every_html_page_of_the_corpora_has_expectations(corpora: Path) -> None:
    present = {p.name for p in [*corpora.glob("html/*.html"), *corpora.glob("blogger/*.html")]}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_page_counts_depths_pingbacks_and_state(corpora: Path, name: str) -> None:
    comment_depths, pingbacks, state = EXPECTED[name]
    thread = parse_corpus(corpora, name)
    assert depths(thread) == comment_depths
    assert sum(1 for c in thread.comments if c.kind is not CommentKind.COMMENT) == pingbacks
    assert thread.state is state
    assert thread.state_note
    assert [c.position for c in thread.comments] == list(range(len(thread.comments)))
    assert all(c.status is CommentStatus.APPROVED for c in thread.comments)
    assert all(c.author_name for c in thread.comments)
    assert all(c.body for c in thread.comments)
    assert thread.article.title
    assert thread.article.key is None
    # the page's own depth-N classes agree with the reply links we built
    assert not [w for w in thread.warnings if "depth" in w]
    # the heading's count, when there is one, is what was found
    announced = thread.extra.get("announced_count")
    assert announced is None or announced == len(thread.comments)
    assert not [w for w in thread.warnings if "announces" in w]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_ids_and_parent_ids_are_consistent(corpora: Path, name: str) -> None:
    thread = parse_corpus(corpora, name)
    ids = [c.external_id for c in thread.comments if c.external_id]
    assert len(ids) == len(set(ids))
    for comment in thread.comments:
        if comment.parent_index is not None:
            parent = thread.comments[comment.parent_index]
            assert comment.parent_external_id == parent.external_id


def test_wordpress_com_page_closed_notice_before_the_list(corpora: Path) -> None:
    thread = parse_corpus(corpora, "trafilatura-blog.wordpress.com.diverse.html")
    first = thread.comments[0]
    assert first.author_name == "JanBeek"
    assert first.external_id == "411811"
    assert first.author_url == "http://janbeek.wordpress.com"
    assert first.posted_text == "Jun 20th at 2:41 am"
    # no year on the page: the article's year is used and recorded
    assert first.posted_at == datetime(2019, 6, 20, 2, 41, tzinfo=UTC)
    assert first.extra["year_assumed"] == 2019
    assert first.body.startswith("Are there workshops available for an 80 year-old")
    assert "Liked by" not in first.body
    reply = thread.comments[1]
    assert reply.author_name == "Andrea Middleton"
    assert reply.parent_external_id == "411811"
    assert "meetup.com/pro/wordpress" in reply.extra["html"]
    assert thread.article.title.startswith("Want to See a More Diverse WordPress")
    assert thread.article.source_url is not None
    assert thread.article.published_at == datetime(2019, 6, 19, 19, 38, 8, tzinfo=UTC)


def test_gormulus_pingbacks_are_kept_apart(corpora: Path) -> None:
    thread = parse_corpus(corpora, "trafilatura-gormulus.wordpress.com.durfen.html")
    pingbacks = [c for c in thread.comments if c.kind is CommentKind.PINGBACK]
    assert len(pingbacks) == 5
    assert pingbacks[0].external_id == "155"
    assert pingbacks[0].body.startswith("Pingback:")
    assert pingbacks[0].author_url is not None and pingbacks[0].author_url.startswith("https://")
    first = thread.comments[0]
    assert (first.external_id, first.author_name, first.body) == ("154", "photobix", "Danke!")
    assert first.posted_text == "11. Dezember 2012 um 11:07"
    assert first.posted_at == datetime(2012, 12, 11, 10, 7, 17, tzinfo=UTC)
    paragraphs = thread.comments[2].body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].count("\n") == 5  # <br /> kept as line breaks


def test_helge_div_comment_and_closed_notice_after_it(corpora: Path) -> None:
    thread = parse_corpus(corpora, "trafilatura-helge.at.mahu.html")
    [comment] = thread.comments
    assert comment.author_name == "NCWien"
    assert comment.external_id == "479387"
    assert comment.posted_at == datetime(2014, 9, 21, 12, 58, 59, tzinfo=UTC)
    assert comment.body.startswith("Es war ein wunderbarer Beschluss")
    assert thread.state_note == "page says 'Comments are closed.'"


def test_firefox_nightly_sidebar_recent_comments_are_not_the_thread(corpora: Path) -> None:
    thread = parse_corpus(corpora, "readability-firefox-nightly-blog.html")
    assert [c.author_name for c in thread.comments] == ["Alan Goodale", "John Doe"]
    assert thread.comments[0].posted_at == datetime(2020, 12, 24, 3, 53, tzinfo=UTC)
    assert thread.article.title == "These Weeks in Firefox: Issue 85"


def test_mozilla_hacks_reply_by_post_author(corpora: Path) -> None:
    thread = parse_corpus(corpora, "readability-002-mozilla-hacks.html")
    question, answer = thread.comments
    assert question.author_name == "Alexander Petrov"
    assert question.body == "how do you abort a fetch?"
    assert question.posted_at == datetime(2015, 3, 11, 2, 57, tzinfo=UTC)
    assert answer.author_name == "Nikhil Marathe"
    assert answer.author_url == "http://blog.nikhilism.com"
    assert answer.parent_index == 0
    assert answer.parent_external_id == "17303"


def test_blogger_widget_times_come_from_show_comment_links(corpora: Path) -> None:
    name = "trafilatura-abookshelffullofsunshine.blogspot.com.interview.html"
    thread = parse_corpus(corpora, name)
    top, reply = thread.comments
    assert top.author_name == "Ruby"
    assert top.external_id == "4265235981837780782"
    assert top.posted_text == "21:00"
    assert top.posted_at == datetime(2013, 10, 7, 19, 0, 1, 460000, tzinfo=UTC)
    assert top.extra["posted_from"] == "showComment"
    assert top.body.startswith("Hey,\n\nein wirklich tolles Interview.")
    assert top.body.endswith("Lieben Gruß,\nRuby")
    assert reply.author_name == "Unknown"
    assert reply.parent_external_id == top.external_id
    assert reply.posted_at == datetime(2013, 10, 9, 5, 56, 37, 474000, tzinfo=UTC)
    assert thread.article.source_url is not None
    assert "blogspot.com/2013/10/" in thread.article.source_url


def test_non_wordpress_pages_use_the_fallbacks_and_say_so(corpora: Path) -> None:
    nnz = parse_corpus(corpora, "trafilatura-nnz-online.de-Quantensprung.html")
    [comment] = nnz.comments
    assert comment.author_name == "Kritiker2010"
    assert comment.posted_text == "06.11.2023, 13.47 Uhr"
    assert comment.posted_at == datetime(2023, 11, 6, 13, 47, tzinfo=UTC)
    assert comment.extra["title"] == "Quantensprung? Wohl eher ein kleiner Schritt."
    assert "für" in nnz.article.title  # ISO-8859-1 page decoded and entities resolved
    assert any("fallback" in w for w in nnz.warnings)
    hina = parse_corpus(corpora, "trafilatura-love-hina.ch.0409.html")
    [comment] = hina.comments
    assert comment.author_name == "Naru-chan"
    assert comment.posted_at == datetime(2004, 3, 26, 16, 19, tzinfo=UTC)
    assert comment.body == "Danke für dieses Kapitel Genesis^o^"


# --------------------------------------------------------------------------- synthetic pages


def test_blogger_classic_comments_block() -> None:
    page = """<html><head><title>Old blog</title></head><body>
    <div class="post-body">A post about gold.</div>
    <div id="comments"><h4>2 comments:</h4>
    <dl id="comments-block">
      <dt class="comment-author" id="c111111"><a name="c111111"></a>
        <a href="https://www.blogger.com/profile/1">Anna</a> said...</dt>
      <dd class="comment-body"><p>First line<br/>second line</p></dd>
      <dd class="comment-footer"><span class="comment-timestamp">
        <a href="https://x.blogspot.com/p.html?showComment=1381172401460#c111111"
           >7 October 2013 21:00</a>
      </span></dd>
      <dt class="comment-author" id="c222222">Anonymous said...</dt>
      <dd class="comment-body">Second comment</dd>
      <dd class="comment-footer"><a href="#">March 5, 2021 at 10:14 AM</a></dd>
    </dl></div>
    <p class="comment-footer">
      <a href="https://www.blogger.com/comment.g?blogID=1">Post a Comment</a></p>
    </body></html>"""
    thread = parse_html(page, source_name="classic.html")[0]
    assert [c.author_name for c in thread.comments] == ["Anna", "Anonymous"]
    assert thread.comments[0].body == "First line\nsecond line"
    assert thread.comments[0].posted_at == datetime(2013, 10, 7, 21, 0, tzinfo=UTC)
    assert thread.comments[1].posted_at == datetime(2021, 3, 5, 10, 14, tzinfo=UTC)
    assert thread.state is ThreadState.OPEN


def test_trackbacks_and_localised_closed_notice() -> None:
    page = """<html><body><article><h1 class="entry-title">Titel</h1>
    <p class="standfirst">Worum es geht.</p>
    <div class="entry-content"><p>Text.</p></div></article>
    <ol class="commentlist">
      <li class="comment depth-1" id="comment-1"><cite class="fn">Jörg</cite>
        <div class="comment-meta"><a href="#comment-1">26. März 2004, 16:19</a></div>
        <div class="comment-content"><p>Erster Absatz.</p><p>Zweiter Absatz.</p></div></li>
      <li class="trackback depth-1" id="comment-2"><p>Trackback: <a href="https://t.example/">T</a></p></li>
    </ol>
    <p>Kommentare sind geschlossen.</p></body></html>"""
    thread = parse_html(page, source_name="de.html")[0]
    assert thread.article.standfirst == "Worum es geht."
    comment, trackback = thread.comments
    assert comment.body == "Erster Absatz.\n\nZweiter Absatz."
    assert comment.extra["html"] == "<p>Erster Absatz.</p><p>Zweiter Absatz.</p>"
    assert trackback.kind is CommentKind.TRACKBACK
    assert trackback.author_url == "https://t.example/"
    assert thread.state is ThreadState.CLOSED
    assert thread.article.title == "Titel"


def test_ids_inside_the_item_reply_boxes_and_duplicate_ids() -> None:
    page = """<html><body><ul class="comments">
      <li class="comment"><div id="comment-7"><span class="fn">A</span>
        <div class="comment-text">one</div></div>
        <ul class="children"><li class="comment" id="comment_8"><span class="fn">B</span>
          <div class="comment-text">two</div></li></ul></li>
      <li class="comment" id="comment-7"><span class="fn">C</span><p>copy</p></li>
      <div class="comment"><form><textarea name="comment"></textarea></form>Leave a Reply</div>
    </ul></body></html>"""
    thread = parse_html(page, source_name="ids.html")[0]
    assert [c.author_name for c in thread.comments] == ["A", "B", "C"]
    assert [c.external_id for c in thread.comments] == ["7", "8", None]
    assert thread.comments[1].parent_external_id == "7"
    assert any("duplicate comment id 7" in w for w in thread.warnings)
    assert thread.state is ThreadState.OPEN


def test_script_rendered_comment_widget_is_reported() -> None:
    page = '<html><body><p>Article text.</p><div id="disqus_thread"></div></body></html>'
    thread = parse_html(page, source_name="disqus.html")[0]
    assert thread.comments == []
    assert any("Disqus" in w and "export" in w for w in thread.warnings)


# Markups of other themes and engines, reduced to their comment sections (fixtures/pages).
PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


def parse_page(name: str) -> ParsedThread:
    return parse_html((PAGES / name).read_text(encoding="utf-8"), source_name=name)[0]


def test_wordpress_block_theme_comments() -> None:
    thread = parse_page("wordpress-block-theme-comments.html")
    anna, bob = thread.comments
    assert (anna.external_id, anna.author_name, anna.author_url) == (
        "12",
        "Anna",
        "https://anna.example",
    )
    assert anna.body == "First para.\n\nSecond."
    assert anna.posted_at == datetime(2023, 5, 1, 10, 0, tzinfo=UTC)
    assert (bob.author_name, bob.parent_external_id, bob.body) == ("Bob", "12", "Reply.")
    assert thread.state is ThreadState.OPEN


def test_drupal_comments_with_indented_replies() -> None:
    thread = parse_page("drupal-indented-replies.html")
    visitor, admin = thread.comments
    assert (visitor.author_name, visitor.body) == ("Visitor", "Hello Drupal.")
    assert visitor.posted_at == datetime(2020, 9, 13, 12, 26, tzinfo=UTC)
    assert (admin.author_name, admin.parent_external_id) == ("Admin", "5")


def test_wpdiscuz_nested_comments_and_dates_in_title_attributes() -> None:
    thread = parse_page("wpdiscuz-nested-comments.html")
    clara, dan = thread.comments
    assert (clara.external_id, clara.author_name, clara.body) == ("7", "Clara", "Nice.")
    assert clara.posted_text == "1 year ago"
    assert clara.posted_at == datetime(2022, 3, 1, 9, 0, tzinfo=UTC)
    assert clara.extra["posted_from"] == "title attribute"
    assert (dan.external_id, dan.parent_external_id, dan.body) == ("8", "7", "Thanks.")


def test_generic_fallback_keeps_comments_that_hold_replies() -> None:
    page = """<html><body><div class="user-comments">
      <div class="comment-box"><div class="comment-user">Ann</div><div class="comment-date">
        06.11.2023, 13.47 Uhr</div><div class="comment-message">Top level.</div>
        <div class="comment-box"><div class="comment-user">Ben</div>
          <div class="comment-message">A reply.</div></div></div>
      <div class="comment-box"><div class="comment-user">Cy</div>
        <div class="comment-message">Second.</div></div>
    </div></body></html>"""
    thread = parse_html(page, source_name="generic.html")[0]
    assert [(c.author_name, c.body, c.parent_index) for c in thread.comments] == [
        ("Ann", "Top level.", None),
        ("Ben", "A reply.", 0),
        ("Cy", "Second.", None),
    ]
    assert thread.comments[0].posted_at == datetime(2023, 11, 6, 13, 47, tzinfo=UTC)
    assert any("generic items fallback" in w for w in thread.warnings)


def test_removed_blogger_comment_is_kept_as_deleted() -> None:
    page = """<div class="comment-thread"><ol>
      <li class="comment" id="c1234567"><cite class="user">Anonym</cite>
        <p class="comment-content"><span class="deleted-comment">Dieser Kommentar wurde vom
        Autor entfernt.</span></p></li>
      <li class="comment" id="c1234568"><cite class="user">Eva</cite>
        <p class="comment-content">Still here.</p></li></ol></div>"""
    removed, kept = parse_html(page, source_name="removed.html")[0].comments
    assert removed.status is CommentStatus.DELETED
    assert removed.body == "Dieser Kommentar wurde vom Autor entfernt."
    assert removed.extra["removed_notice"] is True
    assert kept.status is CommentStatus.APPROVED


def test_unknown_body_markup_keeps_the_comment_text_without_author_and_replies() -> None:
    page = """<ol class="comments"><li class="comment" id="comment-1">
      <cite>Xavier</cite><p>Some text <b>bold</b>.</p><p>Second.</p>
      <div class="reply"><a href="#">Reply</a></div>
      <ul><li class="comment" id="comment-2"><cite>Yu</cite><p>Reply text</p></li></ul>
    </li></ol>"""
    xavier, yu = parse_html(page, source_name="plain.html")[0].comments
    assert (xavier.author_name, xavier.body) == ("Xavier", "Some text bold.\n\nSecond.")
    assert xavier.extra["body_from"] == "comment text"
    assert (yu.author_name, yu.body, yu.parent_index) == ("Yu", "Reply text", 0)


def test_page_without_comment_section() -> None:
    page = (
        "<html><head><title>Just a page</title></head><body><p>No comments here.</p></body></html>"
    )
    thread = parse_html(page, source_name="plain.html")[0]
    assert thread.comments == []
    assert thread.state is None
    assert thread.state_note is not None and "kept open" in thread.state_note


def test_only_a_recent_comments_widget_gives_no_comments() -> None:
    page = """<html><body><div id="content"><p>Article.</p></div>
    <aside class="widget widget_recent_comments"><ul id="recentcomments">
    <li class="recentcomments"><span class="comment-author-link">X</span>
      on <a href="/p#comment-9">P</a></li>
    <li class="comment" id="comment-9"><cite class="fn">X</cite><p>elsewhere</p></li>
    </ul></aside></body></html>"""
    assert parse_html(page, source_name="widget.html")[0].comments == []


def test_broken_html_still_parses() -> None:
    page = """<ol class="comment-list"><li class="comment" id="comment-5"><b class="fn">A
    <div class="comment-content"><p>unclosed <em>tags <li class="comment" id="comment-6">
    <span class="fn">B</span><div class="comment-content">second"""
    thread = parse_html(page, source_name="broken.html")[0]
    assert [c.external_id for c in thread.comments] == ["5", "6"]


def test_deep_reply_trees_are_read_and_truncation_is_reported() -> None:
    def nested(depth: int) -> str:
        opening = "".join(
            f'<li class="comment" id="comment-{i}"><span class="fn">A{i}</span>'
            f'<div class="comment-content">b{i}</div><ol class="children">'
            for i in range(depth)
        )
        return f'<html><body><ol class="commentlist">{opening}</body></html>'

    thread = parse_html(nested(300), source_name="deep.html")[0]
    assert len(thread.comments) == 300
    assert thread.comments[-1].parent_external_id == "298"
    assert thread.warnings == []
    too_deep = parse_html(nested(1500), source_name="deeper.html")[0]
    assert any("nests deeper" in w for w in too_deep.warnings)


def test_fields_longer_than_the_model_columns_are_clipped_and_kept_in_extra() -> None:
    long_meta = "wrote on March 11th, 2015 at 02:57 " + "and then edited it again " * 10
    page = f"""<ol class="commentlist"><li class="comment" id="comment-1">
      <cite class="fn">{"N" * 600}</cite><div class="comment-meta"><a href="#">{long_meta}</a></div>
      <div class="comment-content">x</div></li></ol>"""
    thread = parse_html(page, source_name="long.html")[0]
    [comment] = thread.comments
    assert comment.author_name is not None and len(comment.author_name) == 512
    assert comment.extra["author_name_full"] == "N" * 600
    assert comment.posted_text is not None and len(comment.posted_text) == 128
    assert comment.posted_at == datetime(2015, 3, 11, 2, 57, tzinfo=UTC)
    assert sum("clipped" in w for w in thread.warnings) == 2


def test_announced_count_that_disagrees_gives_a_warning() -> None:
    page = """<html><body><h3>7 Comments</h3><ol class="commentlist">
    <li class="comment" id="comment-1"><cite class="fn">A</cite>
    <div class="comment-content">Hi</div></li></ol></body></html>"""
    thread = parse_html(page, source_name="count.html")[0]
    assert any("announces 7" in w for w in thread.warnings)


@pytest.mark.parametrize("text", ["", "   ", "just some text without markup"])
def test_not_html_is_invalid_input_naming_the_file(text: str) -> None:
    with pytest.raises(InvalidInput, match="page.html"):
        parse_html(text, source_name="page.html")


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_any_text_gives_threads_or_invalid_input(text: str) -> None:
    try:
        threads = parse_html(text, source_name="fuzz.html")
    except InvalidInput as exc:
        assert "fuzz.html" in str(exc)
        return
    assert len(threads) == 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_decoded_bytes_give_threads_or_invalid_input(data: bytes) -> None:
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            threads = parse_html(text, source_name="fuzz.bin")
        except InvalidInput as exc:
            assert "fuzz.bin" in str(exc)
        else:
            assert len(threads) == 1


_TAGS = ["li", "div", "ol", "ul", "p", "cite", "time", "article", "section", "br", "dl", "dt", "dd"]
_ATTRS = [
    "",
    ' class="comment"',
    ' class="children"',
    ' class="pingback"',
    ' class="fn"',
    ' class="comment-content"',
    ' id="comment-1"',
    ' id="c12345"',
    ' datetime="2014-11-04T03:32:00Z"',
    ' class="commentlist"',
]
_FRAGMENT = st.lists(
    st.one_of(
        st.builds(lambda t, a: f"<{t}{a}>", st.sampled_from(_TAGS), st.sampled_from(_ATTRS)),
        st.builds(lambda t: f"</{t}>", st.sampled_from(_TAGS)),
        st.text(max_size=20),
        st.sampled_from(
            ["Comments are closed.", "Leave a Reply", "3 comments", "Jun 20th at 2:41 am"]
        ),
    ),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FRAGMENT)
def test_comment_like_tag_soup_never_crashes(fragment: str) -> None:
    try:
        threads = parse_html("<html><body>" + fragment, source_name="soup.html")
    except InvalidInput:
        return
    comments = threads[0].comments
    for index, comment in enumerate(comments):
        assert comment.position == index
        assert comment.parent_index is None or comment.parent_index < index


@st.composite
def comment_trees(draw: st.DrawFn) -> list[tuple[int | None, str, str]]:
    """(parent index, author, body) in document order, as a WordPress page would list them."""
    count = draw(st.integers(min_value=0, max_value=20))
    result: list[tuple[int | None, str, str]] = []
    words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß<>&\"'", min_size=1, max_size=10)
    for _ in range(count):
        parent = draw(st.one_of(st.none(), st.integers(0, len(result) - 1))) if result else None
        author = " ".join(draw(st.lists(words, min_size=1, max_size=2)))
        body = " ".join(draw(st.lists(words, min_size=1, max_size=8)))
        result.append((parent, author, body))
    return result


def render_wordpress(tree: list[tuple[int | None, str, str]], early_close: bool) -> str:
    children: dict[int | None, list[int]] = {}
    for index, (parent, _, _) in enumerate(tree):
        children.setdefault(parent, []).append(index)

    def render(index: int) -> str:
        _, author, body = tree[index]
        own = (
            f'<li class="comment" id="li-comment-{index + 1}"><article id="comment-{index + 1}"'
            f' class="comment"><cite class="fn">{html_lib.escape(author)}</cite>'
            f'<time datetime="2014-11-04T03:32:00Z">Nov 4</time>'
            f'<div class="comment-content"><p>{html_lib.escape(body)}</p></div></article>'
        )
        kids = "".join(render(k) for k in children.get(index, []))
        if not kids:
            return own + "</li>"
        if early_close:  # WordPress.com themes close the <li> before the children list
            return own + f'</li><ul class="children">{kids}</ul>'
        return own + f'<ol class="children">{kids}</ol></li>'

    # document order of the tree = depth-first order; renumber so indexes match it
    items = "".join(render(i) for i in children.get(None, []))
    return f'<html><body><ol class="commentlist">{items}</ol><p>Leave a Reply</p></body></html>'


def depth_first(tree: list[tuple[int | None, str, str]]) -> list[tuple[int | None, str, str]]:
    children: dict[int | None, list[int]] = {}
    for index, (parent, _, _) in enumerate(tree):
        children.setdefault(parent, []).append(index)
    order: list[int] = []

    def walk(index: int) -> None:
        order.append(index)
        for kid in children.get(index, []):
            walk(kid)

    for root in children.get(None, []):
        walk(root)
    position = {old: new for new, old in enumerate(order)}
    return [
        (None if tree[old][0] is None else position[tree[old][0]], tree[old][1], tree[old][2])
        for old in order
    ]


@settings(max_examples=150, deadline=None)
@given(comment_trees(), st.booleans())
def test_rendered_wordpress_trees_parse_back(tree: list, early_close: bool) -> None:
    thread = parse_html(render_wordpress(tree, early_close), source_name="tree.html")[0]
    expected = depth_first(tree)
    got = [(c.parent_index, c.author_name, c.body) for c in thread.comments]
    assert got == [(p, " ".join(a.split()), " ".join(b.split())) for p, a, b in expected]
    assert thread.state is ThreadState.OPEN
