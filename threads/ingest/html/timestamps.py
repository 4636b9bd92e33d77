"""When a comment was posted: the visible date, a machine date beside it (``datetime``, a
parsable ``title``), or Blogger's ``showComment=<epoch ms>`` link when only a time is shown."""

from __future__ import annotations

from datetime import datetime

from lxml.html import HtmlElement

from threads.ingest.dates import ParsedTime, epoch_from_show_comment, parse_timestamp_info
from threads.ingest.html.document import CommentItem


def posted(
    item: CommentItem, date_el: HtmlElement | None, default_year: int | None
) -> tuple[datetime | None, dict[str, object]]:
    attribute, parsed_attr, attribute_name = (
        _date_attribute(date_el) if date_el is not None else (None, None, None)
    )
    parsed_text = (
        parse_timestamp_info(item.date_text, default_year=default_year) if item.date_text else None
    )
    chosen: ParsedTime | None
    if parsed_attr is not None and (not parsed_attr.time_missing or parsed_text is None):
        chosen = parsed_attr
    elif parsed_text is not None and not parsed_text.time_missing:
        chosen = parsed_text
    else:
        chosen = parsed_attr or parsed_text
    notes: dict[str, object] = {}
    if chosen is None or chosen.time_missing:
        epoch = _show_comment_time(item, date_el)
        if epoch is not None:
            notes["posted_from"] = "showComment"
            return epoch, notes
    if chosen is None:
        return None, notes
    if attribute and chosen is parsed_attr:
        notes["posted_from"] = f"{attribute_name} attribute"
    notes.update(chosen.notes())
    return chosen.value, notes


def _date_attribute(
    date_el: HtmlElement,
) -> tuple[str | None, ParsedTime | None, str | None]:
    """A machine date beside the visible one: ``datetime``, else a ``title`` that parses
    (wpDiscuz shows "1 year ago" with the date in its title)."""
    nodes = [date_el, *date_el.iterdescendants("time", "abbr", "span", "a")]
    for name in ("datetime", "title", "data-datetime"):
        for node in nodes:
            value = (node.get(name) or "").strip()
            parsed = parse_timestamp_info(value) if value else None
            if parsed is not None:
                return value, parsed, name
    return None, None, None


def _show_comment_time(item: CommentItem, date_el: HtmlElement | None) -> datetime | None:
    scopes = [date_el] if date_el is not None else []
    scopes.append(item.root)
    for scope in scopes:
        for link in scope.iter("a"):
            found = epoch_from_show_comment(link.get("href") or "")
            if found is not None:
                return found
    return None
