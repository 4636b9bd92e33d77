"""A site for tests that build articles by hand (every article belongs to one)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from threads.models import Site


def site_id(session: Session, key: str = "example.org") -> int:
    """The id of the site ``key``, made on first use."""
    found = session.execute(sa.select(Site.id).where(Site.key == key)).scalar_one_or_none()
    if found is not None:
        return int(found)
    site = Site(key=key, name=key, base_url=f"https://{key}/")
    session.add(site)
    session.flush()
    assert site.id is not None
    return site.id
