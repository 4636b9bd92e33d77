"""Closing a thread while readers submit: no comment is accepted after the close commits.

Each round opens a thread, lets 8 submitters (threads, each with its own session and pooled
connection) post to it as fast as they can, and closes it in the middle: by hand
(``close_thread``) or by the auto-close rule (``close_stale``). Every submitter keeps posting
until it is refused.

What "after the close" means, precisely: right after the closer's commit returns, the closer
reads the thread's comment ids in a new transaction (snapshot S). A comment that is in the
database at the end but not in S was committed after S began, so after the close committed: a
late comment, always a real one. (A late comment committed in the instant between the close's
commit and S would be missed, never one committed in time reported as late.) The round also
checks that every stored comment is one a submitter was told was accepted, and that every
refusal is ``ThreadClosed``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from tests.moderation_support import T0, make_thread
from threads.config import Settings
from threads.db import session_scope
from threads.db.types import utcnow
from threads.errors import ThreadClosed
from threads.models import AutoCloseFrom, Comment
from threads.moderation.audit import Actor
from threads.moderation.submission import Submission, submit_comment
from threads.moderation.threads import close_stale, close_thread

ROUNDS = 10
SUBMITTERS = 8
#: the close starts once this many comments are in: the submitters are all running by then
ACCEPTED_BEFORE_CLOSE = 8
#: a submitter that is never refused stops here (the round then fails)
MAX_ATTEMPTS = 2000
#: submitters post at this time; the thread auto-closes one day after T0, close_stale runs later
POSTED_AT = T0 + timedelta(hours=1)
STALE_RUN_AT = T0 + timedelta(days=2)
MOD = Actor.user("mod")


@dataclass
class Round:
    accepted: list[int] = field(default_factory=list)
    refused: list[ThreadClosed] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    never_refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


def _comment_ids(engine: Engine, thread_id: int) -> set[int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(col(Comment.id)).where(col(Comment.thread_id) == thread_id))
        return {int(r[0]) for r in rows}


def _submitter(
    engine: Engine,
    settings: Settings,
    thread_id: int,
    who: int,
    race: Round,
    start: threading.Barrier,
) -> None:
    start.wait()
    for attempt in range(MAX_ATTEMPTS):
        body = f"Submitter {who}, attempt {attempt}: what became of the gold reserves?"
        try:
            with session_scope(engine) as session:
                result = submit_comment(
                    session,
                    thread_id,
                    Submission(author_name=f"Reader {who}", body=body),
                    settings=settings,
                    now=POSTED_AT,
                )
                comment_id = result.comment.id
        except ThreadClosed as exc:
            with race.lock:
                race.refused.append(exc)
            return
        except BaseException as exc:  # anything else fails the round, with what it was
            with race.lock:
                race.errors.append(exc)
            race.enough.set()
            return
        assert comment_id is not None
        with race.lock:  # counted once its commit has returned
            race.accepted.append(comment_id)
            if len(race.accepted) >= ACCEPTED_BEFORE_CLOSE:
                race.enough.set()
    with race.lock:
        race.never_refused += 1


def _race_one_round(engine: Engine, settings: Settings, closer: str, n: int) -> list[str]:
    """Race 8 submitters against one close; the problems found (empty: none)."""
    thread_id = make_thread(
        engine,
        title=f"Race {n}",
        published_at=T0,
        auto_close_days=1,
        auto_close_from=AutoCloseFrom.PUBLISHED,
    )
    race = Round()
    start = threading.Barrier(SUBMITTERS + 1)
    workers = [
        threading.Thread(target=_submitter, args=(engine, settings, thread_id, who, race, start))
        for who in range(SUBMITTERS)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    # Not a timed check: the wait only keeps a broken round from hanging the suite.
    race.enough.wait(timeout=120)
    with session_scope(engine) as session:
        if closer == "close":
            close_thread(session, thread_id, actor=MOD, reason="race")
        else:
            assert close_stale(session, settings, STALE_RUN_AT, actor=MOD) == [thread_id]
    at_close = _comment_ids(engine, thread_id)
    for worker in workers:
        worker.join()

    stored = _comment_ids(engine, thread_id)
    problems = [f"round {n}: {type(e).__name__}: {e}" for e in race.errors]
    late = stored - at_close
    if late:
        problems.append(f"round {n}: {len(late)} comments committed after the close committed")
    if stored != set(race.accepted):
        problems.append(f"round {n}: stored comments are not the accepted ones")
    if race.never_refused or len(race.refused) != SUBMITTERS:
        problems.append(f"round {n}: {race.never_refused} submitters were never refused")
    if any(
        r.code != "thread_closed" or r.extra.get("thread_id") != thread_id for r in race.refused
    ):
        problems.append(f"round {n}: a refusal is not this thread's thread_closed")
    return problems


@pytest.mark.parametrize("closer", ["close", "close_stale"])
def test_no_comment_is_accepted_after_the_close_commits(
    engine: Engine, settings: Settings, closer: str
) -> None:
    settings = settings.with_(premoderation="none")
    problems: list[str] = []
    for n in range(ROUNDS):
        problems += _race_one_round(engine, settings, closer, n)
    assert problems == []


def test_a_submission_without_a_time_is_judged_when_it_holds_the_lock(
    engine: Engine, settings: Settings
) -> None:
    """Without ``now``, the clock is read once the thread is locked: a thread whose auto-close
    time has passed refuses, however long the submission waited for its turn."""
    thread_id = make_thread(engine, published_at=utcnow() - timedelta(days=2), auto_close_days=1)
    with pytest.raises(ThreadClosed), session_scope(engine) as session:
        submit_comment(
            session,
            thread_id,
            Submission(author_name="Late", body="Is this thread still open?"),
            settings=settings.with_(premoderation="none"),
        )
    assert _comment_ids(engine, thread_id) == set()
