"""Shared fixtures: the same DB tests run on a SQLite file and on a real PostgreSQL server.

Every test gets a fresh database built by the migrations: a copy of a migrated SQLite
template file, or a PostgreSQL database cloned from a migrated template database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from tests import redis_server
from tests.pg import INSTALL_HINT, PgCluster, find_pg_bin, start_cluster
from threads.config import Settings
from threads.db import make_engine, upgrade

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "fixtures"
BACKENDS = ["sqlite", "postgresql"]
IN_CI = bool(os.environ.get("CI"))


def corpora_dir() -> Path:
    """The shared third-party corpora: THREADS_CORPORA, else ``shared/corpora`` beside the
    checkout (``../shared/corpora``) or beside one of its parents (a clone made in a
    sub-folder of the workspace still finds it)."""
    given = os.environ.get("THREADS_CORPORA")
    if given:
        return Path(given)
    default = REPO_ROOT.parent / "shared" / "corpora"
    for parent in REPO_ROOT.parents:
        candidate = parent / "shared" / "corpora"
        if candidate.is_dir():
            return candidate
    return default


@pytest.fixture(scope="session")
def corpora() -> Path:
    path = corpora_dir()
    if not path.is_dir():
        message = f"corpora folder {path} not found (set THREADS_CORPORA)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of a real PostgreSQL server: THREADS_TEST_POSTGRES_URL or a throwaway one."""
    given = os.environ.get("THREADS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bindir = find_pg_bin()
    if bindir is None:
        if IN_CI:
            pytest.fail(INSTALL_HINT + " (CI is set: PostgreSQL tests must not skip)")
        pytest.skip(INSTALL_HINT)
    cluster: PgCluster = start_cluster(bindir)
    try:
        yield cluster.admin_url
    finally:
        cluster.stop()


def _pg_url_for(admin_url: str, dbname: str) -> str:
    url = make_url(admin_url).set(database=dbname)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _pg_execute(admin_url: str, *statements: str) -> None:
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


class PgDatabases:
    """Creates and drops databases on the test server; clones the migrated template."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"threads_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_template"
        self._template_ready = False
        self.created: list[str] = []

    def empty(self) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        _pg_execute(self.admin_url, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return _pg_url_for(self.admin_url, name)

    def migrated(self) -> str:
        if not self._template_ready:
            _pg_execute(self.admin_url, f'CREATE DATABASE "{self.template}"')
            engine = make_engine(_pg_url_for(self.admin_url, self.template))
            try:
                upgrade(engine)
            finally:
                engine.dispose()
            self._template_ready = True
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        _pg_execute(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return _pg_url_for(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        _pg_execute(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        names = [*self.created, self.template]
        _pg_execute(self.admin_url, *[f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names])


@pytest.fixture(scope="session")
def pg_databases(pg_admin_url: str) -> Iterator[PgDatabases]:
    databases = PgDatabases(pg_admin_url)
    try:
        yield databases
    finally:
        databases.drop_all()


# --------------------------------------------------------------------------- Redis / Valkey


@pytest.fixture(scope="session")
def redis_session() -> Iterator[redis_server.RedisServer]:
    """A real Redis-compatible server for the session (skips, outside CI, when none is
    installed; scripts/ensure-redis.sh installs one)."""
    binary = redis_server.find_server()
    if binary is None:
        if IN_CI:
            pytest.fail(redis_server.INSTALL_HINT + " (CI is set: these tests must not skip)")
        pytest.skip(redis_server.INSTALL_HINT)
    server = redis_server.start_server(binary)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store(redis_session: redis_server.RedisServer) -> redis_server.RedisServer:
    """The session's server, emptied for this test (each xdist worker has its own server)."""
    redis_session.flush()
    return redis_session


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


# --------------------------------------------------------------------------- per test


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema revision, on each backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "threads.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    url = databases.migrated()
    try:
        yield url
    finally:
        databases.drop(url)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no schema at all, on each backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    url = databases.empty()
    try:
        yield url
    finally:
        databases.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def new_db(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], Engine]]:
    """A factory of fresh migrated databases on the test's backend, all dropped at the end."""
    engines: list[Engine] = []
    pg_urls: list[str] = []

    def make() -> Engine:
        if backend == "sqlite":
            template: Path = request.getfixturevalue("sqlite_template")
            path = tmp_path / f"db-{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(template, path)
            url = f"sqlite:///{path}"
        else:
            url = request.getfixturevalue("pg_databases").migrated()
            pg_urls.append(url)
        engine = make_engine(url)
        engines.append(engine)
        return engine

    try:
        yield make
    finally:
        for engine in engines:
            engine.dispose()
        if pg_urls:
            databases = request.getfixturevalue("pg_databases")
            for url in pg_urls:
                databases.drop(url)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)
