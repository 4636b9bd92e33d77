"""Benchmark: `threads ingest` of a generated Pushshift-style `.zst` dump into SQLite.

Not a test. Generates a deterministic (seeded) dump of N Reddit comments in the shape of a
Pushshift ``RC_YYYY-MM.zst`` (one JSON object a line, zstandard level 3 with a long window,
comments of many posts interleaved by time, replies by ``parent_id``, some ``[deleted]`` and
``[removed]``), then, in the same run:

* a bare pass over the same file: ``zstandard`` stream, split into lines, ``json.loads`` each
  (the floor of any reader of it), timed in this process;
* ``threads ingest FILE`` into a fresh SQLite file, in a child process whose max RSS is read
  from ``getrusage(RUSAGE_CHILDREN)`` by a small wrapper (so it is that import's alone).

Prints comments/s of both, their ratio (target >= 0.3) and the import's peak memory (target
< 300 MB). Usage::

    .venv/bin/python bench/pushshift_bench.py [--comments 1000000] [--seed 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zstandard
from _quick import capped

REPO = Path(__file__).resolve().parent.parent
WORDS = [
    "the",
    "market",
    "rates",
    "policy",
    "vote",
    "election",
    "team",
    "game",
    "season",
    "player",
    "coach",
    "city",
    "council",
    "budget",
    "school",
    "housing",
    "rent",
    "transit",
    "bike",
    "lane",
    "library",
    "park",
    "police",
    "court",
    "ruling",
    "law",
    "bill",
    "senate",
    "house",
    "governor",
    "mayor",
    "climate",
    "heat",
    "storm",
    "flood",
    "fire",
    "water",
    "power",
    "grid",
    "solar",
    "wind",
    "oil",
    "gas",
    "price",
    "wage",
    "job",
    "union",
    "strike",
    "startup",
    "founder",
    "funding",
    "product",
    "launch",
    "bug",
    "release",
    "version",
    "update",
    "patch",
    "server",
    "database",
    "query",
    "index",
    "cache",
    "latency",
    "memory",
    "thread",
    "comment",
    "reply",
    "post",
]
SUBREDDITS = ("politics", "nba", "AskReddit", "programming", "boston", "soccer", "Fitness")
AUTHORS = [f"user_{n:05d}" for n in range(20000)]


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def generate(path: Path, comments: int, seed: int) -> dict[str, int]:
    """Write the dump; returns how many comments, posts, replies, deleted and removed it has."""
    rng = random.Random(seed)
    posts = max(1, comments // 50)
    first_post = 36**5
    first_comment = 36**6
    thread_comments: dict[int, list[str]] = {}
    stats = {"comments": comments, "posts": 0, "replies": 0, "deleted": 0, "removed": 0}
    start = 1_672_531_200  # 2023-01-01T00:00:00Z
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
    compressor = zstandard.ZstdCompressor(compression_params=params)
    with path.open("wb") as raw, compressor.stream_writer(raw) as out:
        for number in range(comments):
            post = (
                int(rng.paretovariate(1.2)) % posts if rng.random() < 0.7 else rng.randrange(posts)
            )
            link = "t3_" + base36(first_post + post)
            subreddit = SUBREDDITS[post % len(SUBREDDITS)]
            earlier = thread_comments.setdefault(post, [])
            if earlier and rng.random() < 0.6:
                parent = "t1_" + earlier[-1 - int(rng.expovariate(0.5)) % len(earlier)]
                stats["replies"] += 1
            else:
                parent = link
            comment_id = base36(first_comment + number)
            if len(earlier) < 400:  # replies go to recent comments: the list stays short
                earlier.append(comment_id)
            else:
                earlier[rng.randrange(len(earlier))] = comment_id
            roll = rng.random()
            author = rng.choice(AUTHORS)
            if roll < 0.02:
                body, author = "[deleted]", "[deleted]"
                stats["deleted"] += 1
            elif roll < 0.03:
                body = "[removed]"
                stats["removed"] += 1
            else:
                words = rng.choices(WORDS, k=rng.randint(5, 60))
                body = " ".join(words).capitalize() + "." + (" &gt; quoted" if roll > 0.95 else "")
            record = {
                "author": author,
                "author_flair_text": None,
                "body": body,
                "controversiality": int(rng.random() < 0.05),
                "created_utc": start + number * 2,
                "distinguished": None,
                "edited": False,
                "gilded": 0,
                "id": comment_id,
                "is_submitter": rng.random() < 0.05,
                "link_id": link,
                "parent_id": parent,
                "permalink": f"/r/{subreddit}/comments/{link[3:]}/_/{comment_id}/",
                "retrieved_on": start + number * 2 + 3600,
                "score": int(rng.gauss(5, 20)),
                "stickied": False,
                "subreddit": subreddit,
                "subreddit_id": f"t5_{base36(1000 + post % len(SUBREDDITS))}",
            }
            out.write(json.dumps(record, separators=(",", ":")).encode("utf-8") + b"\n")
    stats["posts"] = len(thread_comments)
    return stats


def bare_pass(path: Path) -> tuple[int, float]:
    """Decompress, split lines and ``json.loads`` every one: (records, seconds)."""
    begin = time.perf_counter()
    count = 0
    decompressor = zstandard.ZstdDecompressor(max_window_size=1 << 31)
    with path.open("rb") as raw:
        reader = decompressor.stream_reader(raw, read_size=1 << 20)
        rest = b""
        while chunk := reader.read(1 << 20):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            for line in lines:
                if line:
                    json.loads(line)
                    count += 1
        if rest.strip():
            json.loads(rest)
            count += 1
    return count, time.perf_counter() - begin


WRAPPER = r"""
import json, resource, subprocess, sys, time
begin = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - begin
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "seconds": seconds, "max_rss_kb": usage.ru_maxrss,
                  "stderr": done.stderr[-2000:]}))
"""


def threads_bin() -> str:
    return str(Path(sys.executable).parent / "threads")


def ingest(path: Path, database: Path) -> dict[str, object]:
    env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{database}", "NO_COLOR": "1"}
    subprocess.run([threads_bin(), "db", "upgrade"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, threads_bin(), "ingest", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"threads ingest failed:\n{result['stderr']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="write the dump and database here, kept")
    args = capped(parser.parse_args(), comments=1000)
    with tempfile.TemporaryDirectory(prefix="pushshift-bench-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        dump = work / f"RC_bench_{args.comments}.zst"
        begin = time.perf_counter()
        stats = generate(dump, args.comments, args.seed)
        print(
            f"generated {dump.name}: {stats['comments']:,} comments in {stats['posts']:,} posts "
            f"({stats['replies']:,} replies, {stats['deleted']:,} deleted, "
            f"{stats['removed']:,} removed), {dump.stat().st_size / 1e6:.1f} MB compressed, "
            f"{time.perf_counter() - begin:.1f} s"
        )
        records, bare_seconds = bare_pass(dump)
        assert records == args.comments, records
        database = work / "bench.db"
        database.unlink(missing_ok=True)
        ours = ingest(dump, database)
        seconds = float(ours["seconds"])  # type: ignore[arg-type]
        bare_rate = records / bare_seconds
        rate = args.comments / seconds
        rss_mb = int(ours["max_rss_kb"]) * 1024 / 1e6  # type: ignore[call-overload]
        print(f"bare zstandard + json.loads: {bare_rate:,.0f} comments/s ({bare_seconds:.1f} s)")
        print(f"threads ingest (SQLite):     {rate:,.0f} comments/s ({seconds:.1f} s)")
        print(f"ratio ours/bare: {rate / bare_rate:.3f}x (target >= 0.3x)")
        print(f"peak memory of the import (max RSS): {rss_mb:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    main()
