"""What customers write: sentiment on hand-labelled sentences, topics, scrubbed snippets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmlab import voice
from crmlab.data import load, save
from crmlab.data.scrub import scrub_text
from crmlab.data.synth import generate
from crmlab.errors import ParameterError
from crmlab.reports.pii_gate import PIIGate

DATA = Path(__file__).parent / "data"
# Accuracy on the hand-labelled sets (three classes), as reported in docs/guide/voice.md.
REPORTED = {"en": 0.875, "zh": 0.667}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_sentiment_accuracy_on_hand_labelled_sentences(language):
    labelled = pd.read_csv(DATA / f"sentiment_{language}.csv")
    assert len(labelled) >= 40 and set(labelled["label"]) == {"positive", "negative", "neutral"}
    scored = voice.sentiment(labelled["text"])
    assert (scored["language"] == language).all()
    accuracy = (scored["label"] == labelled["label"]).mean()
    assert accuracy == pytest.approx(REPORTED[language], abs=5e-4)  # the documented figure
    polar = labelled["label"] != "neutral"
    assert (scored["label"][polar] == labelled["label"][polar]).mean() >= 0.75


def test_sentiment_keeps_the_index_and_leaves_empty_texts_empty():
    texts = pd.Series(["Great service!", None, "  ", "太差了，非常失望。"], index=[10, 11, 12, 13])
    scored = voice.sentiment(texts)
    assert list(scored.index) == [10, 11, 12, 13]
    assert scored.loc[10, "label"] == "positive" and scored.loc[13, "label"] == "negative"
    assert scored.loc[[11, 12]].isna().all().all()
    assert (
        voice.language_of("订单 A123 到了吗") == "zh"
        and voice.language_of("OK, thanks a lot 好") == "en"
    )


def test_a_report_run_scores_the_same_chinese_comments_once(tmp_path, monkeypatch):
    """Inside a report run (data.load_cache) the Chinese scores of the same comments are
    read back, not scored again (SnowNLP's models take 2 s to load in every kernel); other
    comments, or no run, are scored."""
    import importlib

    from crmlab.data.load_cache import for_run

    module = importlib.import_module("crmlab.voice.sentiment")  # the module, not the function
    texts = pd.Series(["太差了，非常失望。", "Great service!", "很好，谢谢！"])
    scored = []
    real = module._chinese
    monkeypatch.setattr(module, "_chinese", lambda text: scored.append(text) or real(text))
    with for_run(tmp_path / "cache"):
        first = voice.sentiment(texts)
        assert scored == ["太差了，非常失望。", "很好，谢谢！"]
        pd.testing.assert_frame_equal(voice.sentiment(texts), first)
        assert len(scored) == 2
        voice.sentiment(pd.Series(["太贵了。"]))
        assert len(scored) == 3
    pd.testing.assert_frame_equal(voice.sentiment(texts), first)
    assert len(scored) == 5  # outside a run nothing is kept


@pytest.fixture(scope="module")
def world():
    return generate(5_000, random_state=2)


def _by_language(world, language):
    truth = world.truth.tables["comments"].set_index("response_id")
    mine = truth[truth["language"] == language]
    surveys = world.surveys.set_index("response_id")
    return surveys.loc[mine.index, "comment"], mine


def test_topics_recover_the_planted_english_topics(world):
    texts, truth = _by_language(world, "en")
    found = voice.topics(texts, n_topics=5)
    assigned = found.assignments.dropna(subset=["topic"]).join(truth["topic"].rename("planted"))
    purity = assigned.groupby("topic")["planted"].agg(
        lambda s: s.value_counts(normalize=True).iloc[0]
    )
    assert (purity > 0.8).all() and assigned["topic"].nunique() == 5
    assert len(found.terms) == 5 * 8 and all(" / " in label for label in found.labels.values())


def test_chinese_comments_are_cut_into_words():
    assert voice.tokens("快递太慢了，客服态度也很差") == ["快递", "太慢", "客服", "态度"]
    assert voice.tokens("The Delivery was LATE!") == ["delivery", "late"]


def test_examples_are_short_typical_texts(world):
    texts, _ = _by_language(world, "en")
    long = texts.copy()
    long.iloc[0] = "word " * 100
    found = voice.topics(long, n_topics=5)
    table = voice.examples(long, found, per_topic=2)
    assert table.groupby("topic").size().max() <= 2
    assert table["text"].str.len().max() <= 160


def test_topics_refuse_too_little_text():
    with pytest.raises(ParameterError, match="cannot make 5 topics"):
        voice.topics(pd.Series(["good", None, "bad"]), n_topics=5)


def test_scrubbing_takes_out_contacts_and_the_writers_name():
    texts = pd.Series(
        [
            "Emma Ward here, call me on +44 7412 345678 or emma.ward12@gmail.com",
            "订单 13800138000 联系我",
            "anna-lena was great, EMMA too; order 12345",
        ]
    )
    names = pd.Series(["Emma Ward", "Li Wei", "Emma Anna-Lena Smith"])
    assert scrub_text(texts, names).tolist() == [
        "[name] [name] here, call me on [phone] or [email]",
        "订单 [phone] 联系我",
        "[name] was great, [name] too; order 12345",
    ]


def test_load_keeps_comments_only_when_asked_and_scrubbed(world, tmp_path):
    folder = save(world, tmp_path / "world")
    assert "comment" not in load(folder).surveys.columns  # free text is personal data
    kept = load(folder, comments=True)
    original = world.surveys.set_index("response_id")["comment"]
    remaining = original.loc[kept.surveys["response_id"]]  # erased customers are gone
    assert kept.surveys["comment"].notna().sum() == remaining.notna().sum() > 1000
    assert any("scrubbed" in note for note in kept.notes)
    planted = world.truth.tables["comments"]
    signed = planted.loc[planted["contact"] != "", "response_id"]
    signed = signed[signed.isin(kept.surveys["response_id"])]
    assert len(signed) > 10
    gate = PIIGate.from_tables({"customers": load(folder, pii=True).customers})
    comments = kept.surveys.set_index("response_id").loc[signed, "comment"]
    leaks = [text for text in comments if gate.findings(text)]
    assert leaks == []
    assert comments.str.contains(r"\[(?:name|phone|email)\]").all()


def test_texts_may_be_a_list_but_not_a_single_string():
    assert voice.sentiment(["Great service!", "Awful."])["label"].tolist() == [
        "positive",
        "negative",
    ]
    with pytest.raises(ParameterError, match="texts is a str"):
        voice.sentiment("Great service!")
    with pytest.raises(ParameterError, match="texts is a DataFrame"):
        voice.topics(pd.DataFrame({"comment": ["a"]}))
