"""The console's /reports page in a real Chromium against a real `threads serve`: the report
and its charts show under the console's Content-Security-Policy, with nothing refused."""

from __future__ import annotations

from tests.test_console_browser import Served, browser, page, served, sign_in  # noqa: F401

__all__ = ["browser", "page", "served"]


def test_the_report_page_shows_its_charts_and_styles_without_a_csp_refusal(
    served: Served,
    page: object,  # noqa: F811
) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))  # type: ignore[attr-defined]
    sign_in(page, served, served.viewer_key)
    page.goto(f"{served.base}/console/reports")  # type: ignore[attr-defined]
    page.wait_for_selector("section#charts")  # type: ignore[attr-defined]
    refused = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == [], refused
    charts = page.locator("figure svg.chart")  # type: ignore[attr-defined]
    assert charts.count() == 5
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # the served stylesheet applies (a heading's rule from report.css)
    border = page.eval_on_selector(  # type: ignore[attr-defined]
        "#summary-h", "e => getComputedStyle(e).borderBottomStyle"
    )
    assert border == "solid"
    assert page.get_by_role("link", name="Reports").count() == 1  # type: ignore[attr-defined]
