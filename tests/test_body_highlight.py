"""Evidence marks in a comment body: only our <mark> tags are added, nothing else changes."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from threads.body_text import highlighted_html, plain_text, safe_html

MARK = re.compile(r'<mark data-topic="[^"<>]*">|</mark>')

texts = st.text(alphabet=st.sampled_from(list("ab <>&\"'=/\n\r\t.\xa0gold")), max_size=80)
spans = st.lists(
    st.tuples(st.integers(-2, 90), st.integers(-2, 90), st.text(max_size=8)), max_size=6
)


@given(texts, spans)
def test_marks_are_the_only_change_to_a_text_body(
    body: str, marked: list[tuple[int, int, str]]
) -> None:
    assert MARK.sub("", highlighted_html(body, "text", marked)) == safe_html(body, "text")


@given(texts, spans)
def test_marks_are_the_only_change_to_an_html_body(
    body: str, marked: list[tuple[int, int, str]]
) -> None:
    assert MARK.sub("", highlighted_html(body, "html", marked)) == safe_html(body, "html")


def test_a_text_body_is_marked_at_the_evidence_offsets() -> None:
    body = "Gold, gold & <b>\r\n\r\nCentral banks"
    out = highlighted_html(body, "text", [(6, 10, "gold_reserves"), (20, 33, 'x"<')])
    assert out == (
        '<p>Gold, <mark data-topic="gold_reserves">gold</mark> &amp; &lt;b&gt;</p>'
        '<p><mark data-topic="x&quot;&lt;">Central banks</mark></p>'
    )


def test_an_html_body_is_marked_in_text_nodes_only() -> None:
    body = (
        '<p title="gold">Gold <a href="https://gold.example/">gold</a>'
        "<script>gold</script> golden</p>"
    )
    text = plain_text(body, "html")
    start = text.index("gold")
    out = highlighted_html(body, "html", [(start, start + 4, "g")])
    assert out == (
        '<p title="gold"><mark data-topic="g">Gold</mark> <a href="https://gold.example/" '
        'rel="nofollow noopener noreferrer"><mark data-topic="g">gold</mark></a> golden</p>'
    )
