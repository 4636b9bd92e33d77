"""Render the terminal pictures of the README and the docs: a thread report, as the terminal
shows it, saved as SVG by Rich itself.

    python scripts/screenshots.py        # (re)write docs/img/report-thread.svg

The report is made as `make demo` makes it (the seed page imported and classified in a
throwaway SQLite file) with a fixed report time, so the picture changes only when the report
does. Rich's SVG names a web font on a CDN; that reference is removed so that the page fetches
nothing (the terminal's monospace font is used). ``scripts/gen_docs.py`` calls this too, and
``tests/test_docs_reference.py`` fails when the committed picture is stale.
"""

from __future__ import annotations

import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

SEED = ROOT / "fixtures" / "consortiumnews-us-policy-unites-iran-and-china.txt"
REPORT_TIME = datetime(2024, 1, 1, tzinfo=UTC)
WIDTH = 100


def report_svg() -> str:
    """The seed thread's report, rendered by the CLI's renderer, as an SVG picture."""
    from rich.console import Console

    import threads
    from cli.render import render_rich

    with tempfile.TemporaryDirectory() as folder:
        with threads.Database(Path(folder) / "screenshots.db") as db:
            db.ingest([SEED])  # thread 1
            db.classify()
            report = db.report(1, generated_at=REPORT_TIME)
        console = Console(
            record=True,
            width=WIDTH,
            force_terminal=True,
            color_system="truecolor",
            legacy_windows=False,
            file=open("/dev/null", "w"),  # noqa: SIM115 - only the recording is kept
        )
        try:
            render_rich(report, console)
            svg = console.export_svg(title="threads report --source " + SEED.name)
        finally:
            console.file.close()
    # no font from a CDN: a page that shows the picture fetches nothing
    svg = re.sub(r"@font-face\s*\{[^}]*\}\s*", "", svg)
    svg = svg.replace("Generated with Rich https://www.textualize.io", "Generated with Rich")
    if "https://" in svg:
        raise RuntimeError("the report picture still names a resource on the web")
    return svg


OUTPUTS = {"docs/img/report-thread.svg": report_svg}


def main() -> int:
    for name, make in OUTPUTS.items():
        target = ROOT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(make(), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
