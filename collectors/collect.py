"""One feed, one round: fetch -> parse -> new state. The only place the two meet."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

import httpx

from collectors.dates import SHANGHAI
from collectors.errors import CollectorError
from collectors.fetcher import fetch
from collectors.parse import parse_document
from collectors.types import FeedSource, FeedState, RawItem

MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class CollectResult:
    """Items found (possibly none), the feed's new state, and the error if the round failed."""

    feed: str
    items: list[RawItem]
    state: FeedState
    error: str | None = None
    not_modified: bool = False


def next_backoff(interval_seconds: int, failures: int) -> timedelta:
    """Wait longer after each consecutive failure: interval x 2^(n-1), at most six hours."""
    return min(timedelta(seconds=interval_seconds * 2 ** max(0, failures - 1)), MAX_BACKOFF)


async def collect_feed(
    client: httpx.AsyncClient, source: FeedSource, state: FeedState | None = None, *,
    now: datetime | None = None, tz: tzinfo = SHANGHAI,
) -> CollectResult:
    """Fetch and parse one feed; never raises for a bad feed, the error goes on its state."""
    now = now or datetime.now(UTC)
    state = state or FeedState(feed=source.name)
    try:
        result = await fetch(client, source.url, etag=state.etag, last_modified=state.last_modified,
                             max_bytes=source.max_bytes, timeout=source.timeout_seconds)
        items = [] if result.not_modified else parse_document(
            result.body, feed=source.name, base_url=result.url, content_type=result.content_type,
            fetched_at=now, tz=tz,
        )
    except CollectorError as exc:
        failures = state.consecutive_failures + 1
        failed = replace(state, last_error=str(exc), last_error_at=now, consecutive_failures=failures,
                         next_attempt_at=now + next_backoff(source.interval_seconds, failures))
        return CollectResult(feed=source.name, items=[], state=failed, error=str(exc))
    healthy = replace(
        state,
        etag=result.etag or (state.etag if result.not_modified else None),
        last_modified=result.last_modified or (state.last_modified if result.not_modified else None),
        last_success_at=now, last_error=None, consecutive_failures=0, next_attempt_at=None,
    )
    return CollectResult(feed=source.name, items=items, state=healthy, not_modified=result.not_modified)
