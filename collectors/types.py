"""The data a collector takes (FeedSource, FeedState) and produces (RawItem)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedSource:
    """One configured source; built by the config loader, read by the collector."""

    name: str
    url: str
    interval_seconds: int = 300
    kind: str = "feed"  # feed (RSS/Atom/RDF/JSON Feed, auto-detected) | html | json
    official: bool = False
    brand: str | None = None  # every post of this feed is about this brand
    domain: str | None = None  # "social" | "review": what its posts are, for sentiment; None: the model tells
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    attempts: int = 3  # tries per round on timeouts, resets, 5xx and 429
    backoff_seconds: float = 1.0  # first retry waits this long, doubling, plus jitter
    per_host: int = 4  # host politeness, shared by every feed fetched through one client
    host_delay_seconds: float = 0.0
    # kind = "html": CSS selectors item/title/link/text/time/author ("css@attr" reads an attribute).
    # kind = "json": field paths items/id/title/text/url/time/author/followers/reposts/comments/likes.
    mapping: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedState:
    """What we remember about a feed between rounds (conditional GET, health)."""

    feed: str
    etag: str | None = None
    last_modified: str | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None
    last_warning: str | None = None  # the last round succeeded but the document was damaged


@dataclass(frozen=True)
class RawItem:
    """One entry exactly as a feed said it, before any analysis."""

    feed: str
    item_id: str  # stable: feed + guid, else canonical URL, else content hash
    url: str | None
    title: str
    text: str  # may still contain HTML; analyzers clean it
    author: str | None
    published_at: datetime | None  # UTC; None when the feed gave no usable date
    fetched_at: datetime  # UTC
    guid: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)  # followers, reposts, comments, likes
