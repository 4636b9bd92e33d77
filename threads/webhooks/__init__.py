"""Webhooks: sites register URLs that receive signed JSON POSTs when events happen.

- :func:`emit` (``threads.webhooks.events``) queues an event in the caller's transaction (the
  outbox); the moderation services call it, and so may any other part of threads.
- :func:`deliver_due` (``threads.webhooks.delivery``) sends what is due, after the commit.
- ``threads.webhooks.service`` adds, lists and removes hooks and lists and retries deliveries.
- ``threads.webhooks.signing`` derives each hook's secret and signs (and verifies) bodies.

See docs/webhooks.md.
"""

from threads.webhooks.events import (
    CAMPAIGN_FOUND,
    COMMENT_HELD,
    COMMENT_REPORTED,
    EVENTS,
    THREAD_CLOSED,
    campaign_found,
    emit,
)

__all__ = [
    "CAMPAIGN_FOUND",
    "COMMENT_HELD",
    "COMMENT_REPORTED",
    "EVENTS",
    "THREAD_CLOSED",
    "campaign_found",
    "emit",
]
