"""Who wrote a comment, as one comparable key: the same rule for imported and submitted comments,
so that an author approved in an imported thread is known to the ``first_time`` pre-moderation
policy, to author standing and to the queue's author filter."""

from __future__ import annotations

#: the width of comment.author_key
AUTHOR_KEY_CHARS = 512


def author_key(email: str | None, name: str | None) -> str | None:
    """The normalised author identity: the lower-cased e-mail, else the lower-cased name with
    whitespace collapsed; None if neither."""
    if email and (email := email.strip()):
        return email.lower()[:AUTHOR_KEY_CHARS]
    if name and name.strip():
        return " ".join(name.split()).lower()[:AUTHOR_KEY_CHARS]
    return None
