"""Layer 1 of the classifier: a codebook compiled for matching, and its scores.

The codebook's terms (single words, matched on stems) and phrases (stem sequences) are found in
a text, matches inside the topic's ``exclude`` phrases are dropped, and the weighted matches turn
into a score: each unit of weight leaves 40% of the remaining doubt (``score = 1 - 0.4 **
evidence``). Its own module so that both the classifier and training (``threads.topics.learn``)
use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threads.topics.normalise import Analysed, Normaliser
from threads.topics.taxonomy import Taxonomy

#: the doubt left by one unit of codebook evidence: one plain match scores 1 - 0.4 = 0.6
DOUBT = 0.4
#: a repeated term adds this much of its weight per repeat, up to REPEAT_CAP repeats
REPEAT_BONUS = 0.25
REPEAT_CAP = 2


@dataclass(frozen=True, slots=True)
class _Entry:
    topic: int
    entry: str
    stems: tuple[str, ...]
    weight: float
    exclude: bool


class Codebook:
    """A taxonomy compiled for matching: one index from a first stem to the entries it starts.

    ``language`` None compiles the topics' own (English) terms; a language code compiles their
    ``[topic.languages.XX]`` terms, to be matched on text stemmed by a ``Normaliser`` of that
    language (a topic without terms in it matches nothing there)."""

    def __init__(
        self, taxonomy: Taxonomy, normaliser: Normaliser, language: str | None = None
    ) -> None:
        self.taxonomy = taxonomy
        self.ids = taxonomy.topic_ids
        self.language = language
        self._index: dict[str, list[_Entry]] = {}
        seen: set[tuple[int, tuple[str, ...], bool]] = set()
        for i, topic in enumerate(taxonomy.topics):
            own = topic if language is None else topic.languages.get(language)
            entries = [(t, False, False) for t in own.terms] if own else []
            entries += [(p, True, False) for p in own.phrases] if own else []
            entries += [(x, True, True) for x in own.exclude] if own else []
            for text, phrase, exclude in entries:
                stems = tuple(normaliser.stems_of(text))
                if not stems or (i, stems, exclude) in seen:
                    continue  # "vaults" after "vault": the same stems, the first one counts
                seen.add((i, stems, exclude))
                weight = 0.0 if exclude else topic.weight_of(text, phrase=phrase)
                self._index.setdefault(stems[0], []).append(_Entry(i, text, stems, weight, exclude))
        for entries_of in self._index.values():  # longest first: a phrase wins over its word
            entries_of.sort(key=lambda e: -len(e.stems))

    def entry_stems(self, topic_index: int) -> list[tuple[str, ...]]:
        """The stem sequences of a topic's terms and phrases (not exclusions)."""
        return [
            e.stems
            for entries in self._index.values()
            for e in entries
            if e.topic == topic_index and not e.exclude
        ]

    def exclude_stems(self, topic_index: int) -> list[tuple[str, ...]]:
        return [
            e.stems
            for entries in self._index.values()
            for e in entries
            if e.topic == topic_index and e.exclude
        ]

    def match(self, doc: Analysed) -> tuple[list[float], list[list[dict[str, Any]]]]:
        """Layer 1: per topic (in codebook order) the score and the matches that made it, as
        evidence: the entry as written in the codebook, the matched text and its offsets."""
        n_topics = len(self.ids)
        stems = doc.stems
        index = self._index
        if index.keys().isdisjoint(stems):  # most texts: no codebook word at all (C speed)
            return [0.0] * n_topics, [[] for _ in range(n_topics)]
        found: list[tuple[int, int, int, _Entry]] = []  # topic, start, -length, entry
        excluded: list[list[tuple[int, int]]] = [[] for _ in range(n_topics)]
        n = len(stems)
        for i in [i for i, s in enumerate(stems) if s in index]:
            for e in index[stems[i]]:
                k = len(e.stems)
                if k > 1 and (i + k > n or tuple(stems[i : i + k]) != e.stems):
                    continue
                if e.exclude:
                    excluded[e.topic].append((i, i + k))
                else:
                    found.append((e.topic, i, -k, e))
        # overlapping matches of one topic: the heavier (then longer, then earlier) one counts
        found.sort(key=lambda x: (x[0], -x[3].weight, x[2], x[1]))
        spans = doc.spans([i for _, i, _, _ in found] + [i - k - 1 for _, i, k, _ in found])
        evidence = [0.0] * n_topics
        matches: list[list[dict[str, Any]]] = [[] for _ in range(n_topics)]
        seen: dict[tuple[int, str], int] = {}
        taken: list[list[tuple[int, int]]] = [[] for _ in range(n_topics)]
        text = doc.text
        for t, start, minus_k, e in found:
            end = start - minus_k
            if any(a < end and start < b for a, b in taken[t]):
                continue  # overlaps a stronger match of the same topic
            if excluded[t] and any(a < end and start < b for a, b in excluded[t]):
                continue
            taken[t].append((start, end))
            repeats = seen.get((t, e.entry), 0)
            seen[t, e.entry] = repeats + 1
            if repeats == 0:
                evidence[t] += e.weight
            elif repeats <= REPEAT_CAP:
                evidence[t] += e.weight * REPEAT_BONUS
            first, last = spans[start][0], spans[end - 1][1]
            matches[t].append(
                {
                    "term": e.entry,
                    "text": text[first:last],
                    "start": first,
                    "end": last,
                    "weight": e.weight,
                    "layer": "codebook",
                }
            )
        for kept in matches:
            kept.sort(key=lambda m: m["start"])
        return [1.0 - DOUBT**x if x > 0 else 0.0 for x in evidence], matches
