"""Managing hooks: add (the secret is shown once), list, remove; deliveries: list, show, retry.

Adding and removing a hook is audited like a moderation action: one ``moderation_event`` about
the ``webhook`` (its id, URL, events, site and report threshold; never the secret, its salt or
its check) in the caller's transaction, so the change and its record are written together or
not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from threads.config import Settings
from threads.cursor import Part, decode_cursor, encode_cursor
from threads.db.queries import webhooks as q
from threads.db.types import utcnow
from threads.errors import Conflict, InvalidInput, NotFound
from threads.models import DeliveryStatus, EventTarget, Webhook, WebhookAttempt, WebhookDelivery
from threads.moderation.audit import Actor, record_event
from threads.webhooks.events import EVENTS
from threads.webhooks.signing import derive_secret, new_salt, secret_check

MAX_URL_CHARS = 2000
MAX_THRESHOLD = 1_000_000
DEFAULT_REPORT_THRESHOLD = 3


@dataclass(frozen=True)
class HookInfo:
    """What may be shown about a hook: never its secret."""

    id: int
    url: str
    site: str | None
    events: list[str]
    report_threshold: int
    created_by: str
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True)
class CreatedHook:
    """A new hook; ``secret`` is shown this once (it can be derived again only by the server)."""

    info: HookInfo
    secret: str


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def _info(session: Session, hook: Webhook) -> HookInfo:
    assert hook.id is not None
    return HookInfo(
        id=hook.id,
        url=hook.url,
        site=q.site_key(session, hook.site_id) if hook.site_id is not None else None,
        events=list(hook.events),
        report_threshold=hook.report_threshold,
        created_by=hook.created_by,
        created_at=hook.created_at,
        removed_at=hook.removed_at,
    )


def server_secret(settings: Settings) -> str:
    """THREADS_WEBHOOK_SECRET, or InvalidInput saying how to set it."""
    if not settings.webhook_secret:
        raise InvalidInput(
            "THREADS_WEBHOOK_SECRET is not set: webhooks need a server secret to derive each "
            "hook's signing secret from (e.g. the output of `python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`), the same for every process",
            field="THREADS_WEBHOOK_SECRET",
            code="webhook_secret_missing",
        )
    return settings.webhook_secret


def check_url(url: str) -> str:
    """An http(s) URL with a host and no credentials in it, or InvalidInput ``url``."""
    text = (url or "").strip()
    if not text or len(text) > MAX_URL_CHARS or any(c.isspace() or ord(c) < 32 for c in text):
        raise InvalidInput(
            f"url must be an http:// or https:// URL of at most {MAX_URL_CHARS} characters "
            "without spaces",
            field="url",
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise InvalidInput(f"url {text[:80]!r} is not a valid URL", field="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(
            f"url scheme {parts.scheme or '(none)'!r} is not allowed: expected http or https",
            field="url",
        )
    if not parts.hostname:
        raise InvalidInput(f"url {text[:80]!r} has no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "url must not carry a user name or password (it would be stored and listed in "
            "clear); the signature authenticates deliveries",
            field="url",
        )
    return text


def check_events(events: list[str] | None) -> list[str]:
    """The events asked for (all when none), known and without repeats, or InvalidInput."""
    if not events:
        return list(EVENTS)
    out: list[str] = []
    for event in events:
        name = event.strip().lower()
        if name not in EVENTS:
            raise InvalidInput(
                f"unknown event {event!r}; expected one of: {', '.join(EVENTS)}", field="events"
            )
        if name not in out:
            out.append(name)
    return out


def add_hook(
    session: Session,
    url: str,
    *,
    settings: Settings,
    actor: Actor,
    events: list[str] | None = None,
    site: str | None = None,
    report_threshold: int = DEFAULT_REPORT_THRESHOLD,
) -> CreatedHook:
    """Register ``url`` for ``events`` (default: all) of ``site`` (a site key; None: every site)
    on behalf of ``actor``, audited (``add_hook``) in the same transaction.

    The returned secret is derived from the server secret and a new salt; it is not stored.
    """
    base = server_secret(settings)
    clean = check_url(url)
    wanted = check_events(events)
    if isinstance(report_threshold, bool) or not 1 <= report_threshold <= MAX_THRESHOLD:
        raise InvalidInput(
            f"report_threshold must be a whole number from 1 to {MAX_THRESHOLD}",
            field="report_threshold",
        )
    site_id = None
    if site is not None:
        found = q.site_by_key(session, site.strip())
        if found is None:
            raise NotFound(f"no site with key {site!r} (`threads sites` lists them)", site=site)
        site_id = found.id
    salt = new_salt()
    secret = derive_secret(base, salt)
    hook = Webhook(
        site_id=site_id,
        url=clean,
        events=wanted,
        report_threshold=report_threshold,
        secret_salt=salt,
        secret_check=secret_check(secret),
        created_by=actor.name[:255],
    )
    session.add(hook)
    session.flush()
    info = _info(session, hook)
    _audit(session, info, actor=actor, action=ADD_ACTION, from_state=None, to_state=ACTIVE)
    return CreatedHook(info, secret)


#: the audit actions and states of a hook (``moderation_event.action``, ``from/to_state``)
ADD_ACTION = "add_hook"
REMOVE_ACTION = "remove_hook"
ACTIVE = "active"
REMOVED = "removed"


def _audit(
    session: Session,
    info: HookInfo,
    *,
    actor: Actor,
    action: str,
    from_state: str | None,
    to_state: str,
) -> None:
    """The audit event of a change to a hook: what it is (never its secret)."""
    record_event(
        session,
        actor=actor,
        action=action,
        target_type=EventTarget.WEBHOOK,
        target_id=info.id,
        from_state=from_state,
        to_state=to_state,
        extra={
            "url": info.url,
            "events": list(info.events),
            "site": info.site,
            "report_threshold": info.report_threshold,
        },
    )


def list_hooks(session: Session, *, include_removed: bool = False) -> list[HookInfo]:
    """Hooks in the order they were added (removed ones only when asked)."""
    return [_info(session, h) for h in q.all_hooks(session, include_removed=include_removed)]


def _hook_or_404(session: Session, hook_id: int) -> Webhook:
    hook = q.get_hook(session, hook_id)
    if hook is None:
        raise NotFound(f"no webhook {hook_id}", hook_id=hook_id)
    return hook


def remove_hook(
    session: Session, hook_id: int, *, actor: Actor, now: datetime | None = None
) -> HookInfo:
    """Stop a hook on behalf of ``actor``: no new deliveries, its pending ones cancelled; the
    row and its deliveries stay on record; audited (``remove_hook``) in the same transaction.
    Conflict ``hook_removed`` when removed before."""
    hook = _hook_or_404(session, hook_id)
    if hook.removed_at is not None:
        raise Conflict(f"webhook {hook_id} was already removed", code="hook_removed")
    when = now or utcnow()
    hook.removed_at = when
    session.add(hook)
    session.flush()
    q.cancel_pending(session, hook_id, when)
    info = _info(session, hook)
    _audit(session, info, actor=actor, action=REMOVE_ACTION, from_state=ACTIVE, to_state=REMOVED)
    return info


@dataclass
class DeliveryList:
    """One page of deliveries, newest first: the rows, how many the listing holds in all, and
    the cursor of the next page (None on the last)."""

    rows: list[WebhookDelivery]
    total: int
    next_cursor: str | None


#: the cursor kind of the deliveries listing
DELIVERY_CURSOR = "wd"


def list_deliveries(
    session: Session,
    *,
    hook_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> DeliveryList:
    """Deliveries, newest first, of one hook or all, in one status or any, a page at a time
    (``cursor``: the ``next_cursor`` of the page before)."""
    wanted = None
    if status is not None:
        try:
            wanted = DeliveryStatus(status.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in DeliveryStatus)
            raise InvalidInput(
                f"unknown delivery status {status!r}; expected one of: {choices}", field="status"
            ) from None
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit must be from 1 to 1000", field="limit")
    before = decode_cursor(cursor, DELIVERY_CURSOR, Part.INT)[0] if cursor else None
    if hook_id is not None:
        _hook_or_404(session, hook_id)
    rows = q.deliveries(session, hook_id=hook_id, status=wanted, limit=limit + 1, before_id=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryList(
        rows=rows,
        total=q.count_deliveries(session, hook_id=hook_id, status=wanted),
        next_cursor=encode_cursor(DELIVERY_CURSOR, rows[-1].id) if more else None,
    )


#: the shortest start of a delivery id that finds it (as the CLI's tables show ids)
MIN_ID_PREFIX = 8


def find_delivery(session: Session, uid: str) -> WebhookDelivery:
    """The delivery whose id is ``uid``, or starts with it (at least 8 characters, one match).

    NotFound when none matches; Conflict ``ambiguous_id`` when a prefix matches several.
    """
    text = uid.strip().lower()
    delivery = q.delivery_by_uid(session, text)
    if delivery is not None:
        return delivery
    if len(text) >= MIN_ID_PREFIX:
        found = q.deliveries_by_uid_prefix(session, text, limit=2)
        if len(found) > 1:
            raise Conflict(
                f"delivery id {uid!r} is the start of several ids: give more of it",
                code="ambiguous_id",
            )
        if found:
            return found[0]
    raise NotFound(f"no webhook delivery {uid!r}", delivery=uid)


def get_delivery(session: Session, uid: str) -> DeliveryDetail:
    """A delivery (by its id, or the start of it) with every attempt, oldest first."""
    delivery = find_delivery(session, uid)
    assert delivery.id is not None
    return DeliveryDetail(delivery, q.attempts_of(session, delivery.id))


def retry_delivery(session: Session, uid: str, *, now: datetime | None = None) -> WebhookDelivery:
    """Send a failed (or cancelled) delivery again: pending, due now, with a fresh count of
    attempts (the earlier attempts stay on record). Conflict ``not_retryable`` otherwise."""
    detail = get_delivery(session, uid)
    delivery = detail.delivery
    assert delivery.id is not None
    status = DeliveryStatus(delivery.status)
    if status not in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED):
        raise Conflict(
            f"delivery {delivery.uid} is {status.value}: only failed or cancelled deliveries "
            "are retried",
            code="not_retryable",
        )
    hook = _hook_or_404(session, delivery.hook_id)
    if hook.removed_at is not None:
        raise Conflict(
            f"delivery {delivery.uid} belongs to webhook {hook.id}, which was removed",
            code="hook_removed",
        )
    when = now or utcnow()
    q.update_delivery(
        session,
        delivery.id,
        {
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": when,
            "finished_at": None,
        },
    )
    session.flush()
    session.refresh(delivery)
    return delivery
