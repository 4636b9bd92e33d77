"""The sites of a database: look one up by key for a site filter, or list them with counts.

Reports, the queue, exports and the API lists take a site filter by key; :func:`find_site`
turns that key into the site or a :class:`~threads.errors.NotFound` that names the key and the
known keys. (Which site an imported file belongs to is decided in ``threads.ingest.sites``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from threads.db.queries import sites as q
from threads.enums import CommentStatus
from threads.errors import InvalidInput, NotFound, refuse_nul

#: at most this many known keys are named in the error for an unknown one
KNOWN_SHOWN = 20
#: longest site key (the column's length)
KEY_LIMIT = 255


@dataclass(frozen=True)
class SiteRef:
    """A site a filter names."""

    id: int
    key: str
    name: str
    base_url: str | None


@dataclass(frozen=True)
class SiteSummary:
    """One line of the list of sites."""

    key: str
    name: str
    base_url: str | None
    articles: int
    comments: int


def site_key(given: str, field: str = "site") -> str:
    """A site key as given to a filter, in stored form (stripped, lower-case: site keys are
    stored lower-case). InvalidInput on ``field`` for an empty, over-long or NUL-holding key."""
    refuse_nul(given, field)
    key = given.strip().lower()
    if not key or len(key) > KEY_LIMIT:
        raise InvalidInput(
            f"{field} must be a site key of 1 to {KEY_LIMIT} characters, got {given!r}",
            field=field,
        )
    return key


def find_site(db: Connection | Session, given: str, field: str = "site") -> SiteRef:
    """The site with key ``given`` (any case); NotFound naming the key and the known keys."""
    key = site_key(given, field)
    row = q.site_by_key(db, key)
    if row is None:
        known, total = q.site_keys(db, KNOWN_SHOWN)
        if not known:
            listed = "there are no sites yet: import a file first"
        else:
            more = f", and {total - len(known)} more" if total > len(known) else ""
            listed = f"known: {', '.join(known)}{more}"
        raise NotFound(
            f"no site with key {given!r} ({listed})",
            code="site_not_found",
            field=field,
            known_sites=known,
        )
    return SiteRef(id=int(row.id), key=row.key, name=row.name or "", base_url=row.base_url)


def check_threads_in_site(
    db: Connection | Session, thread_ids: Sequence[int], site: SiteRef, field: str = "site"
) -> None:
    """InvalidInput naming the threads among ``thread_ids`` that belong to another site."""
    outside = q.threads_outside_site(db, thread_ids, site.id)
    if outside:
        noun = "thread" if len(outside) == 1 else "threads"
        verb = "is" if len(outside) == 1 else "are"
        raise InvalidInput(
            f"{noun} {', '.join(map(str, outside))} {verb} not in site {site.key!r}",
            field=field,
        )


def site_summaries(
    db: Connection | Session, statuses: Sequence[CommentStatus] | None = None
) -> list[SiteSummary]:
    """Every site in key order with its articles and its comments in ``statuses`` (None:
    every status)."""
    return [
        SiteSummary(
            key=row.key,
            name=row.name or "",
            base_url=row.base_url,
            articles=int(row.articles),
            comments=int(row.comments),
        )
        for row in q.site_rows(db, statuses)
    ]


def list_sites(engine: Engine) -> list[SiteSummary]:
    """Every site in key order with its articles and comments (every status)."""
    with engine.connect() as conn:
        return site_summaries(conn)
