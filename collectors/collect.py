"""One feed, one round: fetch -> parse -> new state. The only place the two meet."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

import httpx

from collectors.dates import SHANGHAI
from collectors.errors import CollectorError, FetchError
from collectors.fetcher import fetch
from collectors.parse import parse_source
from collectors.politeness import HostLimiter
from collectors.types import FeedSource, FeedState, RawItem

MAX_BACKOFF = timedelta(hours=6)
# One politeness limiter per shared client, so every caller of collect_feed (CLI round, daemon) shares it.
_LIMITERS: weakref.WeakKeyDictionary[httpx.AsyncClient, HostLimiter] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class CollectResult:
    """Items found (possibly none), the feed's new state, and the error if the round failed."""

    feed: str
    items: list[RawItem]
    state: FeedState
    error: str | None = None
    not_modified: bool = False
    warning: str | None = None  # the round succeeded, but the document was damaged (items salvaged)


def next_backoff(interval_seconds: int, failures: int) -> timedelta:
    """Wait longer after each consecutive failure: interval x 2^(n-1), at most six hours."""
    return min(timedelta(seconds=interval_seconds * 2 ** max(0, failures - 1)), MAX_BACKOFF)


def failed_state(source: FeedSource, state: FeedState, error: str, now: datetime, *,
                 retry_after: float | None = None) -> FeedState:
    """The state after a failed round: the error, one more failure, the back-off; validators (ETag,
    Last-Modified) kept from before, so the next round fetches the whole document again."""
    failures = state.consecutive_failures + 1
    wait = next_backoff(source.interval_seconds, failures)
    if retry_after is not None:  # the server said when to come back: never sooner
        wait = max(wait, timedelta(seconds=retry_after))
    return replace(state, last_error=error, last_error_at=now, consecutive_failures=failures,
                   next_attempt_at=now + wait)


def limiter_for(client: httpx.AsyncClient, per_host: int = 4, min_delay: float = 0.0) -> HostLimiter:
    """The host limiter shared by every fetch through this client (created on first use)."""
    limiter = _LIMITERS.get(client)
    if limiter is None:
        limiter = _LIMITERS[client] = HostLimiter(per_host, min_delay)
    return limiter


async def collect_feed(
    client: httpx.AsyncClient, source: FeedSource, state: FeedState | None = None, *,
    now: datetime | None = None, tz: tzinfo = SHANGHAI, limiter: HostLimiter | None = None,
) -> CollectResult:
    """Fetch and parse one feed; never raises for a bad feed, the error goes on its state."""
    now = now or datetime.now(UTC)
    state = state or FeedState(feed=source.name)
    try:
        result = await fetch(client, source.url, etag=state.etag, last_modified=state.last_modified,
                             max_bytes=source.max_bytes, timeout=source.timeout_seconds,
                             attempts=source.attempts, backoff=source.backoff_seconds,
                             limiter=limiter or limiter_for(client, source.per_host, source.host_delay_seconds))
        parsed = None if result.not_modified else parse_source(
            source, result.body, base_url=result.url, content_type=result.content_type, fetched_at=now, tz=tz)
    except CollectorError as exc:
        retry_after = exc.retry_after if isinstance(exc, FetchError) else None
        failed = failed_state(source, state, str(exc), now, retry_after=retry_after)
        return CollectResult(feed=source.name, items=[], state=failed, error=str(exc))
    items = parsed.items if parsed else []
    warning = parsed.warning if parsed else None
    healthy = replace(
        state,
        etag=result.etag or (state.etag if result.not_modified else None),
        last_modified=result.last_modified or (state.last_modified if result.not_modified else None),
        last_success_at=now, last_error=None, consecutive_failures=0, next_attempt_at=None,
        last_warning=warning if parsed else state.last_warning,
    )
    return CollectResult(feed=source.name, items=items, state=healthy, not_modified=result.not_modified,
                         warning=warning)
