"""Languages: detection, per-language codebook terms and stemmers, stop words in distinctive
terms, sentiment only where a lexicon exists, the language mix in reports, on the German,
French, Spanish and English fixture (fixtures/multilingual-comments.json)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from threads.analysis.logodds import tokens
from threads.archive.jsonl import dump_archive
from threads.db import downgrade, upgrade
from threads.errors import InvalidInput
from threads.topics.classifier import Classifier
from threads.topics.gold import shipped_models
from threads.topics.language import UND, detect_language, stop_words_of
from threads.topics.taxonomy import load_taxonomy, parse_taxonomy

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MIXED = FIXTURES / "multilingual-comments.json"
CODEBOOK = FIXTURES / "taxonomy-multilingual.toml"
#: the default codebook's version before languages existed: it must not change
DEFAULT_VERSION = "d0c9e9aaf6b83424"


def _fixture() -> list[dict[str, Any]]:
    comments: list[dict[str, Any]] = json.loads(MIXED.read_text("utf-8"))["comments"]
    return comments


def _run(db_url: str, *args: str) -> Any:
    return runner.invoke(
        app, list(args), env={"THREADS_DATABASE_URL": db_url, "USER": "mia", "COLUMNS": "200"}
    )


def test_fixture_has_comments_of_20_words_in_four_languages() -> None:
    long = [c for c in _fixture() if len(c["markdown"].split()) >= 20]
    assert {c["language"] for c in long} == {"de", "fr", "es", "en"}
    assert len(long) >= 30


def test_language_is_detected_right_for_at_least_95_percent_of_long_comments() -> None:
    long = [c for c in _fixture() if len(c["markdown"].split()) >= 20]
    right = [c["commentHex"] for c in long if detect_language(c["markdown"]) == c["language"]]
    assert len(right) / len(long) >= 0.95, sorted({c["commentHex"] for c in long} - set(right))


@pytest.mark.parametrize("text", ["", "Spot on.", "lol", "P5+1", "+1 !!!"])
def test_too_short_or_unclear_text_is_undetermined(text: str) -> None:
    assert detect_language(text) == UND


def test_a_language_without_a_stemmer_is_undetermined_not_guessed() -> None:
    polish = (
        "Rząd w Warszawie nie chce rozmawiać o rezerwach złota, a szkoda, bo to ważny temat "
        "dla wszystkich obywateli."
    )
    assert detect_language(polish) == UND


def test_default_codebook_keeps_its_version_and_a_language_table_changes_it() -> None:
    default = load_taxonomy()
    assert default.version == DEFAULT_VERSION
    assert default.languages == ()
    data: dict[str, Any] = {"name": "x", "topic": [{"id": "gold", "terms": ["gold"]}]}
    plain = parse_taxonomy(data)
    data["topic"][0]["languages"] = {"de": {"terms": ["Goldreserven"]}}
    german = parse_taxonomy(data)
    assert german.languages == ("de",)
    assert german.version != plain.version
    assert german.topics[0].languages["de"].terms == ("Goldreserven",)


@pytest.mark.parametrize(
    ("languages", "field", "expected"),
    [
        ({"xx": {"terms": ["a"]}}, "topic[0] (gold).languages.xx", "Snowball stemmer"),
        ({"en": {"terms": ["a"]}}, "topic[0] (gold).languages.en", "English terms are"),
        ({"de": {"phrases": []}}, "topic[0] (gold).languages.de.terms", "at least one term"),
        ({"de": {"terms": ["a"], "weight": 1}}, "topic[0] (gold).languages.de.weight", "only"),
        ({"de": ["a"]}, "topic[0] (gold).languages.de", "a table"),
    ],
)
def test_bad_language_table_names_the_field_and_what_was_expected(
    languages: dict[str, Any], field: str, expected: str
) -> None:
    data = {"name": "x", "topic": [{"id": "gold", "terms": ["gold"], "languages": languages}]}
    with pytest.raises(InvalidInput) as err:
        parse_taxonomy(data)
    assert err.value.field == field
    assert expected in str(err.value)


def test_a_codebook_with_german_terms_classifies_german_comments() -> None:
    clf = Classifier(load_taxonomy(CODEBOOK))
    german = [c for c in _fixture() if c["language"] == "de"]
    for c in german:
        found = clf.classify(c["markdown"], detect_language(c["markdown"])).topics
        assert sorted(found) == sorted(c["topics"]), c["commentHex"]
    # the German terms are what finds them: the English terms miss "Goldreserven", "Barren"
    first = german[0]
    assert "gold_reserves" in first["topics"]
    assert "gold_reserves" not in clf.classify(first["markdown"], "en").topics
    # and the German stemmer: "Goldes" (genitive) is the codebook's "Gold"
    found = clf.classify("Die Rückholung des deutschen Goldes hat gedauert.", "de")
    assert [m["text"] for m in found.evidence_map()["gold_reserves"]] == ["Rückholung", "Goldes"]


def test_every_fixture_comment_gets_its_topics_with_the_multilingual_codebook() -> None:
    clf = Classifier(load_taxonomy(CODEBOOK))
    wrong = {}
    for c in _fixture():
        result, language = clf.classify_text(c["markdown"])
        if sorted(result.topics) != sorted(c["topics"]):
            wrong[c["commentHex"]] = (language, result.topics)
    assert wrong == {}


def test_the_english_learned_layer_takes_no_label_from_a_comment_read_in_its_language() -> None:
    # the shipped models learned English stems: a German comment matched with German terms is
    # scored by those terms alone (the models once took 4 right `russia` labels away)
    taxonomy = load_taxonomy(CODEBOOK)
    models = shipped_models(taxonomy)
    assert models, "the multilingual codebook's topics have shipped models"
    clf = Classifier(taxonomy, models)
    wrong = {}
    for c in _fixture():
        result, language = clf.classify_text(c["markdown"])
        if language in taxonomy.languages:
            assert all(s.learned is None for s in result.scores), c["commentHex"]
        if sorted(result.topics) != sorted(c["topics"]) and language in taxonomy.languages:
            wrong[c["commentHex"]] = (language, result.topics)
    assert wrong == {}
    english = clf.classify("The Kremlin and Moscow will not budge.", "en")
    assert any(s.learned is not None for s in english.scores)


def test_english_terms_apply_where_the_codebook_has_none_for_the_language() -> None:
    # the default codebook has English terms only: every text is matched with them, detected
    # language or not, as before languages existed
    clf = Classifier(load_taxonomy())
    text = "Die Bundesbank holt ihr gold reserves aus New York zurück."
    assert clf.classify(text, "de").topics == clf.classify(text).topics == ["gold_reserves"]
    assert clf.classify_text(text) == (clf.classify(text), None)


def test_distinctive_term_tokens_drop_the_comment_languages_stop_words() -> None:
    text = "Die Bundesbank hat oder nur ohne daß die Goldreserven zurückgeholt werden können"
    german = tokens(text, "de")
    assert german == ["bundesbank", "goldreserven", "zurückgeholt"]
    assert {"oder", "nur", "ohne", "daß"} <= set(tokens(text))  # English stop words only
    assert {"oder", "nur", "ohne", "daß", "die", "und"} <= stop_words_of("de")


def _classified(db_url: str) -> None:
    assert _run(db_url, "ingest", str(MIXED)).exit_code == 0
    result = _run(db_url, "classify", "--taxonomy", str(CODEBOOK))
    assert result.exit_code == 0, result.output
    assert (
        "languages: de 11, es 11, fr 11, en 6, und 1; sentiment n/a for 33 comments "
        "(languages: de, es, fr)"
    ) in result.output


def _stored(engine: Engine) -> dict[str, tuple[str | None, float | None]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT external_id, language, sentiment FROM comment"))
        return {r.external_id: (r.language, r.sentiment) for r in rows}


def test_classify_stores_language_and_sentiment_only_for_english(
    engine: Engine, db_url: str
) -> None:
    _classified(db_url)
    stored = _stored(engine)
    expected = {c["commentHex"]: c for c in _fixture()}
    long = [k for k, c in expected.items() if len(c["markdown"].split()) >= 20]
    assert all(stored[k][0] == expected[k]["language"] for k in long)
    assert stored["en-07"][0] == UND  # "Spot on."
    for key, (language, sentiment) in stored.items():
        if language in ("en", UND):
            assert sentiment is not None, key
        else:
            assert sentiment is None, key


def test_report_shows_the_language_mix_in_every_format(db_url: str) -> None:
    _classified(db_url)
    args = ["report", "--all", "--taxonomy", str(CODEBOOK)]
    data = json.loads(_run(db_url, *args, "--format", "json").output)
    assert data["manifest"]["languages"] == {
        "counts": {"de": 11, "es": 11, "fr": 11, "en": 6, "und": 1},
        "sentiment_na": 33,
        "sentiment_na_languages": ["de", "es", "fr"],
        "detector": data["manifest"]["languages"]["detector"],
    }
    assert data["manifest"]["languages"]["detector"].startswith("py3langid ")
    line = "de 11, es 11, fr 11, en 6, und 1"
    na = "sentiment n/a for 33 comments (languages: de, es, fr)"
    for fmt in ("rich", "markdown", "csv"):
        out = _run(db_url, *args, "--format", fmt).output
        flat = " ".join(out.replace("|", " ").split())
        assert line in flat and na in flat, fmt


def test_distinctive_terms_are_free_of_the_languages_stop_words(db_url: str) -> None:
    _classified(db_url)
    data = json.loads(
        _run(db_url, "report", "--all", "--taxonomy", str(CODEBOOK), "--format", "json").output
    )
    stop = stop_words_of("de") | stop_words_of("fr") | stop_words_of("es")
    terms = [t["term"] for row in data["topics"]["rows"] for t in row["terms"]]
    assert terms
    assert [t for t in terms if t in stop] == []


def test_language_is_not_archived_and_classify_detects_it_again(
    engine: Engine, db_url: str
) -> None:
    _classified(db_url)
    out = io.StringIO()
    dump_archive(engine, out)
    comments = [json.loads(line) for line in out.getvalue().splitlines()]
    comments = [r for r in comments if r["type"] == "comment"]
    assert comments and all("language" not in r for r in comments)
    assert "nothing to do" in _run(db_url, "classify", "--taxonomy", str(CODEBOOK)).output


def test_upgrading_to_languages_classifies_every_comment_once_more(
    engine: Engine, db_url: str
) -> None:
    _classified(db_url)
    # a database from before migration 0011, its comments classified
    downgrade(engine, "0010")
    upgrade(engine)
    assert {language for language, _ in _stored(engine).values()} == {None}
    again = _run(db_url, "classify", "--taxonomy", str(CODEBOOK))
    assert "classified 40 comments " in again.output
    assert _stored(engine)["de-01"][0] == "de"
    assert "nothing to do" in _run(db_url, "classify", "--taxonomy", str(CODEBOOK)).output


def test_classify_input_adds_the_language_only_for_a_multilingual_codebook(
    tmp_path: Path,
) -> None:
    source = tmp_path / "in.jsonl"
    lines = [{"id": c["commentHex"], "body": c["markdown"]} for c in _fixture()[:2]]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    url = f"sqlite:///{tmp_path}/unused.db"
    multi = _run(url, "classify", "--input", str(source), "--taxonomy", str(CODEBOOK))
    plain = _run(url, "classify", "--input", str(source))
    assert [json.loads(x)["language"] for x in multi.output.splitlines()] == ["de", "de"]
    assert all("language" not in json.loads(x) for x in plain.output.splitlines())


def test_the_language_model_is_loaded_once_when_threads_ask_together() -> None:
    """A fresh server's first submissions arrive together: one thread loads the model (0.7 s),
    the others wait for it instead of each loading a copy."""
    import threading

    from threads.topics import language

    language._IDENTIFIER.clear()
    barrier = threading.Barrier(6)
    found: list[object] = []

    def ask() -> None:
        barrier.wait()
        found.append(language._identifier())

    workers = [threading.Thread(target=ask) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(language._IDENTIFIER) == 1
    assert all(model is found[0] for model in found)
    assert (
        detect_language("Die Bundesbank hat ihre Goldreserven aus New York nach Frankfurt geholt.")
        == "de"
    )
