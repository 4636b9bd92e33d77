"""Responses kept under the change-clock reading they were built after, served while it holds.

An entry built after the clock read ``g`` is exact for any request whose own reading (taken after
the request arrived, see :mod:`threads.db.probe`) is still ``g``: no write has committed in
between. Any other reading is a miss and the entry is rebuilt. Nothing is ever served on a
guess, so moderators see their own actions at once from any worker, and so do other writers'
(imports, the CLI, psql). Bounded: least recently used entries go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from threads.db.probe import Generation


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    #: entries dropped to stay within the bound
    evictions: int = 0


class ResponseCache:
    """An LRU map from a request's normalised form to (generation, response), per worker."""

    def __init__(self, max_weight: int = 64 * 2**20) -> None:
        if max_weight < 1:
            raise ValueError("max_weight must be at least 1")
        #: bound on the sum of the entries' weights (for encoded responses: bytes; 64 MiB)
        self.max_weight = max_weight
        self.weight = 0
        self._entries: OrderedDict[Hashable, tuple[Generation, Any, int]] = OrderedDict()
        self.stats = CacheStats()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, generation: Generation) -> Any | None:
        """The response kept for ``key`` if it was built at ``generation``; else None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != generation:
            self.stats.misses += 1
            return None
        self._entries.move_to_end(key)
        self.stats.hits += 1
        return entry[1]

    def put(self, key: Hashable, generation: Generation, response: Any, weight: int = 1) -> None:
        """Keep ``response`` for ``key``, built after the clock read ``generation``.

        ``weight`` is its share of the bound (an encoded response weighs its bytes, at least 1);
        a response heavier than the whole bound is not kept.
        """
        weight = max(1, weight)
        current = self._entries.get(key)
        if current is not None:
            if _newer(current[0], generation):
                return  # a slower request built it from an older reading: keep the newer one
            del self._entries[key]
            self.weight -= current[2]
        if weight > self.max_weight:
            return
        self._entries[key] = (generation, response, weight)
        self.weight += weight
        while self.weight > self.max_weight:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self.weight -= dropped
            self.stats.evictions += 1

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0


def _newer(a: Generation, b: Generation) -> bool:
    """Whether ``a`` is a later reading of the same database than ``b``."""
    return a[:2] == b[:2] and a[2] > b[2]
