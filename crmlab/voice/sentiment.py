"""The tone of what customers write, in English and Chinese, offline.

- Language: a text is Chinese when at least ``CHINESE_SHARE`` of its letters are CJK
  ideographs, else English (other languages are scored as English and will read neutral).
- English: VADER (Hutto & Gilbert 2014), a lexicon and rules for short informal text,
  shipped inside the vaderSentiment package. Its compound score runs from -1 to 1; the
  authors' own cut-offs apply: >= 0.05 positive, <= -0.05 negative.
- Chinese: SnowNLP's sentiment model (naive Bayes trained on product reviews, shipped inside
  the snownlp package) gives P(positive); the score is 2P - 1 and the cut-offs +-0.2 (P
  outside 0.4..0.6), chosen before looking at any test sentence.

Accuracy on crmlab's hand-labelled sentences (``tests/data/sentiment_*.csv``, written for
the test, never used to tune) is reported in docs/guide/voice.md and checked by the tests.
Nothing is downloaded: both models are files inside their packages.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

import numpy as np
import pandas as pd

from ..errors import ParameterError

CHINESE_SHARE = 0.3
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")
LABELS = ("negative", "neutral", "positive")
ENGLISH_CUTOFF = 0.05  # VADER's documented thresholds on the compound score
CHINESE_CUTOFF = 0.2  # on 2P - 1, i.e. P(positive) outside 0.4..0.6


def language_of(text: str) -> str:
    """ "zh" when CJK ideographs make up at least CHINESE_SHARE of the letters, else "en"."""
    letters = len(_LETTER.findall(text))
    return "zh" if letters and len(_CJK.findall(text)) / letters >= CHINESE_SHARE else "en"


def as_texts(texts) -> pd.Series:
    """Texts as a Series (a list or other sequence becomes one); a ParameterError for a
    single string or a table, which are easy to pass by mistake."""
    if isinstance(texts, pd.Series):
        return texts
    if isinstance(texts, str | pd.DataFrame) or not hasattr(texts, "__iter__"):
        raise ParameterError(
            f"texts is a {type(texts).__name__}: give a column of texts (a Series or a list), "
            "e.g. surveys['comment']."
        )
    return pd.Series(list(texts), dtype="object")


def sentiment(texts) -> pd.DataFrame:
    """Per text: ``language`` ("en"/"zh"), ``score`` (-1 very negative .. 1 very positive)
    and ``label`` (negative / neutral / positive); all missing where the text is empty.
    texts: a Series (its index is kept) or a list of texts."""
    texts = as_texts(texts)
    written = [t for t in pd.unique(texts.dropna().to_numpy()) if isinstance(t, str) and t.strip()]
    languages = {text: language_of(text) for text in written}  # each distinct text once
    scores = {t: _english(t) for t in written if languages[t] == "en"}
    scores.update(_chinese_scores([t for t in written if languages[t] == "zh"]))
    language = texts.map(languages).astype("object")
    score = texts.map(scores).astype("float64")
    cutoff = np.where(language == "zh", CHINESE_CUTOFF, ENGLISH_CUTOFF)
    label = np.where(score >= cutoff, "positive", np.where(score <= -cutoff, "negative", "neutral"))
    label = pd.Series(label, index=texts.index).where(score.notna())
    return pd.DataFrame({"language": language, "score": score, "label": label})


def _english(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def _chinese_scores(texts: list[str]) -> dict[str, float]:
    """2P - 1 per text. Kept for the rest of a report run (``data.load_cache``): loading
    SnowNLP's models takes 2 s, as long as scoring thousands of texts, and a run's voice
    reports score the same comments."""
    if not texts:
        return {}
    from ..data.load_cache import cached

    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()
    return cached(lambda: {t: _chinese(t) for t in texts}, {"snownlp_sentiment": digest})


def _chinese(text: str) -> float:
    from snownlp import SnowNLP

    return 2 * float(SnowNLP(text).sentiments) - 1


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()
