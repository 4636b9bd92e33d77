"""Benchmark: `threads ingest` of a generated Disqus export into SQLite and PostgreSQL, beside Isso.

Not a test. Generates a Disqus export of N comments (realistic bodies, threads of varied size,
replies, some spam/deleted posts, some closed threads), then runs, each in its own child process
so that peak memory (max RSS) is that run's alone:

* ``threads ingest FILE`` into a fresh SQLite file (one process, as every import);
* ``threads ingest FILE`` into a fresh PostgreSQL database (THREADS_TEST_POSTGRES_URL, else a
  throwaway cluster started like the tests do);
* ``isso -c CFG import --empty-id --type disqus FILE`` on a smaller file (Isso imports about 600
  comments/s), from a separate venv (bench/.isso-venv, created with ``pip install isso``).

Prints comments/s, peak RSS and the ratios ours/Isso. Usage::

    .venv/bin/python bench/ingest_bench.py [--comments 200000] [--isso-comments 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from xml.sax.saxutils import escape

from _quick import capped, quick

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = [
    "gold",
    "reserves",
    "central",
    "bank",
    "repatriation",
    "vault",
    "audit",
    "sanctions",
    "russia",
    "iran",
    "china",
    "talks",
    "negotiations",
    "nuclear",
    "agreement",
    "unity",
    "council",
    "members",
    "europe",
    "dollar",
    "currency",
    "market",
    "price",
    "ounce",
    "inflation",
    "policy",
    "government",
    "minister",
    "treaty",
    "inspection",
    "enrichment",
    "uranium",
    "oil",
    "gas",
    "pipeline",
    "trade",
    "export",
    "import",
    "tariff",
    "economy",
    "growth",
    "recession",
    "bond",
    "yield",
    "interest",
    "rate",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "it",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "they",
    "be",
    "at",
    "this",
    "have",
    "from",
    "or",
    "by",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "an",
    "your",
    "which",
    "their",
    "said",
    "if",
    "do",
    "will",
    "each",
    "about",
    "how",
    "up",
    "out",
    "them",
    "then",
    "she",
    "many",
    "some",
    "so",
    "these",
    "would",
    "other",
    "into",
    "has",
    "more",
    "her",
    "two",
    "like",
    "him",
    "see",
    "time",
    "could",
]  # noqa: SIM905
NAMES = [
    "Anna",
    "Boris",
    "Chen",
    "Dmitri",
    "Elena",
    "Farid",
    "Greta",
    "Hassan",
    "Ines",
    "Jonas",
    "Katya",
    "Li",
    "Maria",
    "Nadia",
    "Omar",
    "Pavel",
    "Qing",
    "Rosa",
    "Sergei",
    "Tomas",
    "Uma",
    "Viktor",
    "Wen",
    "Xenia",
    "Yusuf",
    "Zoe",
]  # noqa: SIM905


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 22))]
    return " ".join(words).capitalize() + rng.choice(".!?.")


def body(rng: random.Random) -> str:
    paragraphs = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        paragraphs.append(
            "<p>" + " ".join(sentence(rng) for _ in range(rng.randint(1, 4))) + "</p>"
        )
    return "".join(paragraphs)


def thread_sizes(total: int, rng: random.Random) -> list[int]:
    """Varied thread sizes (mostly small, a few large) summing to ``total``."""
    sizes: list[int] = []
    left = total
    while left > 0:
        size = min(left, max(1, int(rng.paretovariate(1.2) * 8)))
        sizes.append(size)
        left -= size
    return sizes


def generate(path: Path, comments: int, seed: int = 7) -> dict[str, int]:
    """Write a Disqus export with ``comments`` posts; returns what it holds."""
    rng = random.Random(seed)
    sizes = thread_sizes(comments, rng)
    stats = {"threads": len(sizes), "comments": comments, "replies": 0, "closed": 0}
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n')
        out.write(
            '<disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals">\n'
            '  <category dsq:id="1"><forum>bench</forum><title>General</title></category>\n'
        )
        for t, _size in enumerate(sizes):
            closed = rng.random() < 0.1
            stats["closed"] += closed
            out.write(
                f'  <thread dsq:id="{100000 + t}"><id>post-{t}</id><forum>bench</forum>'
                f'<category dsq:id="1"/><link>https://example.org/{2010 + t % 14}/post-{t}/</link>'
                f"<title>{escape(sentence(rng))}</title><message/>"
                f"<createdAt>2014-01-{1 + t % 28:02d}T10:00:00Z</createdAt>"
                "<author><name>Editor</name><isAnonymous>false</isAnonymous></author>"
                f"<isClosed>{'true' if closed else 'false'}</isClosed>"
                "<isDeleted>false</isDeleted></thread>\n"
            )
        post_id = 10_000_000
        for t, size in enumerate(sizes):
            first = post_id
            for i in range(size):
                name = rng.choice(NAMES) + " " + rng.choice(NAMES)
                parent = ""
                if i and rng.random() < 0.3:
                    parent = f'<parent dsq:id="{rng.randint(first, post_id - 1)}"/>'
                    stats["replies"] += 1
                roll = rng.random()
                out.write(
                    f'  <post dsq:id="{post_id}"><id/>'
                    f"<message><![CDATA[{body(rng)}]]></message>"
                    f"<createdAt>2014-02-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z</createdAt>"
                    f"<isDeleted>{'true' if roll < 0.02 else 'false'}</isDeleted>"
                    f"<isSpam>{'true' if 0.02 <= roll < 0.05 else 'false'}</isSpam>"
                    f"<author><email>{name.replace(' ', '.').lower()}@example.org</email>"
                    f"<name>{name}</name><isAnonymous>false</isAnonymous></author>"
                    f"<ipAddress>10.0.{i % 256}.{t % 256}</ipAddress>"
                    f'<thread dsq:id="{100000 + t}"/>{parent}</post>\n'
                )
                post_id += 1
        out.write("</disqus>\n")
    return stats


MEASURE = r"""
import json, os, resource, subprocess, sys, time

def tree(pid):
    found = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            for child in handle.read().split():
                found += tree(int(child))
    return found

def pss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return total

start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
peak = 0
while proc.poll() is None:
    try:
        peak = max(peak, pss_kb(tree(proc.pid)))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass  # a process ended between two reads
    time.sleep(0.2)
out, err = proc.communicate()
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "seconds": elapsed, "max_rss_kb": usage.ru_maxrss,
    "peak_pss_kb": peak, "cpu": usage.ru_utime + usage.ru_stime, "stderr": err[-2000:]}))
"""


def measure(command: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run ``command`` in a child of a fresh wrapper: wall time, CPU time of it and everything
    it started, the largest max RSS among them, and the peak of their summed PSS (sampled every
    200 ms; reading every process's smaps every 50 ms took ~5 % of a core from the import it
    measured)."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"command failed: {' '.join(command)}\n{result['stderr']}")
    return result


def threads_bin() -> str:
    return str(Path(sys.executable).parent / "threads")


def run_ours(file: Path, url: str, *options: str) -> dict[str, object]:
    env = {**os.environ, "THREADS_DATABASE_URL": url, "NO_COLOR": "1"}
    subprocess.run([threads_bin(), "db", "upgrade"], env=env, check=True, capture_output=True)
    return measure([threads_bin(), "ingest", "--format", "disqus", *options, str(file)], env)


def postgres_url(work: Path) -> tuple[str | None, object]:
    """An admin URL: THREADS_TEST_POSTGRES_URL, else a throwaway cluster (stopped by caller)."""
    given = os.environ.get("THREADS_TEST_POSTGRES_URL")
    if given:
        return given, None
    from tests.pg import find_pg_bin, start_cluster

    bindir = find_pg_bin()
    if bindir is None:
        return None, None
    cluster = start_cluster(bindir)
    return cluster.admin_url, cluster


def fresh_pg_database(admin_url: str) -> str:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from threads.db import make_engine

    name = f"threads_bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(admin_url).set(database=name)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def isso_venv(install: bool) -> Path | None:
    venv = REPO / "bench" / ".isso-venv"
    isso = venv / "bin" / "isso"
    if isso.exists():
        return isso
    if not install:
        return None
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "isso"],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"isso could not be installed: {exc}", file=sys.stderr)
        return None
    return isso if isso.exists() else None


def run_isso(isso: Path, file: Path, work: Path) -> dict[str, object]:
    db = work / "isso.db"
    cfg = work / "isso.cfg"
    cfg.write_text(f"[general]\ndbpath = {db}\nhost = http://localhost/\n", encoding="utf-8")
    return measure(
        [str(isso), "-c", str(cfg), "import", "--empty-id", "--type", "disqus", str(file)],
        dict(os.environ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--isso-comments", type=int, default=10_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-isso", action="store_true")
    args = capped(parser.parse_args(), comments=1000, isso_comments=200)
    work = Path(tempfile.mkdtemp(prefix="threads-ingest-bench-"))
    results: dict[str, dict[str, object]] = {}
    cluster = None
    try:
        big = work / f"disqus-{args.comments}.xml"
        info = generate(big, args.comments)
        size_mb = big.stat().st_size / 1e6
        print(f"generated {big.name}: {info} ({size_mb:.1f} MB)")
        r = run_ours(big, f"sqlite:///{work / 'sqlite.db'}")
        results["sqlite"] = {**r, "comments": args.comments}
        if not args.no_postgres:
            admin, cluster = postgres_url(work)
            if admin is None:
                print("PostgreSQL not available: skipped")
            else:
                r = run_ours(big, fresh_pg_database(admin))
                results["postgresql"] = {**r, "comments": args.comments}
        if not args.no_isso:
            small = work / f"disqus-{args.isso_comments}.xml"
            generate(small, args.isso_comments)
            r = run_ours(small, f"sqlite:///{work / 'bench-small.db'}")
            results["sqlite-small"] = {**r, "comments": args.isso_comments}
            # a quick run is a check that may run offline: it uses Isso only if installed
            isso = isso_venv(install=not quick())
            if isso is None:
                why = " (a quick run does not install it)" if quick() else ""
                print(f"Isso not available: no baseline{why}")
            else:
                r = run_isso(isso, small, work)
                results["isso"] = {**r, "comments": args.isso_comments}
    finally:
        if cluster is not None:
            cluster.stop()  # type: ignore[attr-defined]
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    header = f"{'run':<14}{'comments':>10}{'wall s':>9}{'/s wall':>10}{'cpu s':>8}{'/s cpu':>10}"
    print(f"\n{header}{'max RSS MB':>11}{'peak PSS MB':>12}")
    for label, r in results.items():
        comments = int(r["comments"])  # type: ignore[call-overload]
        seconds = float(r["seconds"])  # type: ignore[arg-type]
        cpu = float(r["cpu"])  # type: ignore[arg-type]
        r["rate"], r["cpu_rate"] = comments / seconds, comments / cpu
        peak = int(r["max_rss_kb"]) / 1024  # type: ignore[call-overload]
        pss = int(r["peak_pss_kb"]) / 1024  # type: ignore[call-overload]
        print(
            f"{label:<14}{comments:>10}{seconds:>9.1f}{comments / seconds:>10.0f}"
            f"{cpu:>8.1f}{comments / cpu:>10.0f}{peak:>11.0f}{pss:>12.0f}"
        )
    if "isso" in results:
        baseline = results["isso"]
        for label in ("sqlite", "postgresql", "sqlite-small"):
            if label in results:
                wall = float(results[label]["rate"]) / float(baseline["rate"])  # type: ignore[arg-type]
                cpu_ratio = float(results[label]["cpu_rate"]) / float(baseline["cpu_rate"])  # type: ignore[arg-type]
                print(f"ratio {label}/isso: {wall:.1f}x wall, {cpu_ratio:.1f}x cpu")


if __name__ == "__main__":
    main()
