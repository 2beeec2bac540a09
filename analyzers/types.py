"""The Mention: what we know about one post once it has been analysed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class BrandSpec:
    """A brand to listen for; built by the config loader."""

    name: str
    aliases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrandMatch:
    """One brand found in a text, with the spans (start, end) in the normalised text that matched."""

    brand: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Signal:
    """A crisis-signal category and the lexicon terms that raised it."""

    category: str
    terms: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Mention:
    """A brand mention: the cleaned text, who it is about, how it feels, and why it may matter."""

    mention_id: str
    feed: str
    url: str | None
    title: str
    text: str  # plain text as written (HTML removed), for display
    clean_text: str  # normalised for analysis: simplified Chinese, half-width, no URLs
    author: str | None
    published_at: datetime  # UTC; fetch time when the feed gave none
    fetched_at: datetime
    brands: tuple[BrandMatch, ...]
    sentiment: float  # probability the text is positive, in [0, 1]
    label: str  # negative | neutral | positive
    keywords: tuple[str, ...] = ()
    signals: tuple[Signal, ...] = ()
    urls: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    emoticons: tuple[str, ...] = ()
    metrics: dict[str, int] = field(default_factory=dict)
    simhash: int = 0
    official: bool = False
    had_published_at: bool = True

    @property
    def reach(self) -> int:
        """A rough audience size: followers plus ten per repost (reposts carry a post furthest)."""
        return self.metrics.get("followers", 0) + 10 * self.metrics.get("reposts", 0)
