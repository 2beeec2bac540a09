"""One collection round: collectors -> analyzers -> store, feed by feed, one bad feed never hurting the rest."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime

from alerts.channels.redact import redact_url, scrub, url_secrets
from analyzers import Mention
from collectors import CollectResult, FeedSource, FeedState, RawItem, collect_feed
from collectors.collect import failed_state
from collectors.fetcher import USER_AGENT, make_client
from collectors.politeness import HostLimiter
from listener.analysis_pool import AnalysisPool, AnalyzerLike, BatchResult, analyze_batch
from listener.clock import Clock
from listener.config import Config
from listener.routing import notifications_for
from listener.store import Store
from listener.store.codec import ts

log = logging.getLogger("listener.collect")
UNHEALTHY_AFTER = 3  # consecutive failures before the PR team hears that a feed is down
WRITE_BATCH_FEEDS = 50  # feeds stored in one transaction at most (~2,500 mentions, a few hundred ms)
WRITE_GATHER = 0.01  # seconds the writer waits for more analysed feeds to share a commit


@dataclass(frozen=True)
class FeedReport:
    feed: str
    items: int
    new: int
    error: str | None
    not_modified: bool = False
    warning: str | None = None
    health_change: bool | None = None  # True: the feed recovered; False: it was reported unhealthy

    def as_dict(self) -> dict:
        return {"feed": self.feed, "items": self.items, "new": self.new, "error": self.error,
                "not_modified": self.not_modified, "warning": self.warning}


@dataclass
class FeedRound:
    """One feed through one round: its state before, what the collector found, what analysis made of it."""

    source: FeedSource
    before: FeedState
    result: CollectResult
    analysis: BatchResult


def unseen_items(store: Store, result: CollectResult) -> list[RawItem]:
    """Only items not stored yet go to analysis: re-fetching a feed costs no NLP."""
    known = store.known_mention_ids(item.item_id for item in result.items)
    return [item for item in result.items if item.item_id not in known]


def analyze_items(analyzer: AnalyzerLike, result: CollectResult, source: FeedSource, store: Store) -> list[Mention]:
    """In-process analysis of a feed's new items (tools and tests; rounds and the daemon use `AnalysisPool`)."""
    return analyze_batch(analyzer, unseen_items(store, result), source.brand, source.official, source.domain).mentions


def store_rounds(config: Config, store: Store, rounds: list[FeedRound], clock: Clock) -> list[FeedReport]:
    """Save the feeds' new mentions and states in ONE transaction: a feed is stored whole or not at all,
    and many feeds share a commit (and one search-index insert), which is most of the store's speed.

    A post that analysis could not handle fails its feed's round (validators kept, so the next round
    fetches and retries it); the feed's other posts are stored.
    """
    now = clock()
    reports = []
    with store.transaction() as conn:
        for one in rounds:
            source, result = one.source, one.result
            new = store.insert_stored(one.analysis.rows(), conn, index=False)
            failure = one.analysis.error_text()
            if failure and not result.error:
                result = replace(result, state=failed_state(source, one.before, failure, now), error=failure)
            result = without_url_secrets(source, result)
            health_change = _save_state(config, store, conn, source, result, len(new), now)
            if result.error or result.warning:
                log.warning("feed %s: %s", source.name, result.error or result.warning)
            reports.append(FeedReport(source.name, len(result.items), len(new), result.error, result.not_modified,
                                      result.warning, health_change))
        store.index_search(conn)
    return reports


def without_url_secrets(source: FeedSource, result: CollectResult) -> CollectResult:
    """The result with the feed URL's credentials (`?key=`, `token=`, `user:pass@`...) masked in its error
    texts: an httpx error quotes the URL it failed on, and these texts are stored, logged and shown."""
    secrets = url_secrets(source.url, all_params=False)
    if not secrets or not (result.error or result.warning or result.state.last_error or result.state.last_warning):
        return result
    state = replace(result.state, last_error=scrub(result.state.last_error, secrets),
                    last_warning=scrub(result.state.last_warning, secrets))
    return replace(result, state=state, error=scrub(result.error, secrets), warning=scrub(result.warning, secrets))


def _save_state(config: Config, store: Store, conn: sqlite3.Connection, source: FeedSource, result: CollectResult,
                new: int, now: datetime) -> bool | None:
    """The feed's state and warning; a health change (True: recovered) queues its notifications."""
    was_notified = store.feed_unhealthy_notified(source.name)
    health_change = None
    store.save_feed_state(result.state, url=redact_url(source.url), items_seen=len(result.items), new_mentions=new,
                          now=now, conn=conn)
    if not result.error and not result.not_modified:
        store.save_feed_warning(source.name, result.warning, now, conn)
    if result.error and result.state.consecutive_failures >= UNHEALTHY_AFTER and not was_notified:
        store.set_feed_unhealthy_notified(source.name, True, conn)
        health_change = False
    elif not result.error and was_notified:
        store.set_feed_unhealthy_notified(source.name, False, conn)
        health_change = True
    if health_change is not None:
        event = "feed.recovered" if health_change else "feed.unhealthy"
        payload = {"event": event, "feed": source.name, "brand": source.brand,
                   "error": result.error, "consecutive_failures": result.state.consecutive_failures,
                   "last_success_at": ts(result.state.last_success_at), "sent_at": ts(now)}
        for notification in notifications_for(config, event, payload, now=now, brand=source.brand):
            store.enqueue(notification, conn)
    return health_change


async def collect_round(config: Config, store: Store, analyzer: AnalyzerLike, clock: Clock, *,
                        feeds: list[FeedSource] | None = None, progress: bool = False,
                        pool: AnalysisPool | None = None, workers: int | None = None) -> list[FeedReport]:
    """Fetch every feed concurrently (bounded), analyse in worker processes, store feeds in shared commits.

    Three stages overlap: the event loop fetches and parses; `AnalysisPool` analyses each feed's new posts
    on the other cores; whatever feeds are analysed when the loop gets to them are stored in one
    transaction. `pool`: an already started pool (the daemon's); else one is forked for this round
    (`workers`, default `collector.analysis_workers`: one per core; 0 analyses in this process).
    """
    feeds = list(feeds if feeds is not None else config.feeds)
    limit = asyncio.Semaphore(config.collector.concurrency)
    owned = pool is None
    pool = pool or AnalysisPool(analyzer, config.collector.analysis_workers if workers is None else workers)
    # Feeds between fetch and store at once: keeps the workers fed without holding every feed's items in memory.
    in_flight = asyncio.Semaphore(config.collector.concurrency + 4 * max(1, pool.workers))
    hosts = HostLimiter(config.collector.per_host, config.collector.host_delay)
    done: asyncio.Queue[FeedRound] = asyncio.Queue()
    reports: list[FeedReport] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(feeds), desc="采集 collect", unit="feed", leave=False)
    try:
        async with make_client(user_agent=config.collector.user_agent or USER_AGENT,
                               proxy=config.collector.proxy.reveal() if config.collector.proxy else None) as client:
            async def one(source: FeedSource) -> None:
                async with in_flight:
                    before = store.feed_state(source.name) or FeedState(feed=source.name)
                    try:
                        async with limit:
                            result = await collect_feed(client, source, before, now=clock(), tz=config.timezone,
                                                        limiter=hosts)
                        analysis = await pool.analyze(unseen_items(store, result), feed_brand=source.brand,
                                                      official=source.official, domain=source.domain)
                    except Exception as exc:  # a bug met by one feed: recorded on it, the round goes on
                        log.exception("feed %s: round failed", source.name)
                        error = f"internal: {type(exc).__name__}: {exc}"[:500]
                        result = CollectResult(feed=source.name, items=[], error=error,
                                               state=failed_state(source, before, error, clock()))
                        analysis = BatchResult()
                    await done.put(FeedRound(source, before, result, analysis))

            tasks = [asyncio.ensure_future(one(f)) for f in feeds]
            while len(reports) < len(feeds):
                rounds = [await done.get()]
                await asyncio.sleep(WRITE_GATHER)  # let feeds analysed meanwhile join this commit
                while not done.empty() and len(rounds) < WRITE_BATCH_FEEDS:
                    rounds.append(done.get_nowait())
                reports.extend(store_rounds(config, store, rounds, clock))
                if bar:
                    bar.update(len(rounds))
            await asyncio.gather(*tasks)
    finally:
        if owned:
            pool.close()
        if bar:
            bar.close()
    return sorted(reports, key=lambda r: r.feed)
