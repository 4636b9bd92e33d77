"""A database that is down answers 503 with Retry-After, and the API recovers by itself; a
database that cannot be written is refused at start with one line."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from tests.api_fixtures import Keys, make_keys
from tests.conftest import IN_CI, _pg_execute
from tests.moderation_support import make_thread
from tests.pg import INSTALL_HINT, PgCluster, find_pg_bin, start_cluster
from threads.api import create_app
from threads.config import Settings
from threads.db import database_unavailable, make_engine, upgrade
from threads.errors import DatabaseUnavailable

THREADS = str(Path(sys.executable).with_name("threads"))
COMMENT = {"author_name": "Reader", "body": "Is the gold still in the vault?"}


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL server of this test's own, so that the test can stop and start it."""
    bindir = find_pg_bin()
    if bindir is None:
        if IN_CI:
            pytest.fail(INSTALL_HINT + " (CI is set: PostgreSQL tests must not skip)")
        pytest.skip(INSTALL_HINT)
    cluster = start_cluster(bindir)
    try:
        yield cluster
    finally:
        cluster.stop()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    headers = response.headers
    assert headers["content-type"].startswith("application/problem+json")
    assert int(headers["retry-after"]) > 0
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["status"] == 503
    assert body["retry_after"] == int(headers["retry-after"])
    # nothing about internals: no driver, no address
    assert "psycopg" not in body["detail"] and "127.0.0.1" not in body["detail"]


def test_postgresql_down_is_503_with_retry_after_and_recovers_without_restart(
    own_cluster: PgCluster,
) -> None:
    _pg_execute(own_cluster.admin_url, 'CREATE DATABASE "threads"')
    url = make_url(own_cluster.admin_url).set(database="threads").render_as_string()
    engine = make_engine(url)
    try:
        upgrade(engine)
        thread_id = make_thread(engine)
        keys = make_keys(engine)
    finally:
        engine.dispose()
    viewer = Keys.header(keys.viewer)
    read, write = f"/api/threads/{thread_id}", f"/api/threads/{thread_id}/comments"
    with TestClient(create_app(Settings(database_url=url))) as client:
        assert client.get(read).status_code == 200
        assert client.get("/api/queue", headers=viewer).status_code == 200

        own_cluster.halt()
        _assert_unavailable(client.get(read))
        _assert_unavailable(client.get("/api/threads"))
        _assert_unavailable(client.post(write, json=COMMENT))
        _assert_unavailable(client.get("/api/queue", headers=viewer))

        own_cluster.resume()  # the same app, never restarted
        assert client.get(read).status_code == 200
        created = client.post(write, json=COMMENT)
        assert created.status_code == 201, created.text
        queue = client.get("/api/queue", headers=viewer)
        assert queue.status_code == 200
        assert [i["comment"]["id"] for i in queue.json()["items"]] == [
            created.json()["comment"]["id"]
        ]


# --------------------------------------------------------------------------- cannot be written


@pytest.fixture
def unwritable_url(backend: str, db_url: str, request: pytest.FixtureRequest) -> str:
    """A migrated database that refuses writes: a SQLite file opened read-only (as root, file
    permissions do not stop a writer, so SQLite is asked for read-only access with ``mode=ro``),
    a PostgreSQL database whose transactions are read-only."""
    if backend == "sqlite":
        path = make_url(db_url).database
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    name = make_url(db_url).database
    admin = request.getfixturevalue("pg_admin_url")
    _pg_execute(admin, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    return db_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_refused_in_one_line(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as refused:
        create_app(Settings(database_url=url))
    assert "cannot be written" in str(refused.value)
    assert "\n" not in str(refused.value)

    env = {**os.environ, "THREADS_DATABASE_URL": url}
    # The timeout only keeps a server that wrongly started from hanging the suite.
    served = subprocess.run(
        [THREADS, "serve", "--port", str(_free_port()), "--no-access-log"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert served.returncode == 1
    lines = served.stderr.strip().splitlines()
    assert len(lines) == 1, served.stderr
    assert lines[0].startswith("error: ") and "cannot be written" in lines[0]
    assert "Traceback" not in served.stderr and "threads API on" not in served.stderr


def test_a_database_that_cannot_be_written_is_refused_at_start(
    unwritable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _assert_refused_in_one_line(unwritable_url)
    assert not (tmp_path / "file:").exists()  # a file: URI is no folder to create


def test_only_errors_of_an_unusable_database_count_as_unavailable(
    backend: str, engine: Engine, db_url: str
) -> None:
    with pytest.raises(DBAPIError) as wrong, engine.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM no_such_table")
    assert not database_unavailable(wrong.value)
    if backend == "sqlite":
        down = make_engine(f"sqlite:///file:{make_url(db_url).database}?mode=ro&uri=true")
        statement = "UPDATE alembic_version SET version_num = version_num"
    else:
        down = make_engine(make_url(db_url).set(port=_free_port()).render_as_string(False))
        statement = "SELECT 1"
    try:
        with pytest.raises(DBAPIError) as refused, down.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        down.dispose()
    assert database_unavailable(refused.value)


def test_an_immutable_sqlite_file_is_refused_at_start(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """A file the server cannot write: read-only permissions, or as root (whom permissions do not
    stop) the immutable attribute, where the file system and the container allow setting it."""
    path = tmp_path / "immutable.db"
    shutil.copyfile(sqlite_template, path)
    as_root = os.geteuid() == 0
    if as_root:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
            pytest.skip("cannot make a file unwritable for root here (chattr +i refused)")
    else:
        path.chmod(0o444)
    try:
        _assert_refused_in_one_line(f"sqlite:///{path}")
    finally:
        if as_root:
            subprocess.run([str(shutil.which("chattr")), "-i", str(path)], check=True)
