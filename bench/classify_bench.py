"""Classification speed: `threads classify --input` against a bare RegexpTokenizer pass.

Generates N comments of realistic length (log-normal word counts: median 50, mean about 70,
5 to 500 words; the seed thread's comments have 40 to 290), reader-comment vocabulary with
topic words sprinkled in (4% of words), writes them as JSONL, then times in the same run:

* baseline: read the file, json.loads each line and run NLTK's RegexpTokenizer (our token
  pattern) over the body. NLTK 3.10 compiles RegexpTokenizer patterns with the ``regex``
  engine under a time limit (its ReDoS guard), which is slower than ``re``; so a second
  floor runs the same pattern with the standard ``re`` module;
* `threads classify --input FILE` as a real subprocess (output to a file), whole process
  included: start-up, codebook loading, JSON in and out; its CPU time and peak RSS;
* with ``--jobs N`` (N > 1), `threads classify --input FILE --jobs N` on the same file as well:
  its output must be the same bytes as one process's, and the speed-up is printed (the
  target on 2 cores: ``--jobs 2`` at least 1.7x one process).

Run: .venv/bin/python bench/classify_bench.py --comments 100000 --jobs 2
Run: .venv/bin/python bench/classify_bench.py --comments 100000 --jobs 2
(``--taxonomy fixtures/taxonomy-multilingual.toml``: the same with language detection on)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _quick import capped  # noqa: E402
from nltk.tokenize import RegexpTokenizer  # noqa: E402

from threads.topics.normalise import TOKEN_PATTERN  # noqa: E402

FILLER = (  # noqa: SIM905
    "the a of and to in that it is was for on are with as I his they be at one have this "
    "from or had by not but what some we can out other were all there when up use your how "
    "said an each which she do their time if will way about many then them would write like so "
    "these her long make thing see him two has look more day could go come did number sound no "
    "most people my over know water than call first who may down side been now find any new "
    "work part take get place made live where after back little only round man year came show "
    "every good me give our under name very through just form sentence great think say help "
    "low line differ turn cause much mean before move right boy old too same tell does set "
    "three want air well also play small end put home read hand port large spell add even "
    "land here must big high such follow act why ask men change went light kind off need house "
    "picture try again animal point mother world near build self earth father policy article "
    "author interesting thanks wrong agree disagree obviously government media economy war "
    "peace history region president minister election vote market price oil energy trade"
).split()
TOPICAL = (  # noqa: SIM905
    "gold bullion vaults reserves Russia Russian Putin Kremlin Moscow P5+1 sanctions Iran China "
    "Beijing Tehran nuclear talks U.S. central bank Germany repatriation Lavrov E3+3 dollar"
).split()


def generate(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        words = [
            rnd.choice(TOPICAL) if rnd.random() < 0.04 else rnd.choice(FILLER)
            for _ in range(min(500, max(5, round(rnd.lognormvariate(math.log(50), 0.8)))))
        ]
        sentences, i = [], 0
        while i < len(words):
            k = rnd.randint(6, 18)
            chunk = words[i : i + k]
            sentences.append(chunk[0].capitalize() + " " + " ".join(chunk[1:]) + rnd.choice(".?!"))
            i += k
        out.append(" ".join(sentences))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--jobs", type=int, default=1, help="also run --jobs N and compare with one process"
    )
    parser.add_argument(
        "--taxonomy",
        type=Path,
        default=None,
        help="codebook for `threads classify --input` (default: the packaged one); one with "
        "[topic.languages.XX] tables, such as fixtures/taxonomy-multilingual.toml, makes it "
        "detect each comment's language too",
    )
    args = capped(parser.parse_args(), comments=1000, jobs=2)
    n = args.comments
    if args.jobs < 1:
        parser.error("--jobs: expected a whole number of processes, 1 or more")
    bodies = generate(n)
    words = sum(len(b.split()) for b in bodies)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "comments.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for i, body in enumerate(bodies):
                f.write(json.dumps({"id": i, "body": body}) + "\n")
        size = path.stat().st_size

        floor_re = re.compile(TOKEN_PATTERN).findall
        start = time.perf_counter()
        with path.open(encoding="utf-8") as f:
            for line in f:
                floor_re(json.loads(line)["body"])
        floor = time.perf_counter() - start

        tokenizer = RegexpTokenizer(TOKEN_PATTERN)
        start = time.perf_counter()
        tokens = 0
        with path.open(encoding="utf-8") as f:
            for line in f:
                tokens += len(tokenizer.tokenize(json.loads(line)["body"]))
        bare = time.perf_counter() - start

        env = {**os.environ, "THREADS_DATABASE_URL": f"sqlite:///{tmp}/unused.db"}
        extra = ["--taxonomy", str(args.taxonomy)] if args.taxonomy else []
        cli, cli_cpu, peak_mb, serial_out = _run_cli(
            path, Path(tmp) / "jobs-1.jsonl", env, 1, extra
        )
        if args.jobs > 1:
            jobs_out = Path(tmp) / f"jobs-{args.jobs}.jsonl"
            par, par_cpu, _, _ = _run_cli(path, jobs_out, env, args.jobs, extra)
            same = serial_out.read_bytes() == jobs_out.read_bytes()

    print(f"{n:,} comments, {words / n:.0f} words each on average, {size / 2**20:.1f} MiB JSONL")
    print(f"load average: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores, shared)")
    print("| case | seconds | comments/s | x bare RegexpTokenizer | x bare `re` pass |")
    print("|---|---:|---:|---:|---:|")
    cases = [
        ("bare NLTK RegexpTokenizer pass (json.loads + tokenize)", bare),
        ("bare stdlib `re` pass, same pattern (json.loads + findall)", floor),
        ("`threads classify --input` (subprocess, whole run)", cli),
    ]
    if args.jobs > 1:
        cases.append((f"`threads classify --input --jobs {args.jobs}` (whole run)", par))
    for name, secs in cases:
        print(f"| {name} | {secs:.2f} | {n / secs:,.0f} | {bare / secs:.2f} | {floor / secs:.2f} |")
    print(
        f"`threads classify --input`: {cli_cpu:.2f} s CPU ({n / cli_cpu:,.0f} comments per "
        f"CPU second), peak RSS {peak_mb:.0f} MiB; tokens: {tokens:,}"
    )
    if args.jobs > 1:
        print(
            f"--jobs {args.jobs}: {cli / par:.2f}x one process ({par_cpu:.2f} s CPU in all "
            f"processes); output {'identical to' if same else 'DIFFERENT from'} one process's"
        )
        if not same:
            sys.exit(1)


def _run_cli(
    source: Path, output: Path, env: dict[str, str], jobs: int, extra: list[str]
) -> tuple[float, float, float, Path]:
    """One `threads classify --input` run: (seconds, CPU seconds of it and its workers,
    peak RSS of the largest process in MiB, the output file)."""
    threads_bin = Path(sys.executable).with_name("threads")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with output.open("wb") as out:
        subprocess.run(
            [str(threads_bin), "classify", "--input", str(source), "--jobs", str(jobs), *extra],
            check=True,
            stdout=out,
            env=env,
        )
    secs = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return secs, cpu, after.ru_maxrss / 1024, output


if __name__ == "__main__":
    main()
