"""`threads classify --jobs N`: several worker processes, the same results as one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.app import app
from tests.moderation_support import make_comment, make_thread
from threads.db import session_scope
from threads.db.types import utcnow
from threads.models import Comment, CommentClassification, CommentTopic
from threads.topics.parallel import CHUNK, start_method
from threads.topics.service import classify_stored, train_models
from threads.topics.taxonomy import load_taxonomy

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _bodies() -> list[str]:
    lines = (FIXTURES / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["body"] for line in lines if line.strip()]


def _fill(engine: Engine) -> None:
    """The labelled comments as stored ones: some as HTML, one purged."""
    tid = make_thread(engine, title="How US Policy Unites Iran and China")
    for n, body in enumerate(_bodies()):
        if n % 7 == 3:
            make_comment(
                engine, tid, body=f"<p>{body}</p><p>Gold &amp; Russia.</p>", body_format="html"
            )
        else:
            make_comment(engine, tid, body=body, purged=n == 11)


def _learn(engine: Engine) -> None:
    """A learned model for one topic, so that the workers carry layer 2 as well."""
    from sqlalchemy import insert

    from threads.models import LabelSource

    taxonomy = load_taxonomy(None)
    with session_scope(engine) as session:
        ids = [c.id for c in session.exec(select(Comment).order_by(Comment.id).limit(8))]
        rows = [
            {
                "comment_id": cid,
                "codebook": taxonomy.name,
                "topic_id": "russia",
                "score": 1.0,
                "assigned": n % 2 == 0,
                "evidence": [],
                "source": LabelSource.MODERATOR,
                "labeler": "mia",
                "taxonomy_version": taxonomy.version,
                "created_at": utcnow(),
            }
            for n, cid in enumerate(ids)
        ]
        session.execute(insert(CommentTopic), rows)
        assert train_models(session, taxonomy, shipped=False).trained == ["russia"]


@contextmanager
def _another_thread() -> Iterator[None]:
    """A second thread in this process while the block runs (as a progress bar's would be)."""
    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait)
    waiter.start()
    try:
        assert start_method() == "spawn"
        yield
    finally:
        stop.set()
        waiter.join()


def _results(engine: Engine) -> dict[str, Any]:
    """Everything a classification run stores, without its clock."""
    with Session(engine) as session:
        labels = [
            (t.comment_id, t.codebook, t.topic_id, t.score, t.assigned, t.evidence, t.source,
             t.taxonomy_version)
            for t in session.exec(
                select(CommentTopic).order_by(CommentTopic.comment_id, CommentTopic.topic_id,
                                              CommentTopic.source)
            )
        ]  # fmt: skip
        marks = [
            (m.comment_id, m.codebook, m.fingerprint, m.content_hash)
            for m in session.exec(
                select(CommentClassification).order_by(CommentClassification.comment_id)
            )
        ]
        sentiment = [
            (c.id, c.sentiment, c.sentiment_scores)
            for c in session.exec(select(Comment).order_by(Comment.id))
        ]
    return {"labels": labels, "marks": marks, "sentiment": sentiment}


def test_two_worker_processes_store_what_one_process_stores(new_db: Any) -> None:
    taxonomy = load_taxonomy(None)
    one, two = new_db(), new_db()
    for engine in (one, two):
        _fill(engine)
        _learn(engine)
    # batches of 10: the 93 comments go out as ten tasks, handed to both workers in turn; with
    # another thread running, the workers are spawned (not forked): the codebook and the
    # learned models reach them pickled
    serial = classify_stored(one, taxonomy, batch_size=10)
    with _another_thread():
        parallel = classify_stored(two, taxonomy, batch_size=10, jobs=2)
    assert serial.as_dict() == parallel.as_dict()
    assert serial.learned_topics == ["russia"] and serial.purged == 1
    assert serial.classified == len(_bodies()) - 1
    expected = _results(one)
    assert any(label[4] for label in expected["labels"]) and expected["marks"]
    assert _results(two) == expected
    # and the next run finds nothing left to do, as after one process
    assert classify_stored(two, taxonomy, jobs=2).considered == 0


def test_classify_jobs_from_the_cli(db_url: str, engine: Engine) -> None:
    _fill(engine)
    result = runner.invoke(app, ["classify", "--jobs", "2"], env={"THREADS_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert f"classified {len(_bodies()) - 1} comments" in result.output
    assert "1 purged comment skipped" in result.output
    with Session(engine) as session:
        marked = session.execute(
            sa.select(sa.func.count()).select_from(CommentClassification)
        ).scalar_one()
    assert marked == len(_bodies())


# --------------------------------------------------------------------------- research mode


def _research_input(path: Path, count: int, bad_at: int | None = None) -> Path:
    bodies = _bodies()
    with path.open("w", encoding="utf-8") as f:
        for n in range(count):
            if n == bad_at:
                f.write('{"id": "broken"}\n')
            else:
                # ids of both kinds (a bidi control in some, kept escaped), a blank line at times
                item_id: Any = n if n % 2 else f"c{n}" + ("\u202e" if n % 50 == 0 else "")
                body = bodies[n % len(bodies)]
                f.write(json.dumps({"id": item_id, "body": body}) + "\n")
                if n % 97 == 0:
                    f.write("\n")
    return path


def _classify_input(tmp_path: Path, source: Path, *jobs: str) -> Any:
    db = tmp_path / "never.db"
    result = runner.invoke(
        app,
        ["classify", "--input", str(source), *jobs],
        env={"THREADS_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert not db.exists()
    return result


def test_classify_input_with_jobs_writes_the_same_bytes(tmp_path: Path) -> None:
    count = 2 * CHUNK + 137  # three tasks, the last one short
    source = _research_input(tmp_path / "in.jsonl", count)
    one = _classify_input(tmp_path, source)
    two = _classify_input(tmp_path, source, "--jobs", "2")
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert two.stdout_bytes == one.stdout_bytes
    lines = one.stdout.splitlines()
    assert len(lines) == count
    assert [json.loads(line)["id"] for line in lines[:3]] == ["c0\u202e", 1, "c2"]
    assert "\u202e" not in one.stdout and "\\u202e" in one.stdout


def test_classify_input_with_jobs_in_a_real_process_writes_the_same_bytes(
    tmp_path: Path,
) -> None:
    # a `threads` process runs no other thread, so its workers are forked (under pytest they
    # may be spawned): both ways must give one process's bytes
    source = _research_input(tmp_path / "in.jsonl", CHUNK * 3 + 1)
    threads_bin = Path(sys.executable).with_name("threads")
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}"}
    runs = [
        subprocess.run(
            [str(threads_bin), "classify", "--input", str(source), *jobs],
            capture_output=True,
            env=env,
            check=True,
        ).stdout
        for jobs in ([], ["--jobs", "2"])
    ]
    assert runs[0] == runs[1] and runs[0].count(b"\n") == CHUNK * 3 + 1
    assert not (tmp_path / "never.db").exists()


def test_a_bad_line_stops_jobs_where_it_stops_one_process(tmp_path: Path) -> None:
    bad_at = CHUNK + 20
    source = _research_input(tmp_path / "in.jsonl", 2 * CHUNK, bad_at=bad_at)
    one = _classify_input(tmp_path, source)
    two = _classify_input(tmp_path, source, "--jobs", "2")
    assert one.exit_code != 0 and two.exit_code == one.exit_code
    assert "body: expected a string" in two.output and "Traceback" not in two.output
    # every line before the bad one is written, by one process or by two
    assert two.stdout_bytes == one.stdout_bytes
    assert len(one.stdout.splitlines()) == bad_at


def test_jobs_must_be_positive(tmp_path: Path) -> None:
    source = _research_input(tmp_path / "in.jsonl", 3)
    result = _classify_input(tmp_path, source, "--jobs", "0")
    assert result.exit_code != 0 and "--jobs" in result.output


# --------------------------------------------------------------------------- Dask shards


def _shard_lines(count: int, offset: int) -> str:
    bodies = _bodies()
    rows = [
        # a Pushshift comment's shape: fields beyond id and body are ignored
        {"id": f"t1_{offset + n:05d}", "body": bodies[(offset + n) % len(bodies)],
         "subreddit": "worldnews", "created_utc": 1420070400 + n}
        for n in range(count)
    ]  # fmt: skip
    return "".join(json.dumps(r) + "\n" for r in rows)


def _shards(folder: Path) -> dict[str, str]:
    """Three shards (one zstandard-compressed, as Pushshift's are) -> their text."""
    import zstandard

    folder.mkdir()
    texts = {
        "part-0.jsonl": _shard_lines(150, 0),
        "RC_2015-01.zst": _shard_lines(240, 150),
        "part-2.ndjson": _shard_lines(90, 390) + "\n",
    }
    for name, text in texts.items():
        data = text.encode("utf-8")
        if name.endswith(".zst"):
            data = zstandard.ZstdCompressor(level=19).compress(data)
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not a shard", encoding="utf-8")
    return texts


def _expected(tmp_path: Path, texts: dict[str, str]) -> dict[str, bytes]:
    """What one process (`classify --input`) writes for each shard, by output shard name."""
    from threads.topics.shards import output_name

    out = {}
    for name, text in texts.items():
        plain = tmp_path / f"plain-{name}.jsonl"
        plain.write_text(text, encoding="utf-8")
        result = _classify_input(tmp_path, plain)
        assert result.exit_code == 0, result.output
        out[output_name(name)] = result.stdout_bytes
    return out


def _outputs(folder: Path) -> dict[str, bytes]:
    import zstandard

    found = {}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        if path.name.endswith(".zst"):
            data = zstandard.ZstdDecompressor().stream_reader(data).read()
        found[path.name] = data
    return found


def _classify_shards(tmp_path: Path, *args: str) -> Any:
    db = tmp_path / "never.db"
    result = runner.invoke(
        app, ["classify", *args], env={"THREADS_DATABASE_URL": f"sqlite:///{db}"}
    )
    assert not db.exists()
    return result


def test_dask_cluster_of_two_workers_writes_what_one_process_writes(tmp_path: Path) -> None:
    from distributed import LocalCluster

    texts = _shards(tmp_path / "shards")
    out = tmp_path / "labels"
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert len(cluster.workers) == 2
        result = _classify_shards(
            tmp_path,
            "--dask", str(tmp_path / "shards"),
            "--out", str(out),
            "--scheduler", cluster.scheduler_address,
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "classified 480 records in 3 shards" in result.output
    expected = _expected(tmp_path, texts)
    assert sorted(expected) == ["RC_2015-01.jsonl.zst", "part-0.jsonl", "part-2.jsonl"]
    assert _outputs(out) == expected


def test_dask_local_processes_write_what_one_process_writes(tmp_path: Path) -> None:
    texts = _shards(tmp_path / "shards")
    out = tmp_path / "labels"
    result = _classify_shards(
        tmp_path, "--dask", str(tmp_path / "shards"), "--out", str(out), "--jobs", "2"
    )
    assert result.exit_code == 0, result.output
    assert _outputs(out) == _expected(tmp_path, texts)


def test_a_bad_shard_is_named_and_leaves_no_half_written_output(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    _shards(shards)
    (shards / "part-2.ndjson").write_text(_shard_lines(2, 0) + '{"id": 3}\n', encoding="utf-8")
    out = tmp_path / "labels"
    result = _classify_shards(tmp_path, "--dask", str(shards), "--out", str(out), "--jobs", "1")
    assert result.exit_code == 1
    assert "part-2.ndjson:3: body: expected a string" in result.output
    assert "Traceback" not in result.output
    # the other shards are whole, the bad one has no output, no temporary file is left
    assert set(_outputs(out)) <= {"RC_2015-01.jsonl.zst", "part-0.jsonl"}


def test_dask_options_are_checked(tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    _shards(shards)
    cases = [
        (["--dask", str(shards)], "--dask DIR needs --out DIR"),
        (["--out", str(tmp_path)], "--out and --scheduler go with --dask DIR"),
        (["--dask", str(shards), "--out", str(shards)], "an output folder other than"),
        (["--dask", str(tmp_path / "none"), "--out", str(tmp_path)], "expected a folder"),
        (["--dask", str(shards), "--out", str(tmp_path), "--all"], "--dask classifies shards"),
        (
            ["--dask", str(shards), "--out", str(tmp_path), "--scheduler", "tcp://x:1",
             "--jobs", "2"],
            "--jobs: with --scheduler",
        ),
        (
            ["--dask", str(shards), "--out", str(tmp_path), "--scheduler", "nonsense"],
            "--scheduler: expected an address such as tcp://host:8786",
        ),
    ]  # fmt: skip
    for args, message in cases:
        result = _classify_shards(tmp_path, *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _classify_shards(tmp_path, "--dask", str(empty), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1 and "no shards" in result.output
