"""/api/authors: authors within a site, their standing, and rejecting all their pending comments.

An author is addressed as ``/api/authors/{site}/{author}``: the site's key, then the author's
e-mail or name (or their ``author_key``), percent-encoded. An author key may hold a ``/`` (a name
such as "AC/DC fan"), which servers decode before routing: the author is therefore read from the
request's undecoded path (:func:`site_and_author`), so ``%2F`` arrives as a ``/`` inside the key.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from sqlmodel import Session

from threads.api import auth
from threads.api.deps import SiteParam, problems, unit_of_work
from threads.errors import InvalidInput
from threads.keys import Principal
from threads.models import Standing
from threads.moderation.authors import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    get_author,
    list_standings,
    reject_pending,
    set_standing,
)
from threads.moderation.shapes import author_read, authors_page, reject_pending_response
from threads.schemas import (
    AuthorRead,
    Page,
    RejectPendingRequest,
    RejectPendingResponse,
    StandingName,
    StandingRequest,
)

PREFIX = "/api/authors/"
#: the path's parameters, for the OpenAPI document (the handlers read them from the raw path)
SitePath = Annotated[str, Parameter(min_length=1, max_length=255, description="a site key")]
AuthorPath = Annotated[
    str,
    Parameter(
        min_length=1,
        max_length=1600,
        description="the author's e-mail or name (or author_key), percent-encoded",
    ),
]


def site_and_author(request: Request[Any, Any, Any], prefix: str) -> tuple[str, str]:
    """(site, author) from the path after ``prefix``, percent-decoded once, from the undecoded
    path when the server gives it (ASGI ``raw_path``), so that ``%2F`` stays inside the author
    and repeated slashes are kept; InvalidInput when the author is missing or not UTF-8."""
    raw = request.scope.get("raw_path")
    if raw:
        text = bytes(raw).split(b"?", 1)[0]
        prefix_bytes = prefix.encode()
        rest = text[len(prefix_bytes) :] if text.startswith(prefix_bytes) else b""
    else:  # a server without raw_path: the decoded path (a "/" in a key splits it)
        rest = request.scope["path"][len(prefix) :].encode()
    site_raw, _, author_raw = rest.partition(b"/")
    try:
        site = unquote_to_bytes(site_raw).decode("utf-8")
        author = unquote_to_bytes(author_raw).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the site and author in the path must be UTF-8", field="author"
        ) from None
    if not author.strip():
        raise InvalidInput(
            "the path must name a site and an author: /api/authors/{site}/{author}",
            field="author",
        )
    return site, author


class AuthorController(Controller):
    path = "/api/authors"
    tags = ["authors"]

    @get(
        "/",
        sync_to_thread=True,
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def list_authors(
        self,
        db: NamedDependency[Session],
        standing: Annotated[
            list[StandingName] | None,
            Parameter(description="repeat for several; default: every recorded standing"),
        ] = None,
        site: SiteParam = None,
        cursor: Annotated[str | None, Parameter(max_length=1000)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> Page[AuthorRead]:
        """Authors whose standing was ever set (viewer+), oldest record first, with their
        comments per status; ``standing=banned`` lists the banned ones."""
        page = list_standings(
            db,
            standings=[Standing(s) for s in standing] if standing else None,
            site=site or None,
            cursor=cursor or None,
            limit=limit,
        )
        return authors_page(page)

    @get(
        "/{site:str}/{author:path}",
        sync_to_thread=True,
        guards=[auth.viewer],
        responses=problems(400, 401, 403, 404, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def read_author(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        site: SitePath,
        author: AuthorPath,
    ) -> AuthorRead:
        """An author's standing in a site (normal when never set) and comments per status."""
        site, author = site_and_author(request, PREFIX)
        return author_read(get_author(db, site, author))

    @put(
        "/{site:str}/{author:path}",
        sync_to_thread=True,
        guards=[auth.moderator],
        responses=problems(400, 401, 403, 404, 409, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def put_standing(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        site: SitePath,
        author: AuthorPath,
        data: JSONBody[StandingRequest],
    ) -> AuthorRead:
        """Set an author's standing in a site (moderator+; audited): trusted skips
        pre-moderation, premoderated holds every comment, banned refuses every submission
        (403 ``author_banned``). A reason is required for premoderated and banned; the standing
        the author already has is a 409 ``standing_unchanged``."""
        site, author = site_and_author(request, PREFIX)
        record = set_standing(
            db, site, author, data.standing, actor=key.actor, role=key.role, reason=data.reason
        )
        return author_read(record)


class AuthorActionController(Controller):
    path = "/api/actions"
    tags = ["moderation"]

    @post(
        "/reject-pending",
        sync_to_thread=True,
        guards=[auth.moderator],
        status_code=200,
        responses=problems(400, 401, 403, 404, 413, 422),
        security=[{"bearer": []}],
    )
    @unit_of_work
    def reject_all_pending(
        self,
        db: NamedDependency[Session],
        key: NamedDependency[Principal],
        data: JSONBody[RejectPendingRequest],
    ) -> RejectPendingResponse:
        """Reject every pending comment of one author in one site, with a reason (moderator+),
        in one transaction: each comment gets its ``reject`` event, the author one
        ``reject_pending`` event listing them."""
        result = reject_pending(
            db, data.site, data.author, actor=key.actor, role=key.role, reason=data.reason
        )
        return reject_pending_response(result)
