"""Distinctive terms: the log-odds ratio with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words", section 3.5.3: for a word w, a group i and
the rest j, with prior pseudo-counts a_w = a0 * p_w (p_w: the word's share in the whole corpus),

    delta_w = log((y_iw + a_w) / (n_i + a0 - y_iw - a_w))
            - log((y_jw + a_w) / (n_j + a0 - y_jw - a_w))
    var_w  ~= 1 / (y_iw + a_w) + 1 / (y_jw + a_w)

and words are ranked by z_w = delta_w / sqrt(var_w).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable

from threads.topics.language import UND, stop_words_of

#: the prior's total pseudo-count
DEFAULT_ALPHA0 = 500.0

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")

#: a small built-in English stop list, so that tokenising needs no data download; other
#: languages' come from the ``stop-words`` package (``stop_words_for``)
_STOP_TEXT = """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each even ever every few for from further get
    gets got had hadn't has hasn't have haven't having he he'd he'll he's her here here's
    hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't
    it it's its itself just let's like many may me might more most much must mustn't my
    myself no nor not now of off on once one only or other ought our ours ourselves out over
    own really said same say says shall shan't she she'd she'll she's should shouldn't since
    so some still such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those though through to too under until
    up upon us very was wasn't we we'd we'll we're we've well were weren't what what's when
    when's where where's whether which while who who's whom why why's will with won't would
    wouldn't yet you you'd you'll you're you've your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def stop_words_for(language: str | None) -> frozenset[str]:
    """The stop words removed from a comment in ``language``: the English list, plus that
    language's list from the ``stop-words`` package (English quotes and names turn up in
    comments in every language, so the English list always applies)."""
    if language is None or language in ("en", UND):
        return STOP_WORDS
    return _with_english(language)


@functools.cache
def _with_english(language: str) -> frozenset[str]:
    return STOP_WORDS | stop_words_of(language)


def tokens(text: str, language: str | None = None) -> list[str]:
    """Lower-cased word tokens of ``text`` without stop words (of English and of
    ``language``, the comment's detected language), numbers or one-letter words."""
    stop = stop_words_for(language)
    words = _WORD.findall(text.lower().replace("’", "'"))
    return [w for w in words if len(w) > 2 and w not in stop]


def count_terms(texts: Iterable[str | tuple[str, str | None]]) -> Counter[str]:
    """Term frequencies over ``texts``: strings, or (text, language) pairs."""
    counts: Counter[str] = Counter()
    for item in texts:
        text, language = (item, None) if isinstance(item, str) else item
        counts.update(tokens(text, language))
    return counts


def log_odds(
    group: Counter[str],
    rest: Counter[str],
    prior: Counter[str],
    *,
    alpha0: float = DEFAULT_ALPHA0,
) -> list[tuple[str, float]]:
    """z-scores of every word of ``group`` against ``rest``, highest first (ties by word).

    ``prior`` holds the background frequencies the Dirichlet prior is built from; words the
    prior does not know get the smallest prior mass seen.
    """
    prior_total = sum(prior.values())
    n_i = sum(group.values())
    n_j = sum(rest.values())
    if n_i == 0 or prior_total == 0:
        return []
    floor = min(prior.values()) / prior_total if prior else 1.0
    scored: list[tuple[str, float]] = []
    for word, y_i in group.items():
        share = prior.get(word, 0) / prior_total or floor
        a_w = alpha0 * share
        y_j = rest.get(word, 0)
        other_i = n_i + alpha0 - y_i - a_w
        other_j = n_j + alpha0 - y_j - a_w
        if other_i <= 0 or other_j <= 0:
            continue  # the prior knows no other word: nothing to tell this one apart from
        delta = math.log((y_i + a_w) / other_i) - math.log((y_j + a_w) / other_j)
        var = 1.0 / (y_i + a_w) + 1.0 / (y_j + a_w)
        scored.append((word, delta / math.sqrt(var)))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored
