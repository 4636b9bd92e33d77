"""The console's report page: the corpus report (``threads report --format html``) for any
signed-in key (viewer role and up), over every thread or a site's, within a date range.

The page keeps the console's Content-Security-Policy (no inline script or style): the charts
are inline SVG without style attributes (:func:`threads.analysis.charts.inline_svg`) and the
report's stylesheet is served from here.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlmodel import Session

from threads.analysis.common import ReportQuery
from threads.analysis.html_report import STYLESHEET, render_report_body
from threads.analysis.report import build_corpus, report_agreement
from threads.api.console import _page, _principal, _signin, _take_flash
from threads.api.console_history import _day
from threads.config import Settings
from threads.errors import ThreadsError


@get("/reports", sync_to_thread=True)
def reports_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    settings: NamedDependency[Settings],
    site: Annotated[str | None, Parameter(max_length=255)] = None,
    since: Annotated[str | None, Parameter(max_length=40)] = None,
    until: Annotated[str | None, Parameter(max_length=40)] = None,
) -> Template | Redirect:
    """The corpus report; a bad filter is said on the page, above no report."""
    try:
        principal = _principal(request, db)
        if principal is None:
            return _signin()
        filters = {"site": site, "since": since, "until": until}
        body = None
        error = None
        try:
            query = ReportQuery(
                all_threads=not site,
                site=site or None,
                since=_day(since, "since"),
                until=_day(until, "until", end=True),
                taxonomy_path=settings.taxonomy_path,
                generated_at=settings.generated_at(),
            )
            engine = db.get_bind()
            report = build_corpus(engine, query)  # type: ignore[arg-type]
            body = render_report_body(report, report_agreement(engine, query))  # type: ignore[arg-type]
        except ThreadsError as exc:
            error = str(exc)
        return _page(
            "reports.html",
            status_code=200 if error is None else 400,
            principal=principal,
            flash=_take_flash(request),
            filters=filters,
            body=body,
            error=error,
        )
    finally:
        db.commit()
        db.close()


@get("/reports/report.css", sync_to_thread=False)
def report_stylesheet() -> Response[str]:
    """The report's stylesheet (inline in the HTML file, served here under the console's CSP)."""
    return Response(
        STYLESHEET.read_text(encoding="utf-8"),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=3600"},
    )


#: registered by :func:`threads.api.console.console_routers`
REPORT_ROUTES = [reports_page, report_stylesheet]

__all__ = ["REPORT_ROUTES"]
