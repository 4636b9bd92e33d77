"""Drawing the charts of :mod:`threads.analysis.chart_data` with matplotlib (Agg backend, the
fonts shipped inside matplotlib, no network), as SVG or PNG.

SVG output is deterministic (a fixed ``svg.hashsalt``, no date, glyphs drawn as paths), so the
same data gives the same bytes. :func:`inline_svg` turns it into markup to put inside an HTML page
under a strict Content-Security-Policy: no ``style`` attributes or elements (they become SVG
presentation attributes) and ids prefixed, so several charts can share one page.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from typing import Any

from lxml import etree

from threads.analysis.chart_data import Chart
from threads.errors import InvalidInput

FORMATS = ("svg", "png")
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: most tick labels on a time axis (the others are left out; every period keeps its place)
MAX_TICKS = 12
WIDTH_IN = 9.0
DPI = 110

_RC: Any = {
    "svg.hashsalt": "threads-charts",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
    # "$" in a title is a dollar, not mathtext (an unbalanced one would be an error)
    "text.parse_math": False,
}


#: characters an SVG (XML) file cannot hold or a reader would not see: shown as \\xNN escapes
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _text(value: str) -> str:
    """Text from outside (titles, labels, codebook names) as a chart may show it."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", " ".join(value.split()))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def render_chart(chart: Chart, fmt: str) -> bytes:
    """The chart as SVG or PNG bytes."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown chart format {fmt!r} (expected svg or png)", field="--out")
    plt = _pyplot()
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig = _figure(plt, chart)
        try:
            out = io.BytesIO()
            metadata: dict[str, Any] = (
                {"Date": None, "Creator": "threads"} if fmt == "svg" else {"Software": "threads"}
            )
            fig.savefig(out, format=fmt, dpi=DPI, metadata=metadata)
        finally:
            plt.close(fig)
    return out.getvalue()


def _figure(plt: Any, chart: Chart) -> Any:
    height = max(3.2, 2.2 + 0.32 * len(chart.series)) if chart.kind == "heatmap" else 4.6
    fig = plt.figure(figsize=(WIDTH_IN, height), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(_text(chart.title), x=0.01, ha="left", fontsize=12, fontweight="bold")
    # the caption under everything, placed by the layout like an axis label
    fig.supxlabel(
        "\n".join(textwrap.wrap(_text(chart.caption), 120)),
        x=0.01,
        ha="left",
        fontsize=7,
        color="#444444",
    )
    if not chart.categories or not chart.series:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return fig
    if chart.kind == "heatmap":
        _heatmap(ax, chart)
    elif chart.kind == "bars":
        _bars(ax, chart)
    else:
        _lines(ax, chart)
    ax.set_xlabel(_text(chart.x_label))
    ax.set_ylabel(_text(chart.y_label))
    return fig


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _time_ticks(ax: Any, categories: list[str]) -> None:
    step = max(1, math.ceil(len(categories) / MAX_TICKS))
    ticks = list(range(0, len(categories), step))
    ax.set_xticks(ticks, [_text(categories[i]) for i in ticks], rotation=45, ha="right")
    ax.set_xlim(-0.6, len(categories) - 0.4)


def _lines(ax: Any, chart: Chart) -> None:
    import matplotlib

    xs = list(range(len(chart.categories)))
    colours = matplotlib.colormaps["tab10" if len(chart.series) <= 10 else "tab20"]
    percent = chart.unit == "%"
    for i, s in enumerate(chart.series):
        ys = [_nan(v) * (100 if percent else 1) for v in s.values]
        # NaN breaks the line: a period without data is a gap; markers show lone points
        colour = colours(i)
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.4, color=colour, label=_text(s.label))
    if chart.y_range is not None:
        low, high = chart.y_range
        ax.set_ylim(low * (100 if percent else 1), high * (100 if percent else 1))
    if chart.y_range == (-1.0, 1.0):
        ax.axhline(0, color="#999999", linewidth=0.6)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    _time_ticks(ax, chart.categories)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    ax.set_xlim(-0.6, len(chart.categories) - 0.4)


def _bars(ax: Any, chart: Chart) -> None:
    xs = list(range(len(chart.categories)))
    ys = [_nan(v) for v in chart.series[0].values]
    ax.bar(xs, ys, width=0.85, color="#4c72b0")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    _time_ticks(ax, chart.categories)


def _heatmap(ax: Any, chart: Chart) -> None:
    import matplotlib
    import numpy as np

    percent = chart.unit.startswith("%")
    scale = 100.0 if percent else 1.0
    data = np.array([[_nan(v) * scale for v in s.values] for s in chart.series], dtype=float)
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#eeeeee")
    finite = data[np.isfinite(data)]
    top = 100.0 if percent else max(1.0, float(finite.max()) if finite.size else 1.0)
    # cells as vector rectangles (pcolormesh), not a raster image: an SVG <image> would be a
    # data: URL, which the console's CSP (img-src 'self') refuses
    rows, columns = data.shape
    image = ax.pcolormesh(
        np.arange(columns + 1) - 0.5,
        np.arange(rows + 1) - 0.5,
        np.ma.masked_invalid(data),
        cmap=cmap,
        vmin=0,
        vmax=top,
        edgecolors="white",
        linewidth=0.5,
    )
    ax.set_xlim(-0.5, columns - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)  # the first row on top, as in a table
    ax.set_xticks(range(len(chart.categories)), [_text(c) for c in chart.categories])
    ax.set_yticks(range(len(chart.series)), [_text(s.label) for s in chart.series])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for (r, c), value in np.ndenumerate(data):
        missing = math.isnan(value)
        text = "—" if missing else f"{value:.0f}%" if percent else f"{value:,.0f}"
        colour = "white" if not missing and value > top * 0.6 else "black"
        ax.text(c, r, text, ha="center", va="center", fontsize=8, color=colour)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(_text(chart.unit))
    if not percent:
        from matplotlib.ticker import MaxNLocator

        bar.locator = MaxNLocator(integer=True)  # counts are whole
        bar.update_ticks()
    if bar.solids is not None:
        bar.solids.set_rasterized(False)  # vector too (a long colour bar is rasterised)


# --------------------------------------------------------------------------- inline SVG

_STYLE_DECL = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]+?)\s*(?:;|$)")
_URL_REF = re.compile(r"url\(#([^)]+)\)")


def inline_svg(svg: bytes, prefix: str, title: str) -> str:
    """The SVG as markup for an HTML page with ``style-src 'self'``: every ``style`` attribute
    becomes presentation attributes, ``<style>`` and metadata go, ids get ``prefix``, size comes
    from the page's stylesheet; ``title`` labels it for screen readers."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(svg, parser)
    inherited: dict[str, str] = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if local == "style":
            text = node.text or ""
            inherited.update(_declarations(text[text.find("{") + 1 : text.rfind("}")]))
        style = node.get("style")
        if style is not None:
            del node.attrib["style"]
            for key, value in _declarations(style).items():
                if node.get(key) is None:
                    node.set(key, value)
        ident = node.get("id")
        if ident is not None:
            node.set("id", prefix + ident)
        for key, value in list(node.items()):
            if key == f"{{{XLINK_NS}}}href" and value.startswith("#"):
                node.attrib[key] = "#" + prefix + value[1:]
            elif "url(#" in value:
                node.attrib[key] = _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", value)
    for node in list(root.iter()):
        if isinstance(node.tag, str) and etree.QName(node).localname in ("style", "metadata"):
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    for key, value in inherited.items():
        if root.get(key) is None:
            root.set(key, value)
    for key in ("width", "height"):
        if root.get(key) is not None:
            del root.attrib[key]
    root.attrib["class"] = "chart"
    root.attrib["role"] = "img"
    root.attrib["aria-label"] = title
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="unicode")


def _declarations(text: str) -> dict[str, str]:
    return {m.group(1).strip(): m.group(2).strip() for m in _STYLE_DECL.finditer(text)}
