"""Language detectors compared on the mixed fixture: accuracy and CPU time per comment.

Reads ``fixtures/multilingual-comments.json`` (German, French, Spanish and English readers'
comments, each with the language a person gives it) and, for each detector installed, reports:
right answers on the comments of 20+ words and on their first 3, 5 and 8 words, the time to
load its model, and CPU microseconds per comment of 20+ words (the mean of ``--repeat`` passes).

* ``py3langid`` (what threads uses; restricted, as threads does, to the languages NLTK's Snowball
  stemmer knows);
* ``lingua`` (``pip install lingua-language-detector``, not a dependency of threads), with the same
  languages and with all 75 of its languages, high-accuracy mode.

Run: .venv/bin/python bench/language_bench.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _quick import capped  # noqa: E402

from threads.topics.language import SNOWBALL, detect_language  # noqa: E402

Detector = Callable[[str], str]


def _py3langid_plain() -> Detector:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(SNOWBALL))
    return lambda text: str(identifier.classify(text)[0])


def _lingua(every_language: bool) -> Callable[[], Detector]:
    def build() -> Detector:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        if every_language:
            builder = LanguageDetectorBuilder.from_all_languages()
        else:
            codes = [getattr(IsoCode639_1, "NB" if c == "no" else c.upper()) for c in SNOWBALL]
            builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        detector = builder.build()

        def detect(text: str) -> str:
            found = detector.detect_language_of(text)
            if found is None:
                return "und"
            code = found.iso_code_639_1.name.lower()
            return "no" if code == "nb" else code

        return detect

    return build


CANDIDATES: list[tuple[str, Callable[[], Detector]]] = [
    (
        "threads (py3langid, Snowball languages, und below 3 words or p < 0.5)",
        lambda: detect_language,
    ),
    ("py3langid, Snowball languages, best guess", _py3langid_plain),
    ("lingua, Snowball languages", _lingua(False)),
    ("lingua, all languages", _lingua(True)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = capped(parser.parse_args(), repeat=1)
    data = json.loads((ROOT / "fixtures" / "multilingual-comments.json").read_text("utf-8"))
    long = [
        (c["markdown"], c["language"]) for c in data["comments"] if len(c["markdown"].split()) >= 20
    ]
    print(f"{len(long)} comments of 20+ words ({', '.join(sorted({g for _, g in long}))})")
    print("| detector | 20+ words | 3 words | 5 words | 8 words | load s | CPU us/comment |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, build in CANDIDATES:
        try:
            start = time.process_time()
            detect = build()
            detect(long[0][0])  # some detectors load their model on first use
            load = time.process_time() - start
        except ImportError:
            print(f"| {name} | not installed | | | | | |")
            continue
        cells = [f"{sum(detect(t) == g for t, g in long)}/{len(long)}"]
        for k in (3, 5, 8):
            prefixes = [(" ".join(t.split()[:k]), g) for t, g in long]
            cells.append(f"{sum(detect(t) == g for t, g in prefixes)}/{len(prefixes)}")
        start = time.process_time()
        for _ in range(args.repeat):
            for text, _ in long:
                detect(text)
        per = (time.process_time() - start) / (args.repeat * len(long)) * 1e6
        print(f"| {name} | {' | '.join(cells)} | {load:.2f} | {per:,.0f} |")


if __name__ == "__main__":
    main()
