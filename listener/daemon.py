"""The daemon: APScheduler jobs per feed, plus detection, delivery and the daily digest.

Network I/O runs on the event loop; analysis runs in worker processes (`AnalysisPool`, one per core);
database writes run on one writer thread (SQLite has one writer at a time anyway); delivery has its
own thread and connection, so a slow channel never holds up collection.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts.playbook import load_playbooks
from analyzers import Analyzer
from collectors import FeedSource, FeedState, collect_feed
from collectors.fetcher import USER_AGENT, make_client
from listener.analysis_pool import AnalysisPool
from listener.clock import Clock, utcnow
from listener.collection import FeedRound, store_rounds, unseen_items
from listener.config import Config
from listener.delivery import deliver_due
from listener.detection import detect
from listener.digests import build_digests
from listener.feed_watch import check_silence
from listener.lock import DaemonLock
from listener.store import Store

log = logging.getLogger("listener.daemon")
DETECT_EVERY = 60
DELIVER_EVERY = 15
STOP_GRACE = 10.0
WATCH_FEEDS_EVERY = 300


class Daemon:
    def __init__(self, config: Config, *, clock: Clock = utcnow):
        self.config = config
        self.clock = clock
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="listener-writer")
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="listener-delivery")
        self._running: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._unrecorded: deque[tuple[str, dict[str, Any]]] = deque(maxlen=1000)
        self._busy: set[str] = set()
        self._kicked: set[str] = set()
        self._kicks: set[asyncio.Task[None]] = set()

    async def _on(self, pool: ThreadPoolExecutor, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    def _job(self, name: str, body: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Wrap a job: track it for a graceful stop, time it, record its outcome, never let it kill the loop."""
        async def run() -> None:
            task = asyncio.current_task()
            if task:
                self._running.add(task)
            started, error = time.monotonic(), None
            try:
                await body()
            except Exception as exc:  # a job failing must not stop the daemon; it is logged and recorded
                error = f"{type(exc).__name__}: {exc}"
                log.exception("job %s failed", name)
            finally:
                if task:
                    self._running.discard(task)
            self._unrecorded.append((name, {"ok": error is None, "error": error, "now": self.clock(),
                                             "seconds": round(time.monotonic() - started, 3)}))
            await self._on(self._writer, self._record_jobs)
        return run

    def _record_jobs(self) -> None:
        """Write job outcomes, oldest first; when the store is locked or full they wait for the next try."""
        try:
            while self._unrecorded:
                name, outcome = self._unrecorded[0]
                self.store.record_job(name, **outcome)
                self._unrecorded.popleft()
        except Exception as exc:  # the store itself is the fault: keep the outcome in memory, keep running
            log.error("cannot record job outcomes (%d waiting): %s", len(self._unrecorded), exc)

    async def _collect(self, source: FeedSource) -> None:
        state = await self._on(self._writer, self.store.feed_state, source.name)
        now = self.clock()
        if state and state.next_attempt_at and state.next_attempt_at > now:
            log.debug("feed %s backing off until %s", source.name, state.next_attempt_at)
            return
        before = state or FeedState(feed=source.name)
        result = await collect_feed(self.client, source, before, now=now, tz=self.config.timezone)
        # The same stages as `collect_round`: new items -> the analysis workers -> one transaction.
        items = await self._on(self._writer, unseen_items, self.store, result)
        analysis = await self.pool.analyze(items, feed_brand=source.brand, official=source.official,
                                           domain=source.domain)
        report = (await self._on(self._writer, store_rounds, self.config, self.store,
                                 [FeedRound(source, before, result, analysis)], self.clock))[0]
        if report.new:
            self._kick("detect")  # new mentions: judge them now, not at the next minute
        if not report.error:
            log.info("feed %s: %d items, %d new mentions", source.name, report.items, report.new)

    async def _detect(self) -> None:
        await self._again("detect", self._detect_once)

    async def _detect_once(self) -> None:
        events = await self._on(self._writer, lambda: detect(self.store, self.config, self.playbooks, self.clock()))
        if any(e.notifications for e in events):
            self._kick("deliver")  # an alert was queued: send it now, not at the next delivery tick

    async def _deliver(self) -> None:
        await self._again("deliver", self._deliver_once)

    async def _deliver_once(self) -> None:
        report = await self._on(self._sender, lambda: deliver_due(self.sender_store, self.config, self.clock()))
        if report.sent or report.failed or report.retrying:
            log.info("delivery: %d sent, %d retrying, %d failed", report.sent, report.retrying, report.failed)

    async def _again(self, name: str, once: Callable[[], Awaitable[None]]) -> None:
        """Run a job; if it was kicked meanwhile, run it again (a kick during a run must not be lost)."""
        self._busy.add(name)
        try:
            while True:
                self._kicked.discard(name)
                await once()
                if name not in self._kicked:
                    return
        finally:
            self._busy.discard(name)

    def _kick(self, job_id: str) -> None:
        """Run a periodic job now, or right after its current run. Safe to overlap a scheduled run: each job's
        work runs on one single-thread executor (writer or sender), so two runs are serialised, not parallel."""
        if job_id in self._busy:
            self._kicked.add(job_id)
            return
        body = {"detect": self._detect, "deliver": self._deliver}[job_id]
        self._busy.add(job_id)  # until the task starts, so a burst of kicks makes one run
        self._kicks.add(task := asyncio.get_running_loop().create_task(self._job(job_id, body)()))
        task.add_done_callback(self._kicks.discard)

    async def _watch_feeds(self) -> None:
        events = await self._on(self._writer, lambda: check_silence(self.store, self.config, self.clock()))
        if events:
            self._kick("deliver")

    async def _digest(self) -> None:
        yesterday = (self.clock().astimezone(self.config.timezone) - timedelta(days=1)).date()
        files = await self._on(self._writer, lambda: build_digests(self.store, self.config, yesterday, self.clock(),
                                                                   send=True))
        for f in files:
            log.info("digest for %s on %s: %s", f.brand, f.day, f.html)

    def _schedule(self, scheduler: AsyncIOScheduler) -> None:
        now = self.clock()
        for source in self.config.feeds:
            interval = source.interval_seconds
            scheduler.add_job(
                self._job(f"collect:{source.name}", lambda s=source: self._collect(s)),
                IntervalTrigger(seconds=interval, jitter=min(30, max(1, interval // 10))),
                id=f"collect:{source.name}", name=f"collect {source.name}",
                next_run_time=now + timedelta(seconds=random.uniform(0, min(5, interval / 10))),
                max_instances=1, coalesce=True, misfire_grace_time=interval,
            )
        scheduler.add_job(self._job("detect", self._detect), IntervalTrigger(seconds=DETECT_EVERY), id="detect",
                          next_run_time=now + timedelta(seconds=10), max_instances=1, coalesce=True)
        scheduler.add_job(self._job("deliver", self._deliver), IntervalTrigger(seconds=DELIVER_EVERY), id="deliver",
                          next_run_time=now + timedelta(seconds=2), max_instances=1, coalesce=True)
        scheduler.add_job(self._job("feed-watch", self._watch_feeds), IntervalTrigger(seconds=WATCH_FEEDS_EVERY),
                          id="feed-watch", next_run_time=now + timedelta(seconds=30), max_instances=1, coalesce=True)
        hour, minute = self.config.digest.at
        scheduler.add_job(self._job("digest", self._digest),
                          CronTrigger(hour=hour, minute=minute, timezone=self.config.timezone), id="digest",
                          max_instances=1, coalesce=True, misfire_grace_time=3600)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        self.store = await self._on(self._writer, Store, self.config.store_path)
        self.sender_store = await self._on(self._sender, Store, self.config.store_path)
        self.analyzer = await self._on(self._writer, lambda: Analyzer(self.config.brands, self.config.sentiment))
        # Forked now, with the models loaded and before the dashboard's threads exist: the workers share the
        # models' pages and inherit no busy thread.
        self.pool = AnalysisPool(self.analyzer, self.config.collector.analysis_workers)
        workers = self.pool.start()
        log.info("analysis: %d worker processes %s", len(workers), workers)
        self.playbooks = load_playbooks()
        collector = self.config.collector
        self.client = make_client(user_agent=collector.user_agent or USER_AGENT,
                                  proxy=collector.proxy.reveal() if collector.proxy else None)
        scheduler = AsyncIOScheduler(timezone=self.config.timezone)
        self._schedule(scheduler)
        scheduler.start()
        web = None
        if self.config.web is not None:  # the dashboard, on its own thread (see listener/web/server.py)
            from listener.web.server import BackgroundServer

            web = BackgroundServer(self.config)
            try:
                web.start()
            except OSError as exc:  # alerts matter more than the dashboard: keep running without it
                log.error("%s; the daemon runs on without the dashboard", exc)
                web = None
        log.info("listener running: %d feeds, %d brands, %d channels, store %s", len(self.config.feeds),
                 len(self.config.brands), len(self.config.channels), self.config.store_path)
        await self._stop.wait()
        log.info("stopping: waiting up to %.0fs for %d running jobs", STOP_GRACE, len(self._running))
        scheduler.shutdown(wait=False)
        if web is not None:
            web.stop()
        if self._running:
            await asyncio.wait(list(self._running), timeout=STOP_GRACE)
        await self.client.aclose()
        await self._on(self._writer, self.store.close)
        await self._on(self._sender, self.sender_store.close)
        self.pool.close()
        self._writer.shutdown(wait=True)
        self._sender.shutdown(wait=True)
        log.info("stopped")


def run_daemon(config: Config) -> None:
    """Take the database lock, then run until SIGTERM or SIGINT."""
    with DaemonLock(config.store_path):
        asyncio.run(Daemon(config).run())
