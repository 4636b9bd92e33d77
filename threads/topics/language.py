"""Each comment's language, and what the pipeline uses per language: stemmer, stop words,
whether a sentiment lexicon exists.

Detection is py3langid's (a fork of langid.py whose model ships inside the wheel: nothing is
downloaded), restricted to the languages NLTK's Snowball stemmer knows, since those are the
languages a codebook can give terms for. Measured on ``fixtures/multilingual-comments.json``
(``bench/language_bench.py``, docs/languages.md): every comment of 20+ words right, as with
lingua, and about as often right as lingua on their first 3, 5 or 8 words, at about a third of
lingua's CPU time per comment, from a 4.6 MB wheel instead of lingua's 96 MB.

A text gets :data:`UND` ("undetermined", ISO 639-2) when it has fewer than
:data:`MIN_WORDS` words or the detector's normalised probability is under
:data:`MIN_CONFIDENCE`: "Spot on." and a Polish comment (no Snowball stemmer, so not among
the candidates) are both undetermined, not guessed.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata
from itertools import islice
from typing import Any

from threads.once import BuiltOnce

#: the code stored for text too short or too unclear to tell
UND = "und"
#: fewer words than this: undetermined without asking the detector
MIN_WORDS = 3
#: the detector's normalised probability below which the text is undetermined
MIN_CONFIDENCE = 0.5
#: ISO 639-1 code -> NLTK Snowball stemmer name: the languages detected and stemmed
SNOWBALL: dict[str, str] = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}
#: languages with a sentiment lexicon (VADER's is English); undetermined text is read as English
SENTIMENT_LANGUAGES = frozenset({"en", UND})

_WORD = re.compile(r"[^\W\d_]+")


#: the loaded model (one key), once a thread has needed it
_IDENTIFIER: BuiltOnce[None, Any] = BuiltOnce(limit=1)


def _load_identifier() -> Any:
    # imported here: numpy and the model (about a second) only for runs that detect
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(SNOWBALL))
    return identifier


def _identifier() -> Any:
    """The model, loaded once per process: by the first thread that needs it, while any other
    thread waits (32 submissions arriving together on a fresh server each loaded it: 0.7 s of
    CPU apiece, under one interpreter lock)."""
    return _IDENTIFIER.get(None, _load_identifier)


def detector_name() -> str:
    """The detector and its version, as reports cite it."""
    return f"py3langid {metadata.version('py3langid')}"


def detect_language(text: str) -> str:
    """The ISO 639-1 code of ``text``'s language (a key of :data:`SNOWBALL`), or :data:`UND`."""
    if sum(1 for _ in islice(_WORD.finditer(text), MIN_WORDS)) < MIN_WORDS:
        return UND
    code, probability = _identifier().classify(text)
    return str(code) if probability >= MIN_CONFIDENCE else UND


def has_sentiment(language: str | None) -> bool:
    """Whether a comment in ``language`` gets a sentiment score (VADER: English only)."""
    return language is None or language in SENTIMENT_LANGUAGES


@cache
def stop_words_of(language: str) -> frozenset[str]:
    """The stop words of a language (lower case, straight apostrophes) from the ``stop-words``
    package, which ships its lists; empty for a language it has none for (and for UND)."""
    from stop_words import StopWordError, get_stop_words

    name = SNOWBALL.get(language)
    if name is None:
        return frozenset()
    try:
        words = get_stop_words(name)
    except StopWordError:
        return frozenset()
    return frozenset(w.strip().lower().replace("\u2019", "'") for w in words if w.strip())
