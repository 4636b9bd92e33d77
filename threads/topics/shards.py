"""Classifying a folder of NDJSON shards with Dask (the optional extra ``dask``).

A shard is a JSON-lines file of ``{"id": ..., "body": ...}`` records (other fields, such as a
Pushshift dump's, are ignored), plain or zstandard-compressed. Each shard is one task, a plain
function of its path: it classifies the records with the codebook alone and writes one output
shard of research-mode lines (the ``classify --input`` format) under the same name, ``.jsonl``
(``.jsonl.zst`` when the input was compressed). An output shard appears whole or not at all:
it is written under a temporary name and renamed when complete.

Dask runs the tasks: its local process pool by default, or the cluster whose scheduler
address is given (``tcp://host:8786``), whose workers must see the same paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threads.errors import InvalidInput
from threads.topics.learn import LearnedModel
from threads.topics.taxonomy import Taxonomy

#: names of input shards, after an optional ``.zst``
SHARD_SUFFIXES = (".jsonl", ".ndjson", ".json")
#: zstandard level of compressed output shards (zstd's own default)
ZSTD_LEVEL = 3
#: a scheduler's address: protocol, host, port
SCHEDULER_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/]+:[0-9]+$")
#: how long to try to reach the scheduler
CONNECT_SECONDS = 20


@dataclass(frozen=True)
class ShardResult:
    """One classified shard: where it came from, where its labels went, how many records."""

    source: str
    output: str
    records: int


def list_shards(folder: Path) -> list[Path]:
    """The shards of ``folder`` (not its subfolders), sorted by name."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: expected a folder of NDJSON shards", field="--dask")
    shards = sorted(p for p in folder.iterdir() if p.is_file() and _stem(p.name) is not None)
    if not shards:
        raise InvalidInput(
            f"{folder}: no shards; expected files named *.jsonl, *.ndjson or *.json, "
            "each optionally .zst",
            field="--dask",
        )
    return shards


def output_name(shard: str) -> str:
    """The output shard's name for an input shard's name: ``RC_2015-01.zst`` ->
    ``RC_2015-01.jsonl.zst``, ``part-3.ndjson`` -> ``part-3.jsonl``."""
    stem = _stem(shard)
    if stem is None:
        raise InvalidInput(f"{shard}: not a shard name", field="--dask")
    return stem + (".jsonl.zst" if shard.endswith(".zst") else ".jsonl")


def _stem(name: str) -> str | None:
    base = name.removesuffix(".zst")
    for suffix in SHARD_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            return base.removesuffix(suffix)
    return base if name.endswith(".zst") and base else None


def shard_records(path: Path) -> Iterator[tuple[Any, str]]:
    """``(id, body)`` of each record of a shard, plain or zstandard (told by content)."""
    from threads.ingest.jsonfile import Lines
    from threads.topics.evaluation import parse_item

    for number, raw in Lines(path):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{path.name}:{number}: not UTF-8 text", field="file") from None
        item = parse_item(line, f"{path.name}:{number}", number)
        yield item.id, item.body


def classify_shard(
    shard: str,
    out_dir: str,
    taxonomy: Taxonomy,
    models: Mapping[str, LearnedModel] | None = None,
) -> ShardResult:
    """Classify one shard into ``out_dir`` (a plain function: what each Dask task runs)."""
    from threads.topics.parallel import write_research_lines

    source = Path(shard)
    target = Path(out_dir) / output_name(source.name)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with _open_output(partial, compressed=target.suffix == ".zst") as out:
            count = write_research_lines(shard_records(source), taxonomy, out, models=models)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return ShardResult(str(source), str(target), count)


def _open_output(path: Path, *, compressed: bool) -> Any:
    if not compressed:
        return path.open("w", encoding="utf-8", newline="\n")
    import io

    import zstandard

    raw = path.open("wb")
    writer = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(raw, closefd=True)
    return io.TextIOWrapper(writer, encoding="utf-8", newline="\n")


def classify_shards(
    folder: Path,
    out_dir: Path,
    taxonomy: Taxonomy,
    *,
    scheduler: str | None = None,
    jobs: int | None = None,
    models: Mapping[str, LearnedModel] | None = None,
) -> list[ShardResult]:
    """Classify every shard of ``folder`` into ``out_dir`` with Dask: on the cluster whose
    scheduler is at ``scheduler``, else in ``jobs`` local processes (Dask's default: one per
    core). Results come in shard order."""
    if scheduler is not None and not SCHEDULER_ADDRESS.match(scheduler):
        raise InvalidInput(
            f"--scheduler: expected an address such as tcp://host:8786, not {scheduler!r}",
            field="--scheduler",
        )
    shards = list_shards(folder)
    if out_dir.resolve() == folder.resolve():
        raise InvalidInput(
            f"{out_dir}: expected an output folder other than the shards' own", field="--out"
        )
    try:
        import dask.bag
    except ImportError:
        raise InvalidInput(
            "--dask needs Dask: install the extra `dask` (pip install -e '.[dask]' in a checkout)",
            field="--dask",
        ) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    # absolute paths: a worker of a cluster runs in a folder of its own
    bag = dask.bag.from_sequence([str(p.resolve()) for p in shards], npartitions=len(shards))
    tasks = bag.map(
        classify_shard, out_dir=str(out_dir.resolve()), taxonomy=taxonomy, models=models
    )
    if scheduler is None:
        return list(tasks.compute(scheduler="processes", num_workers=jobs))
    from distributed import Client

    try:
        client = Client(scheduler, set_as_default=False, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise InvalidInput(
            f"--scheduler: no Dask scheduler answers at {scheduler} ({exc}); expected the "
            "address of a running one",
            field="--scheduler",
        ) from None
    with client:
        return list(client.compute(tasks, sync=True))
