"""The codebook (taxonomy): a TOML file of topics, each with terms, phrases and exclusions.

A codebook is read with ``tomllib`` and checked field by field; any mistake is an
``InvalidInput`` naming the file and the field. Its version is the hash of its normalised
content (the parsed fields in a canonical JSON form), so reformatting or reordering keys in the
file does not change it while any change of meaning does. Every automatic label stores the
version of the codebook that produced it.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from threads.errors import InvalidInput
from threads.topics.language import SNOWBALL

#: score at or above which a topic is assigned, unless the codebook says otherwise
DEFAULT_THRESHOLD = 0.5
#: weights of a codebook match when the codebook gives none
DEFAULT_TERM_WEIGHT = 1.0
DEFAULT_PHRASE_WEIGHT = 1.0

_TOPIC_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class LanguageTerms:
    """A topic's terms, phrases and exclusions in one language other than English."""

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """One topic of a codebook. ``weights`` maps a term or phrase (as written) to its weight."""

    id: str
    label: str
    description: str = ""
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD
    #: terms in other languages, by ISO 639-1 code (``[topic.languages.de]``); the plain
    #: ``terms``/``phrases``/``exclude`` are the English ones
    languages: dict[str, LanguageTerms] = field(default_factory=dict)

    def weight_of(self, entry: str, *, phrase: bool) -> float:
        default = DEFAULT_PHRASE_WEIGHT if phrase else DEFAULT_TERM_WEIGHT
        return self.weights.get(entry, self.weights.get(entry.lower(), default))


@dataclass(frozen=True)
class Taxonomy:
    """A loaded codebook: its topics in file order and the version labels are stored under."""

    name: str
    topics: tuple[Topic, ...]
    #: sha256 of the normalised content (hex)
    content_hash: str
    description: str = ""
    source: str = ""

    @property
    def version(self) -> str:
        """The short version stored with labels and models: the first 16 hex digits of the hash."""
        return self.content_hash[:16]

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages besides English that some topic gives terms for, sorted."""
        return tuple(sorted({code for t in self.topics for code in t.languages}))

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise InvalidInput(
            f"unknown topic {topic_id!r}: the codebook {self.name!r} has "
            + ", ".join(self.topic_ids),
            field="topic",
        )


def default_taxonomy_path() -> Path:
    """The default codebook shipped with the package (``fixtures/taxonomy.toml`` links to it)."""
    return Path(str(resources.files("threads").joinpath("data", "taxonomy.toml")))


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and check a codebook file; ``None`` reads the default codebook."""
    where = Path(path) if path is not None else default_taxonomy_path()
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{where}: no such codebook file", field="--taxonomy") from None
    except OSError as exc:
        raise InvalidInput(f"{where}: cannot read: {exc.strerror}", field="--taxonomy") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(f"{where}: not UTF-8 text", field="--taxonomy") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{where}: not valid TOML: {exc}", field="--taxonomy") from None
    return parse_taxonomy(data, source=str(where))


def parse_taxonomy(data: dict[str, Any], *, source: str = "<codebook>") -> Taxonomy:
    """A codebook from already-parsed TOML data (see ``load_taxonomy``)."""
    where = source

    def bad(fieldname: str, expected: str) -> InvalidInput:
        return InvalidInput(f"{where}: {fieldname}: expected {expected}", field=fieldname)

    # Keys this version does not know are ignored (a codebook may carry notes, authors, a
    # version string...): they do not change the meaning, so they are not part of the hash.
    name = data.get("name")
    if name is None:
        name = Path(source).stem if source and not source.startswith("<") else "codebook"
    if not isinstance(name, str) or not name.strip():
        raise bad("name", "a non-empty string naming the codebook")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise bad("description", "a string")
    default_threshold = _threshold(data.get("threshold", DEFAULT_THRESHOLD), "threshold", bad)
    raw_topics = data.get("topic", data.get("topics"))
    if not isinstance(raw_topics, list) or not raw_topics:
        raise bad("topic", "at least one [[topic]] table")
    topics: list[Topic] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_topics):
        at = f"topic[{i}]"
        if not isinstance(raw, dict):
            raise bad(at, "a table")
        topic_id = raw.get("id")
        if not isinstance(topic_id, str) or not _TOPIC_ID.match(topic_id):
            raise bad(
                f"{at}.id",
                "a topic id: lower-case letters, digits, '_', '.', '-' (at most 64 characters)",
            )
        if topic_id in seen:
            raise bad(f"{at}.id", f"a unique id ({topic_id!r} appears twice)")
        seen.add(topic_id)
        at = f"topic[{i}] ({topic_id})"
        label = raw.get("label", topic_id)
        if not isinstance(label, str) or not label.strip():
            raise bad(f"{at}.label", "a non-empty string")
        desc = raw.get("description", "")
        if not isinstance(desc, str):
            raise bad(f"{at}.description", "a string")
        terms = _strings(raw.get("terms", []), f"{at}.terms", bad)
        phrases = _strings(raw.get("phrases", []), f"{at}.phrases", bad)
        exclude = _strings(raw.get("exclude", []), f"{at}.exclude", bad)
        if not terms and not phrases:
            raise bad(f"{at}.terms", "at least one term or phrase for the topic")
        weights_raw = raw.get("weights", {})
        if not isinstance(weights_raw, dict):
            raise bad(f"{at}.weights", "a table of term = weight")
        weights: dict[str, float] = {}
        for key, value in weights_raw.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise bad(f"{at}.weights.{key}", "a positive number")
            weights[str(key).strip().lower()] = float(value)
        threshold = _threshold(raw.get("threshold", default_threshold), f"{at}.threshold", bad)
        languages = _languages(raw.get("languages", {}), f"{at}.languages", bad)
        topics.append(
            Topic(
                id=topic_id,
                label=label.strip(),
                description=desc.strip(),
                terms=terms,
                phrases=phrases,
                exclude=exclude,
                weights=weights,
                threshold=threshold,
                languages=languages,
            )
        )
    normalised = {
        "name": name.strip(),
        "topics": [
            {
                "id": t.id,
                "label": t.label,
                "description": t.description,
                "terms": sorted({x.lower() for x in t.terms}),
                "phrases": sorted({x.lower() for x in t.phrases}),
                "exclude": sorted({x.lower() for x in t.exclude}),
                "weights": dict(sorted(t.weights.items())),
                "threshold": t.threshold,
                # only when given: a codebook without other languages keeps its version
                **({"languages": _normalised_languages(t)} if t.languages else {}),
            }
            for t in topics
        ],
    }
    canonical = json.dumps(normalised, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Taxonomy(
        name=name.strip(),
        topics=tuple(topics),
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        description=description.strip(),
        source=source,
    )


def _languages(value: Any, fieldname: str, bad: Any) -> dict[str, LanguageTerms]:
    """``[topic.languages.XX]`` tables: terms, phrases and exclude in language XX."""
    expected_codes = ", ".join(code for code in sorted(SNOWBALL) if code != "en")
    if not isinstance(value, dict):
        raise bad(fieldname, "a table of language code = {terms, phrases, exclude}")
    out: dict[str, LanguageTerms] = {}
    for code, table in sorted(value.items()):
        at = f"{fieldname}.{code}"
        if code == "en":
            raise bad(at, "no English table: English terms are the topic's own terms and phrases")
        if code not in SNOWBALL:
            raise bad(at, f"an ISO 639-1 code with a Snowball stemmer: {expected_codes}")
        if not isinstance(table, dict):
            raise bad(at, "a table with terms, phrases and exclude")
        unknown = sorted(set(table) - {"terms", "phrases", "exclude"})
        if unknown:
            raise bad(f"{at}.{unknown[0]}", "only terms, phrases and exclude in a language table")
        entry = LanguageTerms(
            terms=_strings(table.get("terms", []), f"{at}.terms", bad),
            phrases=_strings(table.get("phrases", []), f"{at}.phrases", bad),
            exclude=_strings(table.get("exclude", []), f"{at}.exclude", bad),
        )
        if not entry.terms and not entry.phrases:
            raise bad(f"{at}.terms", "at least one term or phrase in the language")
        out[code] = entry
    return out


def _normalised_languages(topic: Topic) -> dict[str, dict[str, list[str]]]:
    return {
        code: {
            "terms": sorted({x.lower() for x in lt.terms}),
            "phrases": sorted({x.lower() for x in lt.phrases}),
            "exclude": sorted({x.lower() for x in lt.exclude}),
        }
        for code, lt in sorted(topic.languages.items())
    }


def _strings(value: Any, fieldname: str, bad: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(fieldname, "a list of strings")
    cleaned = [" ".join(v.split()) for v in value]
    if any(not v for v in cleaned):
        raise bad(fieldname, "non-empty strings")
    return tuple(dict.fromkeys(cleaned))


def _threshold(value: Any, fieldname: str, bad: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise bad(fieldname, "a number between 0 and 1 (exclusive)")
    return float(value)
