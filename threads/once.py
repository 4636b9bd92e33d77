"""Values built at most once per process and key, whichever thread asks first.

A fresh server's first requests arrive together: without this, each of them would build the
same expensive value (a language model, a fitted learned layer, a classifier) under one
interpreter lock. Here the first thread builds it while the others wait, then all share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BuiltOnce(Generic[K, V]):
    """A small cache of built values: at most ``limit`` keys (it starts over when full)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value of ``key``, built by ``build`` if no thread has built it yet."""
        try:
            return self._values[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._values:
                if len(self._values) >= self.limit:
                    self._values.clear()
                self._values[key] = build()
            return self._values[key]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
