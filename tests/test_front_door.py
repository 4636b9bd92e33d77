"""The README's library example runs as written, and the front door's operations are the
commands' (same database, same results)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

import threads

ROOT = Path(__file__).resolve().parent.parent


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## As a library", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the README's 'As a library' section has no python example"
    return found.group(1)


def test_the_readme_library_example_runs(tmp_path: Path) -> None:
    code = _readme_example()
    assert len(code.strip().splitlines()) <= 12
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADS_")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "comments;" in result.stdout and "russia" in result.stdout
    rows = list(csv.DictReader((tmp_path / "comments.csv").open(encoding="utf-8")))
    assert rows and "rejected" in {r["status"] for r in rows}
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'example.db'}")
    with engine.connect() as conn:
        actions = conn.execute(sa.text("SELECT action, actor FROM moderation_event")).all()
    engine.dispose()
    assert ("reject", "ann") in [tuple(a) for a in actions]


def test_the_front_door_works_on_either_backend(db_url: str, tmp_path: Path) -> None:
    seed = ROOT / "fixtures" / "consortiumnews-us-policy-unites-iran-and-china.txt"
    with threads.Database(db_url) as db:
        first = db.ingest([seed])
        assert first.totals()["files_ok"] == 1
        assert db.ingest([seed]).totals()["files_unchanged"] == 1
        stats = db.classify()
        assert stats.classified > 0
        assert [b.name for b in db.codebooks()] == ["iran-china-2014"]
        report = db.report(all_threads=True)
        assert report.topics.comments == stats.classified
        page = db.queue(statuses=["approved"])
        target = page.items[0].comment
        moderated = db.moderate(target.id, "spam", by="ann")
        assert moderated.status == "spam" and moderated.version == target.version + 1
        out = tmp_path / "archive.jsonl"
        counts = db.export("jsonl", out)
        assert counts["comment"] == page.total and out.read_text(encoding="utf-8")
        assert db.app() is not None
