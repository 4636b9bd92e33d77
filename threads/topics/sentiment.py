"""Sentiment per comment with NLTK's VADER analyser and the lexicon shipped in ``vaderSentiment``.

NLTK loads the lexicon by resource name only (3.10 refuses absolute paths), and nothing may be
downloaded: the lexicon file of the ``vaderSentiment`` package is copied once into a private
data directory, which is added to ``nltk.data.path``, and loaded from there by name.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import nltk
from nltk.sentiment.vader import SentimentIntensityAnalyzer

from threads.errors import ThreadsError

RESOURCE = "sentiment/threads_vader/vader_lexicon.txt"


def _data_dir() -> Path:
    """A directory of our own for NLTK data: the user cache, else the temporary directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for root in (Path(base), Path(tempfile.gettempdir()) / f"threads-{os.getuid()}"):
        target = root / "threads" / "nltk_data"
        try:
            target.mkdir(parents=True, exist_ok=True)
            probe = target / ".writable"
            probe.touch()
            return target
        except OSError:
            continue
    raise ThreadsError("no writable directory for the VADER lexicon (cache or temporary)")


def install_lexicon() -> Path:
    """Copy the ``vaderSentiment`` lexicon into the private NLTK data directory (once) and
    put that directory on ``nltk.data.path``; returns the directory."""
    source = resources.files("vaderSentiment").joinpath("vader_lexicon.txt")
    data = source.read_bytes().rstrip(b"\r\n")  # NLTK's parser fails on a trailing empty line
    root = _data_dir()
    target = root / RESOURCE
    if not target.exists() or target.read_bytes() != data:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
    return root


@lru_cache(maxsize=1)
def analyser() -> SentimentIntensityAnalyzer:
    """NLTK's VADER analyser over the vaderSentiment lexicon (built once per process)."""
    install_lexicon()
    return SentimentIntensityAnalyzer(lexicon_file=RESOURCE)


def sentiment_of(text: str) -> dict[str, float]:
    """VADER's scores for a text: ``neg``, ``neu``, ``pos`` and ``compound`` (-1 to 1)."""
    if not text.strip():
        return {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}
    scores = analyser().polarity_scores(text)
    return {k: float(scores[k]) for k in ("neg", "neu", "pos", "compound")}
