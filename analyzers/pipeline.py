"""The analyser: RawItem in, Mention out. Models and lexicons are loaded once, in the constructor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analyzers.brands import BrandMatcher
from analyzers.keywords import KeywordExtractor
from analyzers.normalize import normalize, tidy
from analyzers.sentiment import SentimentSettings, label_for, load_engine
from analyzers.signals import SignalDetector, load_categories
from analyzers.simhash import simhash
from analyzers.types import BrandMatch, BrandSpec, Mention
from collectors import RawItem


@dataclass(frozen=True)
class TextAnalysis:
    """What `analyze_text` finds in a bare text (the `listener analyze` output)."""

    sentiment: float
    label: str
    keywords: tuple[str, ...]
    signals: tuple[str, ...]


class Analyzer:
    def __init__(self, brands: Iterable[BrandSpec], settings: SentimentSettings | None = None):
        brands = list(brands)
        self.settings = settings or SentimentSettings()
        self._matcher = BrandMatcher(brands)
        ignore = [name for spec in brands for name in (spec.name, *spec.aliases)]
        self._keywords = KeywordExtractor(ignore=ignore)
        self._signals = SignalDetector(load_categories())
        self._engine = load_engine(self.settings.engine, self.settings.model)

    def analyze_text(self, text: str) -> TextAnalysis:
        normalized = normalize("", text)
        score = self._engine.score(normalized.clean)
        return TextAnalysis(
            sentiment=round(score, 4),
            label=label_for(score, self.settings),
            keywords=self._keywords.extract(normalized.clean),
            signals=tuple(s.category for s in self._signals.detect(normalized.clean)),
        )

    def analyze(self, item: RawItem, *, feed_brand: str | None = None, official: bool = False,
                domain: str | None = None) -> Mention | None:
        """A Mention when the item is about a configured brand (or its feed is assigned to one), else None.

        `domain`: the feed's kind of text ("social" posts or "review"s) when its config says so; the linear
        model then uses the matching weight table instead of guessing (SnowNLP ignores it)."""
        normalized = normalize(item.title, item.text)
        brands = self._matcher.match(normalized.clean)
        if feed_brand and all(b.brand != feed_brand for b in brands):
            brands = (*brands, BrandMatch(brand=feed_brand))
        if not brands:
            return None
        score = self._engine.score(normalized.clean, domain=domain)
        return Mention(
            mention_id=item.item_id,
            feed=item.feed,
            url=item.url,
            title=normalized.display.split("\n", 1)[0][:200] if not item.title else tidy(item.title)[:500],
            text=normalized.display,
            clean_text=normalized.clean,
            author=item.author,
            published_at=item.published_at or item.fetched_at,
            fetched_at=item.fetched_at,
            brands=brands,
            sentiment=round(score, 4),
            label=label_for(score, self.settings),
            keywords=self._keywords.extract(normalized.clean),
            signals=self._signals.detect(normalized.clean),
            urls=normalized.urls,
            handles=normalized.handles,
            topics=normalized.topics,
            emoticons=normalized.emoticons,
            metrics=dict(item.metrics),
            simhash=simhash(normalized.clean),
            official=official,
            had_published_at=item.published_at is not None,
        )
