"""THREADS_BENCH_QUICK=1: every benchmark script as a smoke run of its full command line.

The documented full-size commands then run in seconds: sizes, durations and repeats are capped
(the ones given on the command line too), every scenario still runs. A check that the commands
work, not a measurement.
"""

from __future__ import annotations

import os
from argparse import Namespace

BANNER = "THREADS_BENCH_QUICK is set: sizes capped, the figures prove nothing about speed"


def quick() -> bool:
    """Whether THREADS_BENCH_QUICK asks for a smoke run (set, and not empty or ``0``)."""
    return os.environ.get("THREADS_BENCH_QUICK", "") not in ("", "0")


def capped(args: Namespace, **limits: int) -> Namespace:
    """In a quick run, lower each named option of ``args`` to its limit and print the banner;
    otherwise leave ``args`` as they are."""
    if not quick():
        return args
    for name, limit in limits.items():
        value = getattr(args, name)
        if value is not None and value > limit:
            setattr(args, name, limit)
    shown = ", ".join(f"--{name.replace('_', '-')} {getattr(args, name)}" for name in limits)
    print(f"{BANNER} ({shown})", flush=True)
    return args
