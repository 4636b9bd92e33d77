"""Text normalisation with NLTK parts that need no downloaded data.

A ``RegexpTokenizer`` that keeps tokens such as ``P5+1``, ``E3+3`` and ``U.S.`` whole and gives
character offsets; Snowball stems, cached per surface form; a stop-word list shipped in the
package (``threads/data/stopwords.txt``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

#: group names with digits and a plus (P5+1, E3+3), dotted abbreviations (U.S., e.g.), then
#: words with inner apostrophes (don't, Russia's). Hyphens split words: "gold-backed" is two.
TOKEN_PATTERN = r"[^\W\d_]+\d+\+\d+|(?:[^\W\d_]\.){2,}|\w+(?:['\u2019]\w+)*"

#: beyond this many distinct surface forms the stem cache starts afresh (bounded memory)
STEM_CACHE_LIMIT = 200_000


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The packaged English stop words (lower case, straight apostrophes)."""
    text = resources.files("threads").joinpath("data", "stopwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@dataclass(frozen=True, slots=True)
class Analysed:
    """A text cut into tokens: parallel lists of stems and character spans into ``text``."""

    text: str
    stems: list[str]
    starts: list[int]
    ends: list[int]

    def surface(self, i: int, j: int | None = None) -> str:
        """The text of tokens ``i`` to ``j`` (exclusive; one token when ``j`` is None)."""
        end = self.ends[(j if j is not None else i + 1) - 1]
        return self.text[self.starts[i] : end]


class Normaliser:
    """Tokenise, lower-case and stem; one instance is reused for a whole run (its cache)."""

    def __init__(self) -> None:
        self.tokenizer = RegexpTokenizer(TOKEN_PATTERN)
        self._stemmer = SnowballStemmer("english")
        self._stop = stop_words()
        self._cache: dict[str, str] = {}
        # the same pattern, compiled once with the flags RegexpTokenizer uses, for the hot loop
        self._finditer = re.compile(TOKEN_PATTERN, re.UNICODE | re.MULTILINE | re.DOTALL).finditer

    def stem(self, token: str) -> str:
        """The stem of one token (any case). Stop words keep their lower-case form."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        low = token.lower().replace("\u2019", "'")
        if low in self._stop or not low[0].isalpha() or "." in low or "+" in low:
            stem = low
        else:
            stem = self._stemmer.stem(low)
        if len(self._cache) >= STEM_CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = stem
        return stem

    def is_stop(self, stem: str) -> bool:
        return stem in self._stop

    def analyse(self, text: str) -> Analysed:
        """Tokens of ``text`` as stems with their character offsets."""
        stems: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        cache = self._cache
        stem = self.stem
        for m in self._finditer(text):
            token = m.group()
            s = cache.get(token)
            stems.append(s if s is not None else stem(token))
            starts.append(m.start())
            ends.append(m.end())
        return Analysed(text, stems, starts, ends)

    def stems_of(self, text: str) -> list[str]:
        """The stems of a codebook entry or a short text, in order."""
        return [self.stem(t) for t in self.tokenizer.tokenize(text)]

    def features(self, stems: Iterable[str]) -> set[str]:
        """The content stems used as learning features: no stop words, no bare numbers."""
        stop = self._stop
        return {s for s in stems if s not in stop and len(s) > 1 and not s.isdigit()}
