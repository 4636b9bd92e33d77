"""The enums of the data model, apart from the tables.

Plain ``StrEnum`` classes with no database import, for code that needs only the values.
``threads.models`` re-exports them, and its enum columns are built from them.
"""

from __future__ import annotations

import enum


class ThreadState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    FLAGGED = "flagged"
    REJECTED = "rejected"
    SPAM = "spam"
    DELETED = "deleted"


class CommentKind(enum.StrEnum):
    """Pingbacks and trackbacks are kept, but apart from people's comments."""

    COMMENT = "comment"
    PINGBACK = "pingback"
    TRACKBACK = "trackback"


class AutoCloseFrom(enum.StrEnum):
    PUBLISHED = "published"
    LAST_COMMENT = "last_comment"


class PreModeration(enum.StrEnum):
    ALL = "all"
    FIRST_TIME = "first_time"
    LINKS = "links"
    NONE = "none"


class LabelSource(enum.StrEnum):
    AUTO = "auto"
    MODERATOR = "moderator"


class Role(enum.StrEnum):
    VIEWER = "viewer"
    MODERATOR = "moderator"
    ADMIN = "admin"


class EventTarget(enum.StrEnum):
    COMMENT = "comment"
    THREAD = "thread"
    ARTICLE = "article"
    API_KEY = "api_key"
    #: an author within a site (``author_standing.id``): standing changes, bulk actions
    AUTHOR = "author"
    #: a registered webhook (``webhook.id``): added, removed
    WEBHOOK = "webhook"


class Standing(enum.StrEnum):
    """How a site treats an author's public submissions (``threads.moderation.authors``)."""

    #: skips pre-moderation (the other checks still apply)
    TRUSTED = "trusted"
    NORMAL = "normal"
    #: every submission is held for review, whatever the thread's policy
    PREMODERATED = "premoderated"
    #: every submission is refused (nothing is stored)
    BANNED = "banned"


class ActorType(enum.StrEnum):
    USER = "user"
    API_KEY = "api_key"
    RULE = "rule"
    SYSTEM = "system"
    IMPORT = "import"


class DeliveryStatus(enum.StrEnum):
    """Where a webhook delivery stands: waiting for its next attempt, or finished one way."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    #: its hook was removed before it was delivered
    CANCELLED = "cancelled"
