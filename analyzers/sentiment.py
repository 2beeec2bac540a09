"""Sentiment: the probability a text is positive, and a three-way label with a neutral band.

`snownlp` is the starting engine (SnowNLP's bundled review model); engines share one interface so a
better model can replace it without touching callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from analyzers.errors import AnalyzerError


class SentimentEngine(Protocol):
    name: str

    def score(self, text: str) -> float:
        """Probability in [0, 1] that the text is positive."""


@dataclass(frozen=True)
class SentimentSettings:
    engine: str = "snownlp"
    negative_below: float = 0.35  # scores below are negative
    positive_above: float = 0.65  # scores above are positive; in between is neutral


class SnowNLPEngine:
    """SnowNLP's naive Bayes over review data: a known, weak baseline (about 0.6 on Weibo posts)."""

    name = "snownlp"

    def __init__(self) -> None:
        from snownlp import sentiment

        self._sentiment = sentiment  # the module loads its model once, on import

    def score(self, text: str) -> float:
        if not text.strip():
            return 0.5
        return float(self._sentiment.classify(text[:2000]))


ENGINES = {"snownlp": SnowNLPEngine}


def load_engine(name: str) -> SentimentEngine:
    try:
        return ENGINES[name]()
    except KeyError:
        raise AnalyzerError(f"sentiment: unknown engine {name!r} (known: {', '.join(sorted(ENGINES))})") from None


def label_for(score: float, settings: SentimentSettings) -> str:
    if score < settings.negative_below:
        return "negative"
    if score > settings.positive_above:
        return "positive"
    return "neutral"
