"""A replayed thread (:mod:`threads.moderation.replay`) as a file an archivist can keep.

``jsonl``: the manifest on the first line, then one line per visible comment; the manifest's
``sha256`` is that of the comment lines (``tail -n +2 FILE | sha256sum`` checks it).
``html``: one self-contained page (inline CSS, no script, no external resource, every text
escaped) with the same manifest in a table and as JSON text in a ``<details>`` block.
"""

from __future__ import annotations

import json
from html import escape

from threads.moderation.replay import Snapshot

FORMATS = ("html", "jsonl")

_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#111}
header{border-bottom:1px solid #ccc;margin-bottom:1rem}
.manifest{font-size:.85rem;border-collapse:collapse;margin:.5rem 0 1rem}
.manifest th{text-align:left;padding-right:1rem;vertical-align:top}
.manifest td{font-family:ui-monospace,monospace;word-break:break-all}
ol.comments{list-style:none;padding:0}
li.comment{border-left:3px solid #ddd;padding:.25rem .75rem;margin:.75rem 0}
.meta{font-size:.85rem;color:#444}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}
.purged{color:#666;font-style:italic}
"""


def snapshot_jsonl(snap: Snapshot) -> str:
    """The manifest line, then a line per visible comment."""
    head = json.dumps(snap.manifest(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "".join(line + "\n" for line in [head, *snap.content_lines()])


def snapshot_html(snap: Snapshot) -> str:
    """The self-contained page (see the module doc)."""
    manifest = snap.manifest()
    source = manifest["source"]
    rows = [
        ("format", f"{manifest['format']} {manifest['version']}"),
        ("site", source["site"]),
        ("thread", str(source["thread_id"])),
        ("article", source["url"] or "(no URL)"),
        ("as seen at", manifest["at"]),
        ("thread state then", manifest["state"]),
        ("visible comments", str(manifest["comments"])),
        ("audit events replayed", str(manifest["events_replayed"])),
        ("sha256", manifest["sha256"]),
        ("sha256 of", manifest["sha256_of"]),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    items = []
    for c in snap.comments:
        when = c.posted_at.isoformat().replace("+00:00", "Z") if c.posted_at else "(no time)"
        indent = min(c.depth, 8) * 1.5
        text_class = "text purged" if c.purged_since else "text"
        items.append(
            f'<li class="comment" id="c{c.id}" style="margin-left:{indent}rem">'
            f'<div class="meta">#{c.id} · {escape(c.author_name or "(anonymous)")} · '
            f"{escape(when)}"
            + (f" · reply to #{c.parent_id}" if c.parent_id is not None else "")
            + (f" · {escape(c.kind)}" if c.kind != "comment" else "")
            + f'</div><p class="{text_class}">{escape(c.text)}</p></li>'
        )
    body = "".join(items) or "<li>No comment was visible at this time.</li>"
    title = f"{snap.title or 'Thread ' + str(snap.thread_id)} as readers saw it at {manifest['at']}"
    data = json.dumps(manifest, sort_keys=True, ensure_ascii=True, indent=1)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(snap.title or 'Thread ' + str(snap.thread_id))}</h1>"
        f"<p>As readers saw it at <time>{escape(str(manifest['at']))}</time>, "
        "replayed from the moderation audit trail by threads.</p>"
        f'<table class="manifest">{table}</table>'
        f"<details><summary>Manifest (JSON)</summary><pre>{escape(data)}</pre></details>"
        f'</header><main><ol class="comments">{body}</ol></main></body></html>\n'
    )


def render_snapshot(snap: Snapshot, fmt: str) -> str:
    if fmt == "jsonl":
        return snapshot_jsonl(snap)
    return snapshot_html(snap)
