"""Text normalisation with NLTK parts that need no downloaded data.

A ``RegexpTokenizer`` that keeps tokens such as ``P5+1``, ``E3+3`` and ``U.S.`` whole and gives
character offsets; Snowball stems, cached per surface form; a stop-word list shipped in the
package (``threads/data/stopwords.txt``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer

from threads.topics.language import SNOWBALL, stop_words_of

#: words with inner apostrophes (don't, Russia's), an optional "+digits" tail (P5+1, E3+3, 5+1)
#: and an optional tail of dotted single letters (U.S., e.g., U.S.A.). Hyphens split words:
#: "gold-backed" is two tokens. One branch only: every optional tail fails on its first
#: character, so the pattern never backtracks through a word.
TOKEN_PATTERN = r"\w+(?:['\u2019]\w+)*(?:\+\d+)?(?:\.(?:[^\W\d_]\.)+)?"

#: beyond this many distinct surface forms the stem cache starts afresh (bounded memory)
STEM_CACHE_LIMIT = 200_000


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The packaged English stop words (lower case, straight apostrophes)."""
    text = resources.files("threads").joinpath("data", "stopwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


class Analysed:
    """A text cut into tokens and their stems.

    ``parts`` alternates the text between tokens and the tokens themselves (``re.split`` with
    a capturing group), so a token's offset is the summed length of what precedes it: spans
    cost nothing until evidence asks for one.
    """

    __slots__ = ("text", "parts", "tokens", "stems")

    def __init__(self, text: str, parts: list[str], stems: list[str]) -> None:
        self.text = text
        self.parts = parts
        self.tokens = parts[1::2]
        self.stems = stems

    def span(self, i: int) -> tuple[int, int]:
        """Character offsets of token ``i`` in ``text``."""
        start = sum(map(len, self.parts[: 2 * i + 1]))
        return start, start + len(self.parts[2 * i + 1])

    def spans(self, indices: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Character offsets of several tokens, in one pass over the text's parts."""
        parts = self.parts
        out: dict[int, tuple[int, int]] = {}
        offset = done = 0
        for i in sorted(set(indices)):
            offset += sum(map(len, parts[done : 2 * i + 1]))
            done = 2 * i + 1
            out[i] = (offset, offset + len(parts[done]))
        return out

    def surface(self, i: int, j: int | None = None) -> str:
        """The text of tokens ``i`` to ``j`` (exclusive; one token when ``j`` is None)."""
        end = self.span((j if j is not None else i + 1) - 1)[1]
        return self.text[self.span(i)[0] : end]


class _StemCache(dict[str, str]):
    """Surface form -> stem; a missing form is stemmed on first lookup, so that a whole text is
    stemmed by one ``map`` over dictionary lookups."""

    def __init__(self, compute: Any) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, token: str) -> str:
        if len(self) >= STEM_CACHE_LIMIT:
            self.clear()
        stem: str = self._compute(token)
        self[token] = stem
        return stem


class Normaliser:
    """Tokenise, lower-case and stem; one instance is reused for a whole run (its cache).

    ``language`` (ISO 639-1, a key of ``threads.topics.language.SNOWBALL``) picks the Snowball
    stemmer and the stop words: English uses the packaged list, other languages the
    ``stop-words`` package's."""

    def __init__(self, language: str = "en") -> None:
        if language not in SNOWBALL:
            raise ValueError(f"no Snowball stemmer for language {language!r}")
        self.language = language
        self.tokenizer = RegexpTokenizer(TOKEN_PATTERN)
        self._stemmer = SnowballStemmer(SNOWBALL[language])
        self._stop = stop_words() if language == "en" else stop_words_of(language)
        self._cache = _StemCache(self._stem_uncached)
        # the same pattern, compiled once with the flags RegexpTokenizer uses, for the hot loop
        flags = re.UNICODE | re.MULTILINE | re.DOTALL
        self._split = re.compile(f"({TOKEN_PATTERN})", flags).split
        # on ASCII text the ASCII classes give the same tokens, about a fifth faster
        self._split_ascii = re.compile(f"({TOKEN_PATTERN})", flags & ~re.UNICODE | re.ASCII).split

    def stem(self, token: str) -> str:
        """The stem of one token (any case). Stop words keep their lower-case form."""
        return self._cache[token]

    def _stem_uncached(self, token: str) -> str:
        low = token.lower().replace("\u2019", "'")
        if low in self._stop or not low[0].isalpha() or "." in low or "+" in low:
            return low
        return str(self._stemmer.stem(low))

    def is_stop(self, stem: str) -> bool:
        return stem in self._stop

    def analyse(self, text: str) -> Analysed:
        """Tokens of ``text`` and their stems (spans on demand)."""
        parts = self._split_ascii(text) if text.isascii() else self._split(text)
        return Analysed(text, parts, list(map(self._cache.__getitem__, parts[1::2])))

    def stems_of(self, text: str) -> list[str]:
        """The stems of a codebook entry or a short text, in order."""
        return [self.stem(t) for t in self.tokenizer.tokenize(text)]

    def features(self, stems: Iterable[str]) -> set[str]:
        """The content stems used as learning features: no stop words, no bare numbers."""
        stop = self._stop
        return {s for s in stems if s not in stop and len(s) > 1 and not s.isdigit()}
