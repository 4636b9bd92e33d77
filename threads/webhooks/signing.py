"""Webhook secrets and signatures.

A hook's secret is never stored. It is derived from the server's ``THREADS_WEBHOOK_SECRET`` and
the hook's random salt (stored in its row): ``whsec_`` + base64url(HMAC-SHA256(server secret,
"threads webhook" NUL salt)). The sender can compute it again for every delivery; someone who
reads the database alone cannot. The hook row keeps ``secret_check``, a SHA-256 of the secret,
so that a changed server secret is noticed instead of signing with a key receivers do not know.

A delivery is signed over ``<timestamp>.<body bytes>`` (the timestamp is also sent, as
``X-Threads-Timestamp``), so that a receiver that refuses old timestamps refuses replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SIGNATURE_SCHEME = "sha256"
#: how far a receiver should let a timestamp be from its own clock (seconds)
DEFAULT_TOLERANCE = 300


def new_salt() -> str:
    """A fresh random per-hook salt (128 bits, hex)."""
    return secrets.token_hex(16)


def derive_secret(server_secret: str, salt: str) -> str:
    """The signing secret of the hook whose salt is ``salt``."""
    digest = hmac.new(
        server_secret.encode("utf-8"), b"threads webhook\0" + salt.encode("ascii"), hashlib.sha256
    ).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def secret_check(secret: str) -> str:
    """What the hook row keeps of its secret: hex SHA-256 (to notice a changed server secret)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Threads-Signature`` value: ``sha256=`` + hex HMAC of ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"{SIGNATURE_SCHEME}={mac.hexdigest()}"


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    given: str,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """What a receiver does (this function is what docs/webhooks.md shows): True when ``given``
    is the signature of ``body`` at ``timestamp`` and the timestamp is within ``tolerance``
    seconds of ``now``."""
    try:
        when = int(timestamp)
    except ValueError:
        return False
    if abs(now - when) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, when, body), given)
