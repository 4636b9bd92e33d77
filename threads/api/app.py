"""The Litestar application: ``create_app(settings)`` wires the engine, routes and error table."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads import __version__
from threads.api.access_log import install_redaction
from threads.api.audit_routes import AuditController
from threads.api.authors_routes import AuthorActionController, AuthorController
from threads.api.body import BoundedJsonRequest
from threads.api.campaigns_routes import CampaignController
from threads.api.comments_routes import CommentController
from threads.api.console import TEMPLATES, console_routers, session_middleware
from threads.api.deps import DEPENDENCIES
from threads.api.hooks_routes import HookController
from threads.api.keys_routes import KeyController
from threads.api.openapi import (
    SCHEMA_PATH,
    StrictStructSchemaPlugin,
    schema_assets,
    schema_pages,
)
from threads.api.problems import problem_details_plugin
from threads.api.queue_routes import QueueController
from threads.api.ratelimit import STORE_NAME, rate_limit_config, rate_limit_store
from threads.api.replay_routes import PolicyController, SnapshotController
from threads.api.sites_routes import SiteController
from threads.api.threads_routes import ThreadController
from threads.api.webhooks_worker import delivery_lifespan
from threads.config import Settings
from threads.db import ensure_schema, ensure_writable, make_engine
from threads.models import DEFAULT_CODEBOOK, Comment


def _taxonomy(settings: Settings) -> Any | None:
    """The codebook, when the topics package provides one."""
    try:
        from threads.topics.taxonomy import load_taxonomy
    except ImportError:
        return None
    return load_taxonomy(settings.taxonomy_path)


def _classifier(taxonomy: Any | None) -> Callable[[Session, Comment], None] | None:
    """Topic classification for new comments, when the topics package provides it."""
    if taxonomy is None:
        return None
    try:
        from threads.topics.service import classify_comments
    except ImportError:
        return None

    def classify(session: Session, comment: Comment) -> None:
        classify_comments(session, [comment], taxonomy)

    return classify


def _optional_controllers() -> list[Any]:
    """Endpoints whose service lives in another package: present once that package is."""
    try:
        available = importlib.util.find_spec("threads.topics.labels") is not None
    except ModuleNotFoundError:
        available = False
    if not available:
        return []
    from threads.api.labels_routes import LabelController

    return [LabelController]


def create_app(settings: Settings) -> Litestar:
    """The API over ``settings.database_url``: one engine per app, disposed on shutdown.

    The schema is checked (and the embedded SQLite file migrated) before the app is returned;
    a database that cannot be written is refused (:class:`~threads.errors.DatabaseUnavailable`).
    """
    install_redaction()  # before any request: the access log never writes a credential
    engine: Engine = make_engine(settings.database_url)
    try:
        ensure_schema(engine, auto_migrate=settings.auto_migrate)
        ensure_writable(engine)
    except BaseException:
        engine.dispose()
        raise
    taxonomy = _taxonomy(settings)
    state = State(
        {
            "settings": settings,
            "engine": engine,
            "taxonomy": taxonomy,
            "codebook": taxonomy.name if taxonomy is not None else DEFAULT_CODEBOOK,
            "classify": _classifier(taxonomy),
        }
    )

    def dispose(app: Litestar) -> None:
        app.state.engine.dispose()

    limit = rate_limit_config(settings)
    api = Router(
        path="/",
        route_handlers=[
            ThreadController,
            SiteController,
            CommentController,
            QueueController,
            AuditController,
            KeyController,
            HookController,
            AuthorController,
            AuthorActionController,
            PolicyController,
            SnapshotController,
            CampaignController,
            *_optional_controllers(),
        ],
    )
    return Litestar(
        route_handlers=[api, *schema_assets(), *console_routers(settings)],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        state=state,
        middleware=[
            session_middleware(settings),
            *([limit.middleware] if limit is not None else []),
        ],
        stores={STORE_NAME: rate_limit_store(settings)},
        dependencies=DEPENDENCIES,
        on_shutdown=[dispose],
        # webhook deliveries, after the actions' commits (stopped before the engine is disposed)
        lifespan=[delivery_lifespan(settings)] if settings.webhook_worker else [],
        logging_config=_logging_config(),
        plugins=[StrictStructSchemaPlugin(), problem_details_plugin()],
        request_max_body_size=settings.max_request_bytes,
        request_class=BoundedJsonRequest,
        openapi_config=OpenAPIConfig(
            title="threads moderation API",
            version=__version__,
            path=SCHEMA_PATH,
            render_plugins=schema_pages(),
            description=(
                "Moderation queue, actions with an audit trail, threads that stay closed. "
                "Errors are RFC 9457 problem details with a stable `code`."
            ),
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An API key from `threads keys create`",
                    )
                }
            ),
        ),
        debug=False,
    )


def app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory threads.api.app:app_from_env`` (settings from THREADS_*)."""
    return create_app(Settings.from_env())


__all__: list[Any] = ["create_app", "app_from_env"]


def _logging_config() -> LoggingConfig:
    """Litestar's and our own records to stderr, leaving the root logger to the caller (an
    app is made inside other programs too: tests, scripts, the CLI)."""

    def stderr() -> dict[str, Any]:
        return {"class": "logging.StreamHandler", "level": "DEBUG", "formatter": "standard"}

    return LoggingConfig(
        configure_root_logger=False,
        # "queue_listener" is a name Litestar insists on: here it is a plain handler too
        handlers={"console": stderr(), "queue_listener": stderr()},
        loggers={
            "litestar": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "threads": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    )
