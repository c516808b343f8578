"""The main topics of what customers write: TF-IDF weights and non-negative matrix
factorisation (scikit-learn), for English and Chinese text together.

English words are lower-cased and kept from three letters on, without scikit-learn's English
stop words; Chinese text is cut into words by jieba (its dictionary ships inside the package)
and single characters and punctuation are left out. Each topic is named by its top words,
and each text belongs to the topic with its largest weight (none when it has no known word).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from ..errors import ParameterError
from ..randomness import RandomState, integer_seed
from .sentiment import as_texts, language_of

_ENGLISH_WORD = re.compile(r"[a-z][a-z']{2,}")
_CHINESE_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,}$")
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class Topics:
    """Topics found in a set of texts.

    terms: topic, rank, term, weight (the top ``n_terms`` words of each topic).
    labels: topic number -> its name, the top three words joined by " / ".
    assignments: per text (the input's index): ``topic`` (the topic number; missing when
        the text has no word the model knows) and ``weight``.
    """

    terms: pd.DataFrame
    labels: dict
    assignments: pd.DataFrame


def tokens(text: str) -> list[str]:
    """The words topics are built from (see the module docstring)."""
    if language_of(text) == "zh":
        return [w for w in _jieba().lcut(text) if _CHINESE_WORD.match(w)]
    return [w for w in _ENGLISH_WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS]


def topics(texts, n_topics: int = 5, n_terms: int = 8, random_state: RandomState = 0) -> Topics:
    """Find ``n_topics`` topics in ``texts`` (a Series or a list; empty texts are skipped, and
    get no topic)."""
    if not isinstance(n_topics, int) or n_topics < 1:
        raise ParameterError(f"n_topics={n_topics!r} must be a whole number >= 1.")
    texts = as_texts(texts)
    written = texts[texts.map(lambda t: isinstance(t, str) and bool(t.strip()))]
    if len(written) < n_topics:
        raise ParameterError(
            f"{len(written):,} non-empty texts cannot make {n_topics} topics; ask for fewer."
        )
    vectorizer = TfidfVectorizer(
        analyzer=tokens, min_df=2 if len(written) >= 50 else 1, sublinear_tf=True
    )
    matrix = vectorizer.fit_transform(written.to_numpy())
    if matrix.shape[1] < n_topics:
        raise ParameterError(
            f"only {matrix.shape[1]} distinct words: too few for {n_topics} topics."
        )
    model = NMF(n_topics, init="nndsvda", random_state=integer_seed(random_state), max_iter=500)
    weights = model.fit_transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    rows = []
    for topic, components in enumerate(model.components_):
        top = np.argsort(components)[::-1][:n_terms]
        rows += [(topic, rank + 1, vocabulary[i], components[i]) for rank, i in enumerate(top)]
    terms = pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])
    labels = {
        t: " / ".join(terms.loc[(terms["topic"] == t) & (terms["rank"] <= 3), "term"])
        for t in range(n_topics)
    }
    best = weights.argmax(axis=1)
    strength = weights.max(axis=1)
    assigned = pd.DataFrame(
        {"topic": pd.array(np.where(strength > 0, best, -1), dtype="Int64"), "weight": strength},
        index=written.index,
    )
    assigned.loc[assigned["topic"] == -1, "topic"] = pd.NA
    return Topics(terms, labels, assigned.reindex(texts.index))


def examples(texts: pd.Series, found: Topics, per_topic: int = 3) -> pd.DataFrame:
    """The texts most typical of each topic (highest weight first), shortened to
    ``SNIPPET_CHARS`` characters: topic, label, text. Pass scrubbed texts only
    (``load(..., comments=True)`` scrubs them)."""
    table = found.assignments.dropna(subset=["topic"]).join(texts.rename("text"))
    table = table.drop_duplicates("text").sort_values(["topic", "weight"], ascending=[True, False])
    top = table.groupby("topic", sort=True).head(per_topic)
    return pd.DataFrame(
        {
            "topic": top["topic"].astype("int64").to_numpy(),
            "label": top["topic"].map(found.labels).to_numpy(),
            "text": top["text"].map(_snippet).to_numpy(),
        }
    )


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rstrip() + "…"


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces its dictionary on stderr otherwise
    return jieba
