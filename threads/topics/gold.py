"""The labelled comments shipped with the package (``threads/data/gold/*.jsonl``), addressable
as ``builtin:NAME``, and the learned layer trained on them by default.

The sets, all labelled with the default codebook's topics:

* ``train`` and ``labelled``: what the shipped learned layer is trained on;
* ``holdout``: comments written after the codebook was frozen, never used to change it;
* ``paraphrase_holdout``: paraphrases, negations and distractors written before any training
  data, never used for training or for tuning anything;
* ``seed``: the seed thread's four comments.

The shipped training applies to the default codebook, and to any codebook for the topics whose
ids match the default codebook's (the sets say nothing about other topics). The models are
fitted when first asked for (NLTK Naive Bayes, a fraction of a second) and kept per codebook
content, so they are the same on every machine and in every process.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import IO

from threads.errors import InvalidInput
from threads.once import BuiltOnce
from threads.topics.learn import Example, LearnedModel, fit_models
from threads.topics.taxonomy import Taxonomy, load_taxonomy

PREFIX = "builtin:"
#: the shipped sets the default learned layer is trained on
TRAINING_SETS = ("train", "labelled")

#: the fitted layer per codebook content (fitted by one thread; the others wait for it)
_MODELS: BuiltOnce[str, dict[str, LearnedModel]] = BuiltOnce(limit=8)


def _folder() -> Traversable:
    return resources.files("threads").joinpath("data", "gold")


def gold_names() -> list[str]:
    """The names of the shipped gold sets, sorted."""
    return sorted(
        f.name.removesuffix(".jsonl") for f in _folder().iterdir() if f.name.endswith(".jsonl")
    )


def is_builtin(source: str | os.PathLike[str]) -> bool:
    return str(source).startswith(PREFIX)


def builtin_name(source: str | os.PathLike[str]) -> str:
    """The set named by ``builtin:NAME``; an unknown name is an error listing the known ones."""
    name = str(source).removeprefix(PREFIX)
    names = gold_names()
    if name not in names:
        raise InvalidInput(
            f"--gold: no shipped gold set {name!r}; expected one of "
            + ", ".join(PREFIX + n for n in names),
            field="--gold",
        )
    return name


def open_builtin(source: str | os.PathLike[str]) -> IO[str]:
    """The text of a shipped gold set, opened for reading."""
    return _folder().joinpath(builtin_name(source) + ".jsonl").open("r", encoding="utf-8")


def trained_on(source: str | os.PathLike[str]) -> bool:
    """Whether a gold file (``builtin:NAME`` or a path, links resolved) is one the shipped
    learned layer was trained on: scores on it are not a test of that layer."""
    if is_builtin(source):
        return builtin_name(source) in TRAINING_SETS
    try:
        given = Path(source).resolve()
    except OSError:
        return False
    folder = _folder()
    for name in TRAINING_SETS:
        shipped = folder.joinpath(name + ".jsonl")
        if isinstance(shipped, Path) and shipped.resolve() == given:
            return True
    return False


def shipped_topics(taxonomy: Taxonomy) -> list[str]:
    """The topics of ``taxonomy`` the shipped sets are labelled for (ids of the default
    codebook), in codebook order."""
    known = set(load_taxonomy(None).topic_ids)
    return [t for t in taxonomy.topic_ids if t in known]


def shipped_examples(taxonomy: Taxonomy) -> list[Example]:
    """The shipped training comments as examples for ``taxonomy``: each judged on every topic
    whose id the default codebook shares (none when no id matches)."""
    from threads.topics.evaluation import read_items

    judged = shipped_topics(taxonomy)
    if not judged:
        return []
    examples: list[Example] = []
    for name in TRAINING_SETS:
        for item in read_items(PREFIX + name, gold=True):
            topics = item.topics or frozenset()
            examples.append(Example(item.body, {t: t in topics for t in judged}))
    return examples


def shipped_models(taxonomy: Taxonomy) -> dict[str, LearnedModel]:
    """The learned layer trained on the shipped sets for ``taxonomy`` (empty when it shares no
    topic id with the default codebook); fitted once per codebook content."""
    models = _MODELS.get(
        taxonomy.content_hash, lambda: fit_models(shipped_examples(taxonomy), taxonomy)
    )
    return dict(models)
