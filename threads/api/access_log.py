"""No credential in a log line: query values named like one, and anything shaped like our keys.

Keys are accepted only in the ``Authorization`` header, but a client may still put one in a URL
(``?api_key=...``), and the server's access log writes the request line as it came. The filter
here replaces, in every record of the access logger, the value of each query parameter whose
name looks like a credential (``key``, ``api_key``, ``apiKey``, ``token``, ``access_token``,
``password``, ``secret``, ``auth``, ...) and any text shaped like one of our keys (``thr_...``)
with ``[redacted]``. Other parameters (``author``, ``since``, ``cursor``) are logged as they are.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

from threads.keys import KEY_PREFIX

REDACTED = "[redacted]"
#: the logger uvicorn writes its access lines to (``threads serve`` and ``uvicorn --factory``)
ACCESS_LOGGER = "uvicorn.access"

#: words of a parameter name that make it a credential
CREDENTIAL_WORDS = frozenset(
    {
        "auth",
        "authorization",
        "bearer",
        "credential",
        "credentials",
        "jwt",
        "otp",
        "passphrase",
        "session",
        "sig",
        "signature",
    }
)
#: endings of a word (or of a camelCase name, lowercased) that make it a credential
CREDENTIAL_ENDINGS = ("key", "token", "secret", "password", "passwd", "pwd")

_KEY_SHAPE = re.compile(re.escape(KEY_PREFIX) + r"[A-Za-z0-9_\-%]{8,}")
_WORD = re.compile(r"[^a-z0-9]+")


def is_credential_name(name: str) -> bool:
    """True for a parameter name that looks like it carries a credential."""
    words = [w for w in _WORD.split(unquote_plus(name).lower()) if w]
    return any(w in CREDENTIAL_WORDS or w.endswith(CREDENTIAL_ENDINGS) for w in words)


def _pair(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    return f"{name}={REDACTED}" if equals and is_credential_name(name) else pair


def redact(text: str) -> str:
    """``text`` (a request target or a whole log line) with credentials replaced."""
    text = _KEY_SHAPE.sub(REDACTED, text)
    path, question, query = text.partition("?")
    if not question:
        return text
    # the query ends at the first space (a whole line: '... /p?a=b HTTP/1.1" 200')
    query, space, rest = query.partition(" ")
    return path + "?" + "&".join(_pair(p) for p in query.split("&")) + space + rest


class RedactCredentials(logging.Filter):
    """Rewrites a record's message and arguments so that no credential is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif not record.args and isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_redaction() -> None:
    """Attach :class:`RedactCredentials` to the access logger (once per process)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactCredentials) for f in logger.filters):
        logger.addFilter(RedactCredentials())
