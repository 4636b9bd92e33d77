"""How moderation compares texts and people: normalised words, content and author keys, links,
and salted hashes of client addresses."""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: a word: letters/digits (any script), with inner apostrophes or hyphens kept ("don't", "e-mail")
_WORD = re.compile(r"\w+(?:['’\-]\w+)*")
_LINK = re.compile(
    r"""(?ix)
    (?:\bhttps?://|\bftp://|\bwww\.)[^\s<>"']+      # a URL or a www. address
    | <a\s[^>]*\bhref\s*=                           # an HTML anchor
    | \[[^\]]*\]\([^)\s]+\)                         # a Markdown link
    | \b[a-z0-9][a-z0-9-]{0,62}+\.(?:com|net|org|info|biz|ru|cn|xyz|top|io|co)\b(?:/[^\s]*)?
    """
)


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form every comparison uses."""
    # str.split() splits on the same (Unicode) whitespace as the regex \s, several times faster
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def words(text: str) -> list[str]:
    """The words of ``text`` after :func:`normalise` (Unicode-aware, punctuation dropped)."""
    # whitespace never lies inside a word, so collapsing it first would change nothing
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def content_hash_of(body: str) -> str:
    """A SHA-256 of the normalised body: equal for bodies that differ only in case or spacing."""
    return hashlib.sha256(normalise(body).encode("utf-8")).hexdigest()


def links_in(text: str) -> list[str]:
    """The links (URLs, www. addresses, bare domains, HTML anchors, Markdown links) in ``text``."""
    return [m.group(0) for m in _LINK.finditer(text)]


#: mixed into every client-address hash; pass a deployment secret to make the hashes unguessable
DEFAULT_CLIENT_SALT = "threads/client/v1"


def hash_client(address: str, *, scope: str = "", secret: str | None = None) -> str:
    """A salted SHA-256 of a client address (never store the address itself).

    ``scope`` (e.g. a comment id) makes hashes of the same address differ between scopes, so they
    cannot be joined across comments; ``secret`` keeps them from being reversed by brute force.
    """
    salt = f"{DEFAULT_CLIENT_SALT}|{secret or ''}|{scope}|"
    return hashlib.sha256((salt + address.strip()).encode("utf-8")).hexdigest()
