"""Recall beyond the codebook's words: the shipped gold sets, the learned layer trained on them
by default, `threads codebook suggest` and `threads label --next` (real CLI, SQLite and
PostgreSQL where a database is involved)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from nltk.classify import NaiveBayesClassifier
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.app import app
from tests.moderation_support import make_comment, make_thread
from threads.models import TopicModel
from threads.topics import gold
from threads.topics.classifier import Classifier
from threads.topics.evaluation import evaluate_gold, read_items
from threads.topics.learn import NO, YES, presence_probabilities
from threads.topics.taxonomy import load_taxonomy

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent

#: measured on builtin:paraphrase_holdout with the default install (docs/recall-and-gold-sets.md):
#: codebook + shipped learned layer 0.881, codebook alone 0.154; asserted rounded down
PARAPHRASE_FLOOR = 0.88
CODEBOOK_ONLY_MEASURED = 0.1537

FRUIT = """
name = "kitchen"
[[topic]]
id = "fruit"
label = "Fruit"
terms = ["apple", "pear"]
[topic.weights]
"pear" = 0.5
"""


def _run(*args: str, db_url: str | None = None, user: str = "mia") -> Any:
    env = {"USER": user, "COLUMNS": "200"}
    if db_url is not None:
        env["THREADS_DATABASE_URL"] = db_url
    return runner.invoke(app, list(args), env=env)


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- shipped gold sets


def test_gold_sets_are_shipped_and_named() -> None:
    assert gold.gold_names() == ["holdout", "labelled", "paraphrase_holdout", "seed", "train"]


@pytest.mark.parametrize(
    ("name", "lines"),
    [("labelled", 93), ("holdout", 42), ("seed", 4), ("paraphrase_holdout", 94), ("train", 381)],
)
def test_evaluate_builtin_gold_works_from_any_directory(
    name: str, lines: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = _json(
        _run(
            "evaluate", "--gold", f"builtin:{name}", "--format", "json",
            db_url=f"sqlite:///{tmp_path / 'never.db'}",
        )
    )  # fmt: skip
    assert data["items"] == lines
    assert not (tmp_path / "never.db").exists()  # research mode: no database


def test_unknown_builtin_gold_set_is_an_error_listing_the_known_ones() -> None:
    result = _run("evaluate", "--gold", "builtin:nope")
    assert result.exit_code == 1
    assert "no shipped gold set 'nope'" in result.output
    for name in gold.gold_names():
        assert f"builtin:{name}" in result.output
    assert "Traceback" not in result.output


def test_fixture_files_are_the_packaged_sets_not_copies() -> None:
    packaged = ROOT / "threads" / "data" / "gold"
    for fixture, name in [
        ("labelled.jsonl", "labelled"),
        ("labelled_holdout.jsonl", "holdout"),
        ("seed_labels.jsonl", "seed"),
    ]:
        assert (ROOT / "fixtures" / fixture).resolve() == (packaged / f"{name}.jsonl").resolve()


def test_the_paraphrase_holdout_is_never_trained_on() -> None:
    assert "paraphrase_holdout" not in gold.TRAINING_SETS
    assert not gold.trained_on("builtin:paraphrase_holdout")
    held = {i.body for i in read_items("builtin:paraphrase_holdout", gold=True)}
    trained = {i.body for n in gold.TRAINING_SETS for i in read_items(f"builtin:{n}", gold=True)}
    assert len(held) == 94 and not held & trained
    kinds = {json.loads(line)["kind"] for line in gold.open_builtin("builtin:paraphrase_holdout")}
    assert {"paraphrase", "negation", "distractor"} <= kinds


def test_evaluating_on_a_training_set_says_so() -> None:
    for source in ("builtin:labelled", str(ROOT / "fixtures" / "labelled.jsonl")):
        data = _json(_run("evaluate", "--gold", source, "--format", "json"))
        assert data["notes"] and "not a test" in data["notes"][0]
        alone = _json(_run("evaluate", "--gold", source, "--codebook-only", "--format", "json"))
        assert alone["notes"] == [] and alone["method"] == "codebook"
    rich = _run("evaluate", "--gold", "builtin:train", "--show", "0")
    assert rich.exit_code == 0 and "note: the learned layer was trained on builtin:train" in (
        " ".join(rich.output.split())
    )


# --------------------------------------------------------------------------- the figure


def test_paraphrase_holdout_reaches_the_recorded_figure() -> None:
    taxonomy = load_taxonomy(None)
    default = evaluate_gold(
        "builtin:paraphrase_holdout", Classifier(taxonomy, gold.shipped_models(taxonomy))
    )
    alone = evaluate_gold("builtin:paraphrase_holdout", Classifier(taxonomy))
    assert default.macro["f1"] >= PARAPHRASE_FLOOR, default.macro
    assert alone.macro["f1"] == pytest.approx(CODEBOOK_ONLY_MEASURED, abs=0.001), alone.macro
    assert default.notes == []


def test_the_cli_default_is_codebook_plus_shipped_layer() -> None:
    data = _json(_run("evaluate", "--gold", "builtin:paraphrase_holdout", "--format", "json"))
    assert data["macro"]["f1"] >= PARAPHRASE_FLOOR
    assert data["method"] == "codebook + learned (gold_reserves, p5plus1_unity, russia)"
    alone = _json(
        _run(
            "evaluate", "--gold", "builtin:paraphrase_holdout", "--codebook-only",
            "--format", "json",
        )
    )  # fmt: skip
    assert alone["macro"]["f1"] < data["macro"]["f1"]
    both = _run("evaluate", "--gold", "builtin:seed", "--codebook-only", "--folds", "2")
    assert both.exit_code == 1 and "give one of them" in both.output


def test_classify_input_uses_the_shipped_layer_unless_codebook_only(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    body = "Sovereign buyers keep hoarding the yellow stuff in their own basements."
    source.write_text(json.dumps({"id": 1, "body": body}) + "\n", encoding="utf-8")
    (line,) = [json.loads(x) for x in _run("classify", "--input", str(source)).stdout.split()]
    assert line["topics"] == ["gold_reserves"]
    learned = [e for e in line["evidence"]["gold_reserves"] if e["layer"] == "learned"]
    assert learned and all(body[e["start"] : e["end"]] == e["text"] for e in learned)
    result = _run("classify", "--input", str(source), "--codebook-only")
    (alone,) = [json.loads(x) for x in result.stdout.split()]
    assert alone["topics"] == []


# --------------------------------------------------------------------------- the model


def test_shipped_training_applies_only_to_matching_topic_ids(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.toml"
    mixed.write_text(
        FRUIT + '[[topic]]\nid = "russia"\nlabel = "Russia"\nterms = ["Kremlin"]\n',
        encoding="utf-8",
    )
    fruit = tmp_path / "fruit.toml"
    fruit.write_text(FRUIT, encoding="utf-8")
    models = gold.shipped_models(load_taxonomy(mixed))
    assert set(models) == {"russia"} and models["russia"].label_count == 474
    assert gold.shipped_models(load_taxonomy(fruit)) == {}
    assert gold.shipped_examples(load_taxonomy(fruit)) == []


def test_shipped_models_are_deterministic() -> None:
    taxonomy = load_taxonomy(None)
    first = {t: m.digest for t, m in gold.shipped_models(taxonomy).items()}
    gold._MODELS.clear()
    again = {t: m.digest for t, m in gold.shipped_models(taxonomy).items()}
    assert first == again and set(first) == set(taxonomy.topic_ids)


def test_presence_probabilities_are_nltks() -> None:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(30)]
    train = [
        ({w: True for w in rng.sample(vocab, rng.randint(0, 6))}, rng.choice([YES, NO]))
        for _ in range(80)
    ]
    train.append(({"always": True}, YES))  # a feature seen once, under one label
    ours = presence_probabilities(train)
    nb = NaiveBayesClassifier.train(train)
    for f, (p, q) in ours.items():
        assert nb._feature_probdist[YES, f].prob(True) == pytest.approx(p)
        assert nb._feature_probdist[NO, f].prob(True) == pytest.approx(q)
    assert set(ours) == {f for fs, _ in train for f in fs}


# --------------------------------------------------------------------------- database


def test_train_combines_shipped_comments_and_moderator_labels(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    duma = [
        make_comment(engine, tid, body=f"The Duma rubber-stamped budget number {i}.")
        for i in range(3)
    ]
    for cid in duma:
        assert _run("label", str(cid), "--add", "russia", db_url=db_url).exit_code == 0
    data = _json(_run("train", "--format", "json", db_url=db_url))
    assert data["shipped_comments"] == 474 and data["reviewed_comments"] == 3
    assert data["shipped_topics"] == ["gold_reserves", "p5plus1_unity", "russia"]
    assert data["labels"]["russia"]["positive"] == 118 + 3
    assert data["trained"] == ["gold_reserves", "p5plus1_unity", "russia"]
    with Session(engine) as session:
        stored = {m.topic_id: m.label_count for m in session.exec(select(TopicModel))}
    assert stored == {"gold_reserves": 477, "p5plus1_unity": 477, "russia": 477}
    alone = _json(_run("train", "--no-shipped", "--format", "json", db_url=db_url))
    assert alone["shipped_comments"] == 0 and alone["trained"] == []
    rich = _run("train", db_url=db_url)
    assert "474 labelled comments shipped with threads" in rich.output


def test_codebook_suggest_finds_the_topics_own_words(engine: Engine, db_url: str) -> None:
    tid = make_thread(engine)
    for i in range(4):
        make_comment(engine, tid, body=f"Putin and the oligarchs met again, round {i}.")
    make_comment(engine, tid, body="The oligarchs of Petersburg own the Duma outright.")
    for i in range(5):
        make_comment(engine, tid, body=f"Lovely weather for the garden party, day {i}.")
    quiet = make_comment(engine, tid, body="The Duma voted as the oligarchs wished.")
    assert _run("classify", db_url=db_url).exit_code == 0
    # a moderator's label puts a comment in the topic whatever the classifier said
    assert _run("label", str(quiet), "--add", "russia", db_url=db_url).exit_code == 0
    data = _json(_run("codebook", "suggest", "russia", "--format", "json", db_url=db_url))
    assert data["comments_in_topic"] == 6 and data["comments_outside"] == 5
    by_text = {s["text"]: s for s in data["suggestions"]}
    assert by_text["oligarchs"]["in_topic"] == 6 and by_text["oligarchs"]["outside"] == 0
    assert by_text["oligarchs"]["kind"] == "term" and len(by_text["oligarchs"]["examples"]) == 2
    assert "putin" not in by_text  # already a term of the topic
    assert "lovely" not in by_text  # only outside the topic
    assert data["suggestions"][0]["text"] == "oligarchs"  # the most lopsided, most frequent
    assert '"Kremlin"' in data["toml"] and '"oligarchs"' in data["toml"]
    rich = _run("codebook", "suggest", "russia", "--limit", "3", db_url=db_url)
    assert rich.exit_code == 0, rich.output
    assert "paste into the codebook" in rich.output and "oligarchs" in rich.output
    assert 'terms = ["Russia",' in rich.output
    unknown = _run("codebook", "suggest", "nope", db_url=db_url)
    assert unknown.exit_code == 1 and "'nope' is not in the codebook" in unknown.output


def test_label_next_lists_the_least_certain_comments_first(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    codebook = tmp_path / "fruit.toml"
    codebook.write_text(FRUIT, encoding="utf-8")
    tid = make_thread(engine)
    apple = make_comment(engine, tid, body="An apple a day.")  # 0.6: margin 0.1
    pear = make_comment(engine, tid, body="A pear, ripe.")  # 0.37: margin 0.13
    lots = make_comment(engine, tid, body="Apple, apples, apple and a pear.")  # 0.84
    make_comment(engine, tid, body="Nothing to see.")  # no score at all
    assert _run("classify", "--taxonomy", str(codebook), db_url=db_url).exit_code == 0
    args = ("label", "--next", "5", "--taxonomy", str(codebook))
    rows = _json(_run(*args, "--format", "json", db_url=db_url))
    assert [r["comment_id"] for r in rows] == [apple, pear, lots]
    first = rows[0]
    assert first["margin"] == pytest.approx(0.1) and first["scores"] == {"fruit": 0.6}
    assert first["assigned"] == {"fruit": True} and first["entropy"] > 0.9
    assert first["evidence"]["fruit"][0]["text"] == "apple" and first["text"] == "An apple a day."
    rich = _run(*args, db_url=db_url)
    assert rich.exit_code == 0 and "label these next" in rich.output
    assert "fruit 0.60 *" in rich.output
    # once a moderator labelled it, a comment is certain
    add = ("label", str(apple), "--add", "fruit", "--taxonomy", str(codebook))
    assert _run(*add, db_url=db_url).exit_code == 0
    rows = _json(_run(*args, "--format", "json", db_url=db_url))
    assert [r["comment_id"] for r in rows] == [pear, lots]
    wrong = _run("label", str(pear), "--next", "2", db_url=db_url)
    assert wrong.exit_code == 1 and "--next lists comments to label" in wrong.output
    assert _run("label", "--next", "0", db_url=db_url).exit_code == 1


def test_learned_words_that_do_not_lift_a_silent_codebook_leave_no_score() -> None:
    taxonomy = load_taxonomy(None)
    clf = Classifier(taxonomy, gold.shipped_models(taxonomy))
    result = clf.classify("Nice photos, thanks for sharing them.")
    assert result.score_map() == {t: 0.0 for t in taxonomy.topic_ids}
    assert result.evidence_map() == {}
    # a weak codebook cue keeps its score, with the learned words beside it
    vault = clf.classify("The vault at the museum.").scores[0]
    assert vault.codebook > 0 and vault.score > 0 and vault.evidence[0]["layer"] == "codebook"
