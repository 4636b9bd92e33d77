"""Which site a file's threads belong to: derived from what the file says.

An article's identity is unique within its site, never across sites: two WordPress blogs both
have a post ``?p=1``. Each reader names the site when the file says which it is; a saved page
without one gets the host of its address; a page without an address goes to :data:`UNKNOWN`.
``threads ingest --site KEY`` puts every thread of the files it reads in the site ``KEY``.

Site keys:

* WordPress (WXR): the host and path of ``wp:base_site_url`` (else the channel's link), then
  ``:`` and the blog title as a slug when the export has one (``example.com:my-blog``). Two
  development blogs at ``http://localhost/`` with other titles are two sites;
* Disqus: ``disqus:<forum>``;
* Blogger: ``blogger:<blog id>``;
* a saved page: the host of its address (``www.`` dropped), else ``unknown``;
* our JSONL archive: the site keys it holds.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from threads.errors import InvalidInput
from threads.models import ParsedSite

#: the site of pages that say nothing of where they come from
UNKNOWN = ParsedSite(key="unknown", name="Pages without an address")
#: longest site key (the column's length)
KEY_LIMIT = 255
_KEY = re.compile(r"^[a-z0-9][a-z0-9._:/@~+-]*$")


def slug(text: str, limit: int = 60) -> str:
    """Lower-case ASCII letters, digits and single hyphens: ``"Mon Blog d'été"`` ->
    ``"mon-blog-d-ete"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def host_and_path(url: str | None) -> str | None:
    """``"https://www.Example.com/blog/"`` -> ``"example.com/blog"`` (None when no host)."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host:
        return None
    host = host.removeprefix("www.")
    path = parts.path.strip("/").lower()
    return f"{host}/{path}" if path else host


def base_url(url: str | None) -> str | None:
    """The scheme and host of ``url`` (``https://example.com/``), None without a host."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return f"{parts.scheme or 'http'}://{parts.netloc}/"


def site_of_page(url: str | None) -> ParsedSite:
    """The site of a saved page at ``url``: its host, else :data:`UNKNOWN`."""
    found = host_and_path(url)
    if found is None:
        return UNKNOWN
    host = found.split("/", 1)[0]
    return ParsedSite(key=fit_key(host), name=host, base_url=base_url(url))


def wordpress_site(site_url: str | None, title: str | None) -> ParsedSite | None:
    """The site of a WordPress export: its base URL and title (None when it has neither)."""
    where = host_and_path(site_url)
    name = (title or "").strip()
    titled = slug(name)
    if where is None and not titled:
        return None
    key = f"{where}:{titled}" if where and titled else where or f"wordpress:{titled}"
    return ParsedSite(key=fit_key(key), name=name or where or "", base_url=site_url or None)


def check_key(key: str) -> str:
    """``key`` as a site key (stripped, lower-cased); InvalidInput when it is not one."""
    cleaned = key.strip().lower()
    if not cleaned or len(cleaned) > KEY_LIMIT or not _KEY.match(cleaned):
        raise InvalidInput(
            f"site key {key!r} is not valid: use up to {KEY_LIMIT} lower-case letters, digits "
            "and . _ : / @ ~ + -, starting with a letter or digit",
            field="site",
        )
    return cleaned


def fit_key(key: str) -> str:
    """A derived key cut to the column's length (with a hash of the whole when cut)."""
    if len(key) <= KEY_LIMIT:
        return key
    import hashlib

    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{key[: KEY_LIMIT - 17]}~{digest}"
