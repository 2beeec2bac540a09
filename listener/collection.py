"""One collection round: collectors -> analyzers -> store, feed by feed, one bad feed never hurting the rest."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from analyzers import Analyzer, Mention
from collectors import CollectResult, FeedSource, collect_feed
from collectors.fetcher import USER_AGENT, make_client
from collectors.politeness import HostLimiter
from listener.clock import Clock
from listener.config import Config
from listener.routing import notifications_for
from listener.store import Store
from listener.store.codec import ts

log = logging.getLogger("listener.collect")
UNHEALTHY_AFTER = 3  # consecutive failures before the PR team hears that a feed is down


@dataclass(frozen=True)
class FeedReport:
    feed: str
    items: int
    new: int
    error: str | None
    not_modified: bool = False
    warning: str | None = None

    def as_dict(self) -> dict:
        return {"feed": self.feed, "items": self.items, "new": self.new, "error": self.error,
                "not_modified": self.not_modified, "warning": self.warning}


def analyze_items(analyzer: Analyzer, result: CollectResult, source: FeedSource, store: Store) -> list[Mention]:
    """Analyse only items not stored yet: re-fetching a feed costs no NLP."""
    known = store.known_mention_ids(item.item_id for item in result.items)
    mentions = []
    for item in result.items:
        if item.item_id in known:
            continue
        mention = analyzer.analyze(item, feed_brand=source.brand, official=source.official)
        if mention is not None:
            mentions.append(mention)
    return mentions


async def analyze_items_yielding(analyzer: Analyzer, result: CollectResult, source: FeedSource,
                                 store: Store) -> list[Mention]:
    """`analyze_items` for the event loop: it yields between posts, so fetches in flight keep being read.

    Analysing a feed is a second or more of CPU; done in one go on the loop it stalls every other fetch
    past its timeout and records healthy feeds as failed. (A writer thread was measured slower: the GIL
    hand-offs on every SQLite call cost more than they overlap.)
    """
    known = store.known_mention_ids(item.item_id for item in result.items)
    mentions = []
    for number, item in enumerate(result.items):
        if item.item_id in known:
            continue
        mention = analyzer.analyze(item, feed_brand=source.brand, official=source.official)
        if mention is not None:
            mentions.append(mention)
        if number % 4 == 3:
            await asyncio.sleep(0)
    return mentions


def store_result(config: Config, store: Store, result: CollectResult, source: FeedSource,
                 mentions: list[Mention], clock: Clock) -> tuple[list[Mention], bool | None]:
    """Save new mentions and the feed's state; returns new mentions and a health change (True: recovered)."""
    new = store.save_mentions(mentions) if mentions else []
    was_notified = store.feed_unhealthy_notified(source.name)
    health_change = None
    now = clock()
    with store.transaction() as conn:
        store.save_feed_state(result.state, url=source.url, items_seen=len(result.items), new_mentions=len(new),
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
    return new, health_change


async def collect_round(config: Config, store: Store, analyzer: Analyzer, clock: Clock, *,
                        feeds: list[FeedSource] | None = None, progress: bool = False) -> list[FeedReport]:
    """Fetch every feed concurrently (bounded), then analyse and store each in turn."""
    feeds = list(feeds if feeds is not None else config.feeds)
    limit = asyncio.Semaphore(config.collector.concurrency)
    hosts = HostLimiter(config.collector.per_host, config.collector.host_delay)
    reports: list[FeedReport] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(feeds), desc="采集 collect", unit="feed", leave=False)
    async with make_client(user_agent=config.collector.user_agent or USER_AGENT,
                           proxy=config.collector.proxy.reveal() if config.collector.proxy else None) as client:
        async def one(source: FeedSource) -> tuple[FeedSource, CollectResult]:
            async with limit:
                return source, await collect_feed(client, source, store.feed_state(source.name),
                                                  now=clock(), tz=config.timezone, limiter=hosts)

        for next_done in asyncio.as_completed([one(f) for f in feeds]):
            source, result = await next_done
            mentions = await analyze_items_yielding(analyzer, result, source, store)
            new, _ = store_result(config, store, result, source, mentions, clock)
            if result.error or result.warning:
                log.warning("feed %s: %s", source.name, result.error or result.warning)
            reports.append(FeedReport(source.name, len(result.items), len(new), result.error, result.not_modified,
                                      result.warning))
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    return sorted(reports, key=lambda r: r.feed)
