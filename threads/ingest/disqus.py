"""Disqus XML exports, streamed: threads first, then posts in batches naming their thread.

A Disqus export lists every ``<thread>`` and then every ``<post>``; each post names its thread
(and its parent post) by ``dsq:id``. The reader yields each thread as an empty ParsedThread and
then the posts as :class:`~threads.ingest.stream.MoreComments` batches, so memory holds one batch
and the set of thread ids seen, never the export. Posts whose thread has not appeared are held
back until it does; posts whose thread never appears are attached, with a warning, to a
placeholder article ``disqus:<thread id>`` (nothing is dropped). Works with or without the default
namespace; ``isDeleted`` -> deleted, ``isSpam`` -> spam, ``isClosed`` -> a closed thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from threads.enums import CommentKind, CommentStatus, ThreadState
from threads.ingest.dates import parse_iso_utc
from threads.ingest.parsed import ParsedArticle, ParsedComment, ParsedSite, ParsedThread
from threads.ingest.registry import Format, Head
from threads.ingest.stream import (
    XML_ERRORS,
    Item,
    MoreComments,
    TopLevel,
    XmlSource,
    local,
    text_of,
    xml_error,
)

#: posts per yielded batch
BATCH = 2000
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def _dsq_id(element: Element | None) -> str | None:
    """The ``dsq:id`` attribute (any namespace, matched by local name)."""
    if element is None:
        return None
    value = element.get(DSQ_ID)
    if value is not None:
        value = value.strip()
        return value or None
    for key, value in element.attrib.items():
        if key == "id" or key.endswith("}id"):
            value = value.strip()
            return value or None
    return None


class DisqusReader:
    """Iterates threads and post batches of a Disqus export; ``warnings`` fill as it goes."""

    format = "disqus"

    def __init__(self, source: XmlSource, *, batch: int = BATCH) -> None:
        self.source = source
        self.name = source.path.name
        self.batch = batch
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self._threads: set[str] = set()
        self._waiting: dict[str, list[ParsedComment]] = {}
        self._positions: dict[str, int] = {}

    def __iter__(self) -> Iterator[Item]:
        """Each thread (its comments come after it, in MoreComments batches)."""
        pending: MoreComments | None = None
        threads = self._threads
        records = TopLevel(self.source)
        try:
            for batch in records:
                for elem in batch:
                    name = local(elem.tag)
                    if name == "post":
                        ref, comment = self._post(elem)
                        if ref in threads:
                            if pending is not None and (
                                pending.thread_ref != ref or len(pending.comments) >= self.batch
                            ):
                                yield pending
                                pending = None
                            if pending is None:
                                pending = MoreComments(ref)
                            pending.comments.append(comment)
                        else:
                            self._waiting.setdefault(ref, []).append(comment)
                    elif name == "thread":
                        if pending is not None:
                            yield pending
                            pending = None
                        yield from self._thread(elem)
                    elif name != "category":
                        self.skipped[name] = self.skipped.get(name, 0) + 1
        except XML_ERRORS as exc:
            raise xml_error(self.source, exc) from None
        finally:
            self.source.close()
        root = records.root
        if root is not None and local(root.tag) != "disqus":
            self.warnings.append(f"{self.name}: root element is <{local(root.tag)}>, not <disqus>")
        if pending is not None:
            yield pending
        yield from self._placeholders()

    def _placeholders(self) -> Iterator[Item]:
        for ref, comments in self._waiting.items():
            self.warnings.append(
                f"{self.name}: {len(comments)} post(s) name thread {ref!r}, which is not in the "
                f"export; attached to a placeholder article disqus:{ref}"
            )
            thread = ParsedThread(
                article=ParsedArticle(
                    title=f"Disqus thread {ref} (not in the export)",
                    key=f"disqus:{ref}",
                    extra={"placeholder": True},
                ),
                state=None,
                state_note="placeholder for a Disqus thread missing from the export",
                external_id=ref,
                extra={"placeholder": True},
                comments=comments,
            )
            yield thread
        self._waiting = {}

    def _thread(self, elem: Element) -> Iterator[Item]:
        fields = {local(child.tag): child for child in elem}
        dsq_id = _dsq_id(elem)
        warnings: list[str] = []
        link = text_of(fields.get("link")).strip() or None
        identifier = text_of(fields.get("id")).strip()
        title = text_of(fields.get("title")).strip()
        if dsq_id is None:
            dsq_id = (
                "nodsq:" + hashlib.sha256(f"{identifier}\n{link}\n{title}".encode()).hexdigest()
            )
            warnings.append(
                f"{self.name}: a <thread> without dsq:id (link {link!r}); keyed by hash"
            )
        created_text = text_of(fields.get("createdAt")).strip()
        created = parse_iso_utc(created_text)
        if created_text and created is None:
            warnings.append(f"{self.name}: thread {dsq_id}: createdAt {created_text!r} not a date")
        closed = _flag(fields.get("isClosed"), f"thread {dsq_id}", "isClosed", warnings, self.name)
        deleted = _flag(
            fields.get("isDeleted"), f"thread {dsq_id}", "isDeleted", warnings, self.name
        )
        extra: dict[str, object] = {"dsq_id": dsq_id}
        for key in ("forum",):
            value = text_of(fields.get(key)).strip()
            if value:
                extra[key] = value
        if identifier:
            extra["identifier"] = identifier
        category = _dsq_id(fields.get("category"))
        if category:
            extra["category"] = category
        author = _author(fields.get("author"))
        if author:
            extra["author"] = author
        message = text_of(fields.get("message")).strip()
        if deleted:
            extra["deleted"] = True
        if dsq_id in self._threads:
            warnings.append(f"{self.name}: thread {dsq_id} appears twice; merged")
        self._threads.add(dsq_id)
        state = ThreadState.CLOSED if closed else ThreadState.OPEN if closed is False else None
        note = (
            "Disqus isClosed=true"
            if closed
            else "Disqus isClosed=false"
            if closed is False
            else "Disqus export does not say whether the thread is closed"
        )
        forum = extra.get("forum")
        thread = ParsedThread(
            site=ParsedSite(f"disqus:{str(forum).lower()}", str(forum)) if forum else None,
            article=ParsedArticle(
                title=title,
                source_url=link,
                published_at=created,
                published_text=created_text or None,
                body=message,
                key=f"disqus:{dsq_id}",
                extra=extra,
            ),
            state=state,
            state_note=note,
            external_id=dsq_id,
            extra={"deleted": True} if deleted else {},
            warnings=warnings,
        )
        yield thread
        waiting = self._waiting.pop(dsq_id, None)
        if waiting:
            for start in range(0, len(waiting), self.batch):
                yield MoreComments(dsq_id, waiting[start : start + self.batch])

    def _post(self, elem: Element) -> tuple[str, ParsedComment]:
        # Once per post: the hot path of a Disqus import, hence the inlined fast paths (a leaf's
        # text, a clean dsq:id, a plain true/false); anything unusual takes the general helpers.
        fields: dict[str, Element] = {local(child.tag): child for child in elem}
        get = fields.get
        dsq_id = elem.get(DSQ_ID)
        dsq_id = (dsq_id.strip() or None) if dsq_id is not None else _dsq_id(elem)
        warnings = self.warnings
        child = get("thread")
        ref = child.get(DSQ_ID) if child is not None else None
        ref = (ref.strip() or None) if ref is not None else _dsq_id(child)
        if ref is None:
            ref = "(none)"
            warnings.append(f"{self.name}: {_where(dsq_id)} names no thread")
        child = get("createdAt")
        created_text = "" if child is None else _leaf_text(child).strip()
        created = parse_iso_utc(created_text) if created_text else None
        if created_text and created is None:
            warnings.append(
                f"{self.name}: {_where(dsq_id)}: createdAt {created_text!r} is not a date; "
                "kept as text"
            )
        child = get("isDeleted")
        deleted = _FLAGS.get(child.text) if child is not None and len(child) == 0 else None
        if deleted is None and child is not None:
            deleted = _flag(child, _where(dsq_id), "isDeleted", warnings, self.name)
        child = get("isSpam")
        spam = _FLAGS.get(child.text) if child is not None and len(child) == 0 else None
        if spam is None and child is not None:
            spam = _flag(child, _where(dsq_id), "isSpam", warnings, self.name)
        status = (
            CommentStatus.DELETED
            if deleted
            else CommentStatus.SPAM
            if spam
            else CommentStatus.APPROVED
        )
        name = email = username = anonymous = None
        child = get("author")
        if child is not None:
            # _author, inlined: once per post
            for field in child:
                value = field.text if len(field) == 0 else text_of(field)
                if value and (value := value.strip()):
                    key = local(field.tag)
                    if key == "name":
                        name = value
                    elif key == "email":
                        email = value
                    elif key == "username":
                        username = value
                    elif key == "isAnonymous":
                        anonymous = value == "true"
        extra: dict[str, object] = {}
        if username:
            extra["username"] = username
        if anonymous is not None:
            extra["is_anonymous"] = anonymous
        child = get("ipAddress")
        if child is not None and (ip := _leaf_text(child).strip()):
            extra["author_ip"] = ip
        child = get("id")
        if child is not None and (identifier := _leaf_text(child).strip()):
            extra["identifier"] = identifier
        if spam and deleted:
            extra["spam"] = True
        positions = self._positions
        position = positions.get(ref, 0)
        positions[ref] = position + 1
        child = get("parent")
        parent = child.get(DSQ_ID) if child is not None else None
        parent = (parent.strip() or None) if parent is not None else _dsq_id(child)
        message = get("message")
        comment = ParsedComment(
            body="" if message is None else _leaf_text(message).strip(),
            external_id=dsq_id,
            parent_external_id=parent,
            author_name=name,
            author_email=email,
            posted_at=created,
            posted_text=created_text or None,
            status=status,
            kind=CommentKind.COMMENT,
            body_format="html",
            position=position,
            extra=extra,
        )
        return ref, comment


def _where(dsq_id: str | None) -> str:
    return f"post {dsq_id}" if dsq_id else "a post without dsq:id"


def _leaf_text(element: Element) -> str:
    """:func:`text_of` for an element known to be there."""
    return (element.text or "") if len(element) == 0 else text_of(element)


#: a flag's exact text, when it is one of the plain spellings (else :func:`_flag` decides)
_FLAGS: dict[str | None, bool] = {"true": True, "false": False}


_TRUE = frozenset({"true", "1", "True", "TRUE"})
_FALSE = frozenset({"false", "0", "", "False", "FALSE"})


def _flag(
    element: Element | None, where: str, field: str, warnings: list[str], name: str
) -> bool | None:
    if element is None:
        return None
    value = element.text if len(element) == 0 else text_of(element)
    value = (value or "").strip()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    warnings.append(f"{name}: {where} {field} is {value!r}, not true/false; taken as false")
    return False


def _author(element: Element | None) -> dict[str, str]:
    if element is None:
        return {}
    out: dict[str, str] = {}
    for child in element:  # a thread's author (posts read theirs inline, see _post)
        value = text_of(child).strip()
        if value:
            out[local(child.tag)] = value
    return out


def _detect(head: Head) -> bool:
    """A ``<disqus>`` root (with or without the default namespace)."""
    return head.root == "disqus"


FORMAT = Format(
    name="disqus",
    description="a Disqus export (XML)",
    detect=_detect,
    open=lambda source: DisqusReader(source.xml()),
    xml=True,
)
