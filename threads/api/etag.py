"""HTTP conditional requests: an ``ETag`` on reads, ``304 Not Modified`` when it still holds.

The validator is a hash of the body the endpoint built, not a version kept in the database.
A page of the queue or a thread read shows columns of many rows of several tables (comments,
their labels and reports, the article, the thread, the per-status counts), and those rows are
written by many hands: actions, submissions, reports, labelling, imports, classification, a
``psql`` session. A version that is right under all of them needs either a trigger on every
one of those tables, on the import path too (what the change clock was, and what the issue
removed), or every writer remembering to bump it (a rule that leaks into every later change and
is wrong the day one writer forgets). A hash of what is sent is right by construction: the tag
changes exactly when the body does, for any writer, and two workers or hosts give the same tag
for the same answer. It costs a BLAKE2b of the encoded body (microseconds for a page) on a
path that builds the page anyway; the page build itself is what is made cheap (Core queries,
one transaction with the key check: :mod:`threads.api.deps`).

What a 304 saves is the transfer and the client's parsing and re-rendering, which for a
moderator's screen polling the queue is most of the cost on both sides.

Responses vary with the key (a key holder sees e-mail addresses and every status), so they
carry ``Vary: Authorization``, and ``Cache-Control: no-cache`` (revalidate every time;
``private`` too when a key was sent, so that no shared cache keeps a key holder's answer).
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send


def etag_of(body: bytes) -> str:
    """The strong entity tag of ``body`` (quoted, as the header carries it)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def none_match(header: str | None, tag: str) -> bool:
    """True when ``If-None-Match: header`` names ``tag`` (weak comparison, as RFC 9110 asks
    for this header) or is ``*``."""
    if header is None:
        return False
    wanted = _opaque(tag)
    return any(t.strip() == "*" or _opaque(t) == wanted for t in header.split(","))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return cast(bytes, value).decode("latin-1")
    return None


def conditional(app: ASGIApp) -> ASGIApp:
    """Middleware for a GET endpoint: a 200 answer gets an ``ETag`` (and ``Vary`` and
    ``Cache-Control``); a request whose ``If-None-Match`` names it gets a 304 with no body
    instead. Other answers (errors) pass unchanged."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        passing = False  # not ours to tag (an error): the answer goes through unchanged
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    passing = True
                    await send(message)
                    return
                start = dict(message)
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _answer(scope, start, b"".join(chunks), send)

        await app(scope, receive, hold)

    return middleware


async def _answer(scope: Scope, start: dict[str, Any], body: bytes, send: Send) -> None:
    tag = etag_of(body)
    private = _header(scope, b"authorization") is not None
    added = [
        (b"etag", tag.encode("ascii")),
        (b"vary", b"Authorization"),
        (b"cache-control", b"private, no-cache" if private else b"no-cache"),
    ]
    headers: list[Any] = [
        (k, v) for k, v in start.get("headers", []) if k.lower() not in (b"etag", b"vary")
    ]
    if none_match(_header(scope, b"if-none-match"), tag):
        kept = [
            (k, v)
            for k, v in headers
            if k.lower() not in (b"content-length", b"content-type", b"cache-control")
        ]
        await send({"type": "http.response.start", "status": 304, "headers": kept + added})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send(cast(Message, {**start, "headers": headers + added}))
    await send({"type": "http.response.body", "body": body, "more_body": False})
