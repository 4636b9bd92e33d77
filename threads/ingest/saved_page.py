"""What the readers of saved pages (plain text and HTML) share: the comment-count header
("4 comments for “Title”"), the notices that tell a thread's state ("Comments are closed.",
"Leave a Reply"), the placeholder of a removed comment, author lists, and the clipping of fields
a page filled beyond the model's columns."""

from __future__ import annotations

import re

from threads.ingest.parsed import ParsedThread

COUNT_WORDS = {
    "no": 0,
    "keine": 0,
    "kein": 0,
    "geen": 0,
    "zero": 0,
    "aucun": 0,
    "one": 1,
    "a": 1,
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "één": 1,
    "een": 1,
    "un": 1,
    "une": 1,
    "two": 2,
    "zwei": 2,
    "three": 3,
    "drei": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_COUNT_RE = r"(?P<count>\d{1,6}|" + "|".join(COUNT_WORDS) + r")"
_NOUN_RE = (
    r"(?:comments?|responses?|replies|reply|thoughts?|reactions?|kommentare?|antworten|gedanken|"
    r"reacties?|gedachten|commentaires?|comentarios?|commenti|trackbacks?|pingbacks?)"
)
QUOTE_CHARS = "\"'“”„‟«»‘’‚‹›"
_HEADER_RE = re.compile(
    rf"^{_COUNT_RE}\s+{_NOUN_RE}"
    rf"(?:\s*:\s*|\s+so\s+far|\s+(?:for|on|to|zu|zum|zur|auf|über|op|over|bij|sur|pour|a|en|sobre|su|in)\s+"
    rf"(?P<title>[{QUOTE_CHARS}].*?)|\s*)$",
    re.IGNORECASE,
)
_HEADER_PAREN_RE = re.compile(
    r"^(?:comments?|kommentare?|reacties|commentaires|responses)\s*\((?P<count>\d{1,6})\)\s*:?$",
    re.IGNORECASE,
)

_CLOSED_PATTERNS = (
    r"comments are closed",
    r"comments are now closed",
    r"comments are (?:off|disabled)",
    r"(?:sorry, )?the comment form is closed",
    r"new comments are not allowed",
    r"comments closed",
    r"commenting is closed",
    r"comments for this (?:post|entry|article) are closed",
    r"(?:die )?kommentarfunktion (?:ist|wurde) (?:geschlossen|deaktiviert)",
    r"kommentare sind (?:geschlossen|deaktiviert)",
    r"kommentare geschlossen",
    r"reacties zijn gesloten",
    r"reageren is niet (?:meer )?mogelijk",
    r"les commentaires sont fermés",
    r"commentaires fermés",
    r"los comentarios están cerrados",
    r"i commenti sono chiusi",
)
_OPEN_PATTERNS = (
    r"leave a reply",
    r"leave a comment",
    r"post a comment",
    r"add a comment",
    r"add comment",
    r"write a comment",
    r"post your comment",
    r"join the discussion",
    r"submit a comment",
    r"have your say",
    r"you must be logged in to post a comment",
    r"schreibe einen kommentar",
    r"hinterlasse einen kommentar",
    r"kommentar (?:schreiben|posten|hinzufügen|verfassen|veröffentlichen)",
    r"kommentare schreiben",
    r"einen kommentar (?:schreiben|posten|hinterlassen)",
    r"laat een reactie achter",
    r"reactie plaatsen",
    r"een reactie (?:posten|plaatsen)",
    r"publier un commentaire",
    r"publicar un comentario",
    r"pubblica un commento",
    r"laisser un commentaire",
    r"ajouter un commentaire",
    r"deja un comentario",
    r"lascia un commento",
)
_CLOSED_RE = re.compile(r"^(?:" + "|".join(_CLOSED_PATTERNS) + r")\b", re.IGNORECASE)
_OPEN_RE = re.compile(r"^(?:" + "|".join(_OPEN_PATTERNS) + r")\b", re.IGNORECASE)
_NOTICE_MAX_LEN = 80

_AUTHOR_SPLIT_RE = re.compile(
    r"\s*,\s*(?:and\s+|und\s+|en\s+|et\s+|&\s*)?|\s+(?:and|und|en|et|y|e|&)\s+", re.IGNORECASE
)

# Blogger (and others) leave a placeholder where a comment was removed.
_REMOVED_RE = re.compile(
    r"^(?:this comment has been removed|this comment was deleted|"
    r"dieser kommentar wurde (?:vom autor |von einem blog-administrator )?entfernt|"
    r"deze reactie is verwijderd|ce commentaire a été supprimé|"
    r"este comentario ha sido eliminado|questo commento è stato eliminato)",
    re.IGNORECASE,
)


# Column sizes of the model (threads/models.py) that page text could overflow.
_LIMITS = {"posted_text": 128, "author_name": 512, "author_url": 2048}
_ARTICLE_LIMITS = {"published_text": 128}


def fit_limits(thread: ParsedThread, source_name: str) -> None:
    """Clip fields a page filled beyond the model's columns; the full text stays in ``extra``."""
    for comment in thread.comments:
        for name, limit in _LIMITS.items():
            value = getattr(comment, name)
            if isinstance(value, str) and len(value) > limit:
                comment.extra[f"{name}_full"] = value
                setattr(comment, name, value[: limit - 1] + "…")
                thread.warnings.append(
                    f"{source_name}: comment {comment.position + 1}: {name} longer than {limit}"
                    " characters, clipped (full text in extra)"
                )
    article = thread.article
    for name, limit in _ARTICLE_LIMITS.items():
        value = getattr(article, name)
        if isinstance(value, str) and len(value) > limit:
            article.extra[f"{name}_full"] = value
            setattr(article, name, value[: limit - 1] + "…")
            thread.warnings.append(f"{source_name}: article {name} clipped to {limit} characters")


def closed_notice(text: str) -> bool:
    """True when a short text is a "comments are closed" notice (in any supported language)."""
    return len(text) <= _NOTICE_MAX_LEN and bool(_CLOSED_RE.match(text.strip()))


def open_notice(text: str) -> bool:
    """True when a short text invites a new comment ("Leave a Reply", "Post a Comment", ...)."""
    return len(text) <= _NOTICE_MAX_LEN and bool(_OPEN_RE.match(text.strip()))


def removed_notice(text: str) -> bool:
    """True when a comment's text is only the placeholder left by a removed comment."""
    return len(text) <= 120 and bool(_REMOVED_RE.match(text.strip()))


def comment_count(text: str) -> int | None:
    """The number a comment-section header announces ("4 comments for “X”" -> 4), else None."""
    match = header_match(" ".join(text.split()))
    if match is None:
        return None
    word = match.group("count").lower()
    return int(word) if word.isdigit() else COUNT_WORDS.get(word)


def split_authors(names: str) -> list[str]:
    """ "A and B" / "A, B and C" / "A & B" -> ["A", "B", "C"]."""
    parts = (p.strip(" .;:") for p in _AUTHOR_SPLIT_RE.split(names.strip()))
    return [p for p in parts if p]


def header_match(text: str) -> re.Match[str] | None:
    """The match of a comment-section header ("12 Responses to “X”", "Kommentare (3)")."""
    if len(text) > 300:
        return None
    return _HEADER_RE.match(text) or _HEADER_PAREN_RE.match(text)
