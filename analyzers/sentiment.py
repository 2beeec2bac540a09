"""Sentiment: the probability a text is positive, and a three-way label with a neutral band.

`linear` (the default) is the shipped model, `config/models/sentiment.json.gz`: see
`analyzers.linear_sentiment` and `config/models/RECIPE.md`. `snownlp` (SnowNLP's bundled review model)
stays selectable as the baseline. Engines share one interface, so callers never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from analyzers.errors import AnalyzerError


class SentimentEngine(Protocol):
    name: str

    def score(self, text: str, domain: str | None = None) -> float:
        """Probability in [0, 1] that the text is positive; `domain` ("social" / "review") is a hint an
        engine may use (the linear model picks its weight table by it) or ignore."""


@dataclass(frozen=True)
class SentimentSettings:
    engine: str = "linear"
    model: str | None = None  # a model file for the linear engine; None is the shipped one
    negative_below: float = 0.35  # scores below are negative
    positive_above: float = 0.65  # scores above are positive; in between is neutral


class SnowNLPEngine:
    """SnowNLP's naive Bayes over review data: a known, weak baseline (about 0.6 on Weibo posts)."""

    name = "snownlp"

    def __init__(self) -> None:
        from snownlp import sentiment

        self._sentiment = sentiment  # the module loads its model once, on import

    def score(self, text: str, domain: str | None = None) -> float:
        if not text.strip():
            return 0.5
        return float(self._sentiment.classify(text[:2000]))


def _linear(model: str | None = None) -> SentimentEngine:
    from analyzers.linear_sentiment import shared_engine

    return shared_engine(model)


def _snownlp(model: str | None = None) -> SentimentEngine:
    return SnowNLPEngine()


ENGINES = {"linear": _linear, "snownlp": _snownlp}


def load_engine(name: str, model: str | None = None) -> SentimentEngine:
    try:
        factory = ENGINES[name]
    except KeyError:
        raise AnalyzerError(f"sentiment: unknown engine {name!r} (known: {', '.join(sorted(ENGINES))})") from None
    return factory(model)


def label_for(score: float, settings: SentimentSettings) -> str:
    if score < settings.negative_below:
        return "negative"
    if score > settings.positive_above:
        return "positive"
    return "neutral"
