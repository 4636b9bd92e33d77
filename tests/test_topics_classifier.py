"""The codebook, the normaliser, layer-1 scoring, layer 2 and the sentiment, without a database."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threads.errors import InvalidInput
from threads.topics.classifier import Classifier
from threads.topics.learn import Example, LearnedModel, fit_models
from threads.topics.normalise import Normaliser
from threads.topics.sentiment import sentiment_of
from threads.topics.taxonomy import load_taxonomy, parse_taxonomy

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# A codebook the classifier has never seen: four topics of a cooking and weather blog.
KITCHEN = """
name = "kitchen-weather"
[[topic]]
id = "baking"
label = "Baking"
terms = ["bake", "oven", "dough", "flour", "yeast", "sourdough"]
phrases = ["proof the dough", "baking soda"]
exclude = ["oven mitt"]
[[topic]]
id = "storms"
label = "Storms"
terms = ["storm", "thunder", "lightning", "hail", "gale"]
phrases = ["power cut", "weather warning"]
[[topic]]
id = "prices"
label = "Food prices"
terms = ["inflation"]
phrases = ["price of bread", "food prices", "cost of living"]
[[topic]]
id = "gardening"
label = "Gardening"
terms = ["compost", "seedling", "allotment"]
"""


def kitchen(tmp_path: Path) -> Path:
    path = tmp_path / "kitchen.toml"
    path.write_text(KITCHEN, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- codebook


def test_default_codebook_has_the_three_topics_and_a_content_version() -> None:
    taxonomy = load_taxonomy(None)
    assert taxonomy.topic_ids == ("gold_reserves", "p5plus1_unity", "russia")
    assert load_taxonomy(FIXTURES / "taxonomy.toml").content_hash == taxonomy.content_hash
    assert len(taxonomy.version) == 16 and taxonomy.content_hash.startswith(taxonomy.version)


def test_codebook_version_follows_meaning_not_formatting(tmp_path: Path) -> None:
    path = kitchen(tmp_path)
    first = load_taxonomy(path)
    reformatted = KITCHEN.replace('terms = ["inflation"]', 'terms = [ "inflation" ]  # note')
    path.write_text(reformatted, encoding="utf-8")
    assert load_taxonomy(path).version == first.version
    path.write_text(KITCHEN.replace('"hail", ', ""), encoding="utf-8")
    assert load_taxonomy(path).version != first.version


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("name = 'x'", "topic"),
        ("name = 3\n[[topic]]\nid = 'a'\nterms = ['b']", "name"),
        ("name = 'x'\n[[topic]]\nid = 'Bad Id'\nterms = ['b']", "topic[0].id"),
        ("name = 'x'\n[[topic]]\nid = 'a'\nterms = 'gold'", "topic[0] (a).terms"),
        ("name = 'x'\n[[topic]]\nid = 'a'", "topic[0] (a).terms"),
        ("name = 'x'\n[[topic]]\nid = 'a'\nterms = ['b']\n[[topic]]\nid = 'a'\nterms = ['c']",
         "topic[1].id"),
        ("name = 'x'\n[[topic]]\nid = 'a'\nterms = ['b']\nthreshold = 2", "topic[0] (a).threshold"),
    ],
)  # fmt: skip
def test_bad_codebook_names_the_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_taxonomy(path)
    assert str(path) in err.value.detail
    assert f"{field}:" in err.value.detail


def test_codebook_extra_keys_are_ignored_and_name_defaults_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "news-2024.toml"
    path.write_text(
        'version = "3"\nauthors = ["a"]\n[[topics]]\nid = "x"\nterms = ["apple"]\n'
        'notes = "fruit"\n',
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy.name == "news-2024" and taxonomy.topic_ids == ("x",)
    plain = tmp_path / "plain.toml"
    plain.write_text('name = "news-2024"\n[[topic]]\nid = "x"\nterms = ["apple"]\n')
    assert load_taxonomy(plain).version == taxonomy.version  # notes are not meaning


def test_missing_or_broken_codebook_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such codebook file"):
        load_taxonomy(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_taxonomy(broken)


# --------------------------------------------------------------------------- normaliser


def test_tokenizer_keeps_group_names_and_abbreviations_with_offsets() -> None:
    norm = Normaliser()
    text = "The P5+1 and E3+3 met; the U.S. said Russia’s vaults were empty."
    doc = norm.analyse(text)
    surfaces = [doc.surface(i) for i in range(len(doc.stems))]
    assert "P5+1" in surfaces and "E3+3" in surfaces and "U.S." in surfaces
    for i in range(len(doc.stems)):
        start, end = doc.span(i)
        assert text[start:end] == surfaces[i]
    assert doc.stems[surfaces.index("vaults")] == "vault"
    assert doc.stems[surfaces.index("Russia’s")] == "russia"
    # the same spans as NLTK's RegexpTokenizer itself gives
    spans = [doc.span(i) for i in range(len(doc.stems))]
    assert list(norm.tokenizer.span_tokenize(text)) == spans
    assert norm.tokenizer.tokenize(text) == doc.tokens


def test_stop_words_ship_with_the_package() -> None:
    from threads.topics.normalise import stop_words

    assert {"the", "and", "would", "don't"} <= stop_words()
    assert Normaliser().features(["the", "gold", "and", "vault", "7"]) == {"gold", "vault"}


# --------------------------------------------------------------------------- layer 1


def test_seed_comment_gets_gold_and_russia_with_evidence_offsets() -> None:
    clf = Classifier(load_taxonomy(None))
    text = (
        "Both China and Russia are getting mighty vexed by US bullying. Both nations are "
        "piling up gold just as fast as it come available. Germany was forbidden to take "
        "home the part of its gold reserve stored here. If the vaults are nearly empty..."
    )
    result = clf.classify(text)
    assert result.topics == ["gold_reserves", "russia"]
    evidence = result.evidence_map()
    for topic_evidence in evidence.values():
        for e in topic_evidence:
            assert text[e["start"] : e["end"]] == e["text"]
    gold_terms = {e["term"] for e in evidence["gold_reserves"]}
    assert {"gold", "gold reserves", "vault"} <= gold_terms
    assert 0 < result.score_map()["russia"] <= 1


def test_p5plus1_and_russia_together() -> None:
    clf = Classifier(load_taxonomy(None))
    result = clf.classify(
        "I am curious of P5+1 UNITED role against Iran, and why Russia is silent."
    )
    assert result.topics == ["p5plus1_unity", "russia"]


@pytest.mark.parametrize(
    "text",
    [
        "She won the gold medal in Sochi, what a race!",
        "Our reserve goalkeeper saved two penalties.",
        "Pass the Russian dressing, please.",
        "Thank you for a very interesting article.",
        "Russian roulette with the household budget again.",
    ],
)
def test_hard_negatives_get_no_topic(text: str) -> None:
    assert Classifier(load_taxonomy(None)).classify(text).topics == []


def test_phrase_wins_over_its_word_and_repeats_add_little() -> None:
    clf = Classifier(load_taxonomy(None))
    once = clf.classify("Germany wants its gold reserves back.").score_map()["gold_reserves"]
    assert once == pytest.approx(1 - 0.4**1.5, abs=1e-4)  # the phrase, not phrase + "gold"
    many = clf.classify("gold gold gold gold gold").score_map()["gold_reserves"]
    assert many == pytest.approx(1 - 0.4 ** (1 + 2 * 0.25), abs=1e-4)


def test_a_codebook_never_seen_before_classifies_its_own_topics(tmp_path: Path) -> None:
    clf = Classifier(load_taxonomy(kitchen(tmp_path)))
    cases = {
        "I bake sourdough every Sunday; the dough needs a warm oven.": ["baking"],
        "The storm brought hail and a power cut all night.": ["storms"],
        "With food prices this high, the cost of living is brutal.": ["prices"],
        "My seedlings went on the allotment after the gale.": ["storms", "gardening"],
        "I burnt my hand through an oven mitt.": [],
        "Nothing to see here, lovely photos.": [],
    }
    for text, expected in cases.items():
        assert clf.classify(text).topics == expected, text


def test_topic_thresholds_come_from_the_codebook(tmp_path: Path) -> None:
    strict = parse_taxonomy(
        {"name": "s", "threshold": 0.8, "topic": [{"id": "a", "terms": ["apple"]}]}
    )
    result = Classifier(strict).classify("an apple")
    assert result.scores[0].score == 0.6 and result.topics == []
    assert Classifier(strict).classify("apple apple, apples and an apple").topics == []
    weighted = parse_taxonomy(
        {"name": "w", "topic": [{"id": "a", "terms": ["apple"], "weights": {"apple": 3}}]}
    )
    assert Classifier(weighted).classify("an apple").score_map()["a"] == 0.936


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_scores_in_range_and_consistent_evidence(text: str) -> None:
    clf = _default_classifier()
    result = clf.classify(text)
    for s in result.scores:
        assert 0.0 <= s.score <= 1.0
        assert s.assigned == (s.score >= 0.5)
        for e in s.evidence:
            assert text[e["start"] : e["end"]] == e["text"]


_CLF: list[Classifier] = []


def _default_classifier() -> Classifier:
    if not _CLF:
        _CLF.append(Classifier(load_taxonomy(None)))
    return _CLF[0]


# --------------------------------------------------------------------------- layer 2


def _examples() -> list[Example]:
    gold_yes = [
        "The central bank bought more bars for the national hoard this year.",
        "Bars in the national hoard were never counted by auditors.",
        "Their national hoard of bars keeps growing, say the auditors.",
        "Auditors want to count the bars in the hoard.",
    ]
    gold_no = [
        "My grandmother's gold ring is lovely and shiny.",
        "The team had a great season and a lovely stadium.",
        "Lovely recipe, my family enjoyed it.",
        "A shiny gold ring for the wedding.",
    ]
    return [Example(t, {"gold_reserves": True}) for t in gold_yes] + [
        Example(t, {"gold_reserves": False}) for t in gold_no
    ]


def test_learning_from_labels_changes_scores_and_explains_them() -> None:
    taxonomy = load_taxonomy(None)
    models = fit_models(_examples(), taxonomy)
    assert set(models) == {"gold_reserves"}  # no labels of either kind for the others
    plain, learned = Classifier(taxonomy), Classifier(taxonomy, models)
    text = "Auditors say the national hoard of bars is smaller."
    assert plain.classify(text).topics == []
    result = learned.classify(text)
    gold = result.scores[0]
    assert gold.learned is not None and gold.learned > 0.5 and gold.score > 0
    words = {e["term"] for e in gold.evidence if e["layer"] == "learned"}
    assert words & {"hoard", "bar", "auditor"}
    ring = learned.classify("lovely shiny gold").score_map()["gold_reserves"]
    assert ring < plain.classify("lovely shiny gold").score_map()["gold_reserves"]
    assert learned.fingerprint != plain.fingerprint == taxonomy.version


def test_learned_model_is_json_and_matches_nltk_naive_bayes() -> None:
    import json

    taxonomy = load_taxonomy(None)
    model = fit_models(_examples(), taxonomy)["gold_reserves"]
    stored = json.loads(json.dumps(model.to_json()))
    again = LearnedModel.from_json(stored)
    assert again.digest == model.digest and again.weights == pytest.approx(model.weights)
    nb = again.to_nltk()
    norm = Normaliser()
    for text in ["the hoard of bars", "a lovely gold ring", "nothing at all here"]:
        feats = {f for f in norm.features(norm.analyse(text).stems) if f in again.weights}
        logit, _ = again.logit(feats)
        p_nltk = nb.prob_classify(dict.fromkeys(feats, True)).prob("yes")
        assert 1 / (1 + math.exp(-logit)) == pytest.approx(p_nltk, rel=1e-9)


def test_model_from_another_codebook_version_is_refused(tmp_path: Path) -> None:
    model = fit_models(_examples(), load_taxonomy(None))["gold_reserves"]
    other = parse_taxonomy({"name": "o", "topic": [{"id": "gold_reserves", "terms": ["gold"]}]})
    with pytest.raises(ValueError, match="belongs to codebook"):
        Classifier(other, {"gold_reserves": model})


# --------------------------------------------------------------------------- sentiment


def test_vader_sentiment_from_the_vadersentiment_lexicon() -> None:
    good = sentiment_of("Thank you, a wonderful and very interesting article!")
    bad = sentiment_of("This is terrible, ugly bullying and I hate it.")
    assert good["compound"] > 0.5 and bad["compound"] < -0.5
    assert set(good) == {"neg", "neu", "pos", "compound"}
    assert sentiment_of("   ")["compound"] == 0.0


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(
            categories=["Lu", "Ll", "Nd", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Cc"]
        ),
        max_size=200,
    )
    | st.text(alphabet=st.characters(max_codepoint=127), max_size=200)
)
def test_tokens_and_spans_are_those_of_nltks_regexp_tokenizer(text: str) -> None:
    """Letters, digits, punctuation, spaces: the same tokens as NLTK's RegexpTokenizer (which
    runs the ``regex`` engine; it and ``re`` differ on a few symbols such as superscripts)."""
    norm = _default_classifier().normaliser
    doc = norm.analyse(text)
    assert doc.tokens == norm.tokenizer.tokenize(text)
    assert [doc.span(i) for i in range(len(doc.tokens))] == list(norm.tokenizer.span_tokenize(text))


def test_threads_asking_together_share_one_fitted_layer() -> None:
    """The shipped learned layer is fitted once per codebook, by one thread, even when several
    ask at the same moment (each fitting its own cost 0.6 s of CPU on a fresh server)."""
    import threading

    from threads.topics import gold
    from threads.topics.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    gold._MODELS.clear()
    barrier = threading.Barrier(4)
    found: list[dict[str, object]] = []

    def ask() -> None:
        barrier.wait()
        found.append(gold.shipped_models(taxonomy))

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(gold._MODELS) == 1
    first = found[0]
    assert first and all(models[t] is first[t] for models in found for t in first)
