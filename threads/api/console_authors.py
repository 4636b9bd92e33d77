"""The console's author page: an author's record and standing in a site, with the forms that
change the standing and reject all their pending comments (moderator or admin; audited).

``/console/authors/{site}/{author}`` addresses an author like the API does (the author read from
the undecoded path, so a ``/`` in a name travels as ``%2F``); a queue card links to it through
``/console/comments/{id}/author``, which finds the comment's site and author. Viewers see the
page without its forms, and the server refuses their POST (403).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from threads.api.authors_routes import site_and_author
from threads.api.console import (
    PREFIX,
    Form,
    _flash,
    _page,
    _principal,
    _refused,
    _signin,
    _take_flash,
)
from threads.errors import ThreadsError
from threads.models import Role
from threads.moderation.authors import (
    STANDINGS,
    author_events,
    author_of_comment,
    get_author,
    reject_pending,
    set_standing,
)
from threads.moderation.shapes import author_read, history_event
from threads.schemas import MAX_ID

AUTHORS = f"{PREFIX}/authors/"


def author_path(site: str, author_key: str) -> str:
    """The console path of an author's page (each part percent-encoded, ``/`` included)."""
    return f"{AUTHORS}{quote(site, safe='')}/{quote(author_key, safe='@')}"


@get("/authors/{site:str}/{author:path}", sync_to_thread=True)
def author_page(
    request: Request[Any, Any, Any], db: NamedDependency[Session]
) -> Template | Redirect:
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        site, author = site_and_author(request, AUTHORS)
        record = get_author(db, site, author)
        shown = author_read(record)
        return _page(
            "author.html",
            principal=principal,
            can_act=principal.has_role(Role.MODERATOR),
            flash=_take_flash(request),
            author=shown,
            events=[history_event(e) for e in author_events(db, record)],
            standings=STANDINGS,
            here=author_path(record.site, record.author_key),
            queue_url=f"{PREFIX}?"
            + urlencode({"tab": "all", "site": record.site, "author": record.author_key}),
        )
    except ThreadsError as exc:
        _flash(request, error=str(exc))
        return Redirect(PREFIX, status_code=303)
    finally:
        db.commit()
        db.close()


@post("/authors/{site:str}/{author:path}", sync_to_thread=True, status_code=303)
def change_author(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    data: Annotated[dict[str, str], Form],
) -> Redirect | Template:
    """Set the author's standing (``do=standing``) or reject all their pending comments
    (``do=reject_pending``), with a reason; moderator or admin."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        if not principal.has_role(Role.MODERATOR):
            return _refused(principal, "changing an author's standing needs a moderator key")
        site, author = site_and_author(request, AUTHORS)
        back: str | None = None
        try:
            reason = data.get("reason") or None
            if data.get("do") == "reject_pending":
                result = reject_pending(
                    db,
                    site,
                    author,
                    actor=principal.actor,
                    role=principal.role,
                    reason=reason or "",
                )
                n = len(result.comment_ids)
                notice = f"rejected {n} pending comment{'' if n == 1 else 's'}"
                back = author_path(result.site, result.author_key)
            else:
                record = set_standing(
                    db,
                    site,
                    author,
                    data.get("standing", ""),
                    actor=principal.actor,
                    role=principal.role,
                    reason=reason,
                )
                notice = f"standing set to {record.standing.value}"
                back = author_path(record.site, record.author_key)
            db.commit()
            _flash(request, notice=notice)
        except ThreadsError as exc:
            db.rollback()
            _flash(request, error=str(exc))
        return Redirect(back or author_path(site, author), status_code=303)
    finally:
        db.close()


@get("/comments/{comment_id:int}/author", sync_to_thread=True)
def comment_author(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    comment_id: Annotated[int, Parameter(ge=1, le=MAX_ID)],
) -> Redirect:
    """The author page of a comment's author (a card's author name links here)."""
    try:
        if _principal(request, db) is None:
            return _signin()
        try:
            site, key = author_of_comment(db, comment_id)
        except ThreadsError as exc:
            _flash(request, error=str(exc))
            return Redirect(PREFIX, status_code=303)
        return Redirect(author_path(site, key), status_code=303)
    finally:
        db.commit()
        db.close()


#: the console's author routes (registered with the other console pages)
AUTHOR_PAGES = [author_page, change_author, comment_author]
