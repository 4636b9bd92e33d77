"""Commento's export (``version`` 1): ``comments`` and the ``commenters`` who wrote them.

Each comment names its page by ``domain`` and ``url`` (a path): one thread per page, in the site
of the domain. ``parentHex`` is the parent's ``commentHex`` ("root" at the top). The author is
looked up in ``commenters`` by ``commenterHex`` (name, e-mail, link; the rest of the record goes
to ``extra["commenter"]``); "anonymous" has no record and no name. ``state`` approved, unapproved
and flagged are approved, pending and flagged; ``deleted`` true is deleted. The body is the
Markdown; the ``html`` rendering (usually empty in exports), ``score``, ``direction`` and any
other key go to ``extra`` as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from threads.enums import CommentStatus
from threads.ingest.dates import parse_iso_utc
from threads.ingest.jsonfile import kind, rest, shape_error, text
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.sites import fit_key
from threads.ingest.source import SourceFile
from threads.ingest.stream import Item

USED = frozenset(("commentHex", "domain", "url", "markdown", "parentHex", "creationDate", "state"))
STATES = {
    "approved": CommentStatus.APPROVED,
    "unapproved": CommentStatus.PENDING,
    "flagged": CommentStatus.FLAGGED,
}
NO_STATE = "Commento's export does not say whether the page is locked"


class CommentoReader:
    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.name = source.name
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        source = self.source
        document = source.json()
        if not isinstance(document, dict) or not isinstance(document.get("comments"), list):
            raise shape_error(self.name, "the document", '{"version": 1, "comments": [...]}')
        if document.get("version") != 1:
            self.warnings.append(
                f"{self.name}: Commento export version {document.get('version')!r}, read as 1"
            )
        commenters: dict[str, dict[str, Any]] = {}
        for number, person in enumerate(document.get("commenters") or []):
            if not isinstance(person, dict):
                raise shape_error(self.name, f"commenters[{number}]", "an object")
            commenters[str(person.get("commenterHex"))] = person
        threads: dict[tuple[str, str], ParsedThread] = {}
        for number, record in enumerate(document["comments"]):
            if not isinstance(record, dict):
                raise shape_error(
                    self.name, f"comments[{number}]", f"an object, not {kind(record)}"
                )
            domain = text(record.get("domain")) or ""
            path = text(record.get("url")) or ""
            thread = threads.get((domain, path))
            if thread is None:
                thread = threads[(domain, path)] = _thread(domain, path)
            thread.comments.append(self._comment(record, len(thread.comments), commenters))
        yield from threads.values()

    def _comment(
        self, record: dict[str, Any], position: int, commenters: dict[str, dict[str, Any]]
    ) -> ParsedComment:
        extra = rest(record, USED)
        who = str(record.get("commenterHex"))
        person = commenters.get(who)
        if person is not None:
            extra["commenter"] = {
                k: v for k, v in person.items() if k not in ("name", "email", "link")
            }
        state = text(record.get("state"))
        status = STATES.get(state or "", CommentStatus.PENDING)
        if state is not None:
            extra["state"] = state
            if state not in STATES:
                self.warnings.append(
                    f"{self.name}: comment {record.get('commentHex')}: unknown state "
                    f"{state!r}; kept as pending"
                )
        if record.get("deleted") is True:
            status = CommentStatus.DELETED
        parent = text(record.get("parentHex"))
        written = text(record.get("creationDate"))
        body = record.get("markdown")
        return ParsedComment(
            body=body if isinstance(body, str) else "",
            external_id=text(record.get("commentHex")),
            parent_external_id=None if parent in (None, "root") else parent,
            author_name=text(person.get("name")) if person else None,
            author_email=text(person.get("email")) if person else None,
            author_url=text(person.get("link")) if person else None,
            posted_at=parse_iso_utc(written) if written else None,
            posted_text=written,
            status=status,
            position=position,
            extra=extra,
        )


def _thread(domain: str, path: str) -> ParsedThread:
    host = domain.lower().removeprefix("www.")
    url = f"https://{domain}{path}" if domain else path or None
    site = (
        ParsedSite(fit_key(host), host, f"https://{domain}/")
        if host
        else ParsedSite("commento", "Commento")
    )
    return ParsedThread(
        site=site,
        article=ParsedArticle(
            title=path, source_url=url, key=f"commento:{path}", extra={"domain": domain}
        ),
        state_note=NO_STATE,
        external_id=f"{domain}{path}",
    )


_COMMENT_HEX = re.compile(r'"commentHex"\s*:')


def _detect(head: Head) -> bool:
    return (
        head.json
        and head.stripped.startswith("{")
        and _COMMENT_HEX.search(head.stripped) is not None
    )


FORMAT = Format(
    name="commento",
    description="a Commento export (JSON)",
    detect=_detect,
    open=CommentoReader,
)
