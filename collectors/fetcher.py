"""HTTP fetching: conditional GET, a streamed size cap, retries with back-off.

Bodies are returned as bytes: decoding is the parser's job, from the document's own
declarations, never from a guessed `.text`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from collectors.errors import FetchError
from collectors.politeness import HostLimiter

USER_AGENT = "listener/0.1 (+https://github.com/listener-project/listener; social listening)"
log = logging.getLogger("collectors.fetch")
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_RETRY_WAIT = 60.0  # a longer Retry-After is left to the feed's back-off instead of holding a slot


@dataclass(frozen=True)
class FetchResult:
    """What the server answered; `not_modified` means a 304 to our conditional GET."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def make_client(*, user_agent: str = USER_AGENT, proxy: str | None = None, timeout: float = 20.0) -> httpx.AsyncClient:
    """The one shared client: connection pooling, redirects capped, compression on."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        max_redirects=5,
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
        proxy=proxy,
        trust_env=False,
    )


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


async def _fetch_once(
    client: httpx.AsyncClient, url: str, *, etag: str | None, last_modified: str | None,
    max_bytes: int, timeout: float,
) -> FetchResult:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(timeout):
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return FetchResult(str(response.url), 304, b"", None, etag, last_modified)
                if response.status_code >= 400:
                    retryable = response.status_code in RETRY_STATUSES or response.status_code == 429
                    raise FetchError(
                        f"HTTP {response.status_code} from {url}",
                        retryable=retryable,
                        retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                    )
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"body of {declared} bytes exceeds the {max_bytes}-byte cap", retryable=False)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"body exceeds the {max_bytes}-byte cap", retryable=False)
                    chunks.append(chunk)
                return FetchResult(
                    url=str(response.url),
                    status=response.status_code,
                    body=b"".join(chunks),
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
    except TimeoutError as exc:
        raise FetchError(f"timed out after {timeout:g}s fetching {url}") from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"too many redirects from {url}", retryable=False) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out fetching {url}") from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL {url!r}", retryable=False) from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"{type(exc).__name__} fetching {url}: {exc}") from exc


async def fetch(
    client: httpx.AsyncClient, url: str, *, etag: str | None = None, last_modified: str | None = None,
    max_bytes: int = 10 * 1024 * 1024, timeout: float = 20.0, attempts: int = 3, backoff: float = 1.0,
    limiter: HostLimiter | None = None,
) -> FetchResult:
    """Fetch with retries on timeouts, resets, 5xx and 429 (exponential back-off with jitter, Retry-After
    honoured); each attempt waits for a slot on its host when a limiter is given."""
    for attempt in range(1, max(1, attempts) + 1):
        try:
            if limiter is None:
                return await _fetch_once(
                    client, url, etag=etag, last_modified=last_modified, max_bytes=max_bytes, timeout=timeout
                )
            async with limiter.slot(url):
                return await _fetch_once(
                    client, url, etag=etag, last_modified=last_modified, max_bytes=max_bytes, timeout=timeout
                )
        except FetchError as exc:
            if not exc.retryable or attempt >= attempts:
                raise
            delay = exc.retry_after if exc.retry_after is not None else backoff * 2 ** (attempt - 1)
            if delay > MAX_RETRY_WAIT:
                raise  # the server asked us to come back much later: leave it to the feed's back-off
            log.info("retry %d of %s in %.1fs: %s", attempt, url, delay, exc)
            await asyncio.sleep(delay + random.uniform(0, backoff / 2))
    raise AssertionError("unreachable")
