"""Analysis in worker processes, so a collection round uses every core while the event loop keeps fetching.

Analysis is pure-Python CPU (about half a millisecond a post): on the event loop's thread it capped a
round of 50,000 posts at one core. The workers are forked from the process that already loaded the
models (jieba's dictionary, the sentiment model, OpenCC), after `gc.freeze()`, so those pages stay shared
instead of being loaded once more per worker. A feed's new posts go to a worker as one batch; the
Mentions come back in the same order.

One bad feed never hurts the rest:
- a post whose analysis raises is skipped and reported on its feed (the others are kept);
- a worker that dies (a crash in a C extension, the OOM killer, kill -9) breaks the pool: every batch in
  flight is retried once in a one-worker quarantine pool, one batch at a time, while a fresh pool takes
  new batches; a batch that kills its quarantine worker too is reported on its feed alone;
- a batch that hangs past its deadline has its worker killed and is treated as a crash.
Workers die with their parent (PR_SET_PDEATHSIG): kill -9 of the daemon leaves no orphans behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

from analyzers import Mention
from collectors import RawItem
from listener.store.codec import StoredMention, stored_mention

log = logging.getLogger("listener.analysis")
SECONDS_PER_POST = 1.0  # deadline of a batch: generous (a post takes ~1 ms; a loaded machine, 10x that)
MIN_BATCH_SECONDS = 60.0


class AnalyzerLike(Protocol):
    def analyze(self, item: RawItem, *, feed_brand: str | None = None, official: bool = False,
                domain: str | None = None) -> Mention | None: ...


@dataclass
class BatchResult:
    """The Mentions of one feed's batch (input order, posts about no brand left out) and what failed.

    From a worker, the batch comes back as `stored` rows (built there, ready for `Store.insert_stored`)
    and `mentions` is empty: the parent, which also fetches, parses and writes, never rebuilds them."""

    mentions: list[Mention] = field(default_factory=list)
    stored: list[StoredMention] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per post that could not be analysed
    crashed: bool = False  # the whole batch was lost: its worker died twice

    def rows(self) -> list[StoredMention]:
        """What the store writes, in input order, whichever form the batch came back in."""
        return self.stored or [stored_mention(m) for m in self.mentions]

    def ids(self) -> list[str]:
        return [row[0] for row, _ in self.stored] or [m.mention_id for m in self.mentions]

    def error_text(self) -> str | None:
        if self.crashed:
            return self.errors[0] if self.errors else "analysis: worker crashed"
        if not self.errors:
            return None
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{self.errors[0]}{more}"


_ANALYZER: AnalyzerLike | None = None  # the parent's analyzer; forked workers inherit it


def analyze_batch(analyzer: AnalyzerLike, items: list[RawItem], feed_brand: str | None,
                  official: bool, domain: str | None = None, *, rows: bool = False) -> BatchResult:
    """Analyse posts one by one; a post that raises is reported and skipped, never fatal to its neighbours.

    `rows`: return store rows (`stored`) instead of Mentions, built per post inside the same guard."""
    result = BatchResult()
    for item in items:
        try:
            mention = analyzer.analyze(item, feed_brand=feed_brand, official=official, domain=domain)
            if mention is not None:
                if rows:
                    result.stored.append(stored_mention(mention))
                else:
                    result.mentions.append(mention)
        except Exception as exc:  # attacker-controlled text must not take the feed's other posts with it
            result.errors.append(f"analysis: post {item.item_id}: {type(exc).__name__}: {exc}"[:500])
    return result


def _work(items: list[RawItem], feed_brand: str | None, official: bool, domain: str | None) -> BatchResult:
    assert _ANALYZER is not None, "analysis worker started without an analyzer"
    return analyze_batch(_ANALYZER, items, feed_brand, official, domain, rows=True)


def _ready() -> int:
    return os.getpid()


def _init_worker(parent: int) -> None:
    """In the worker: die with the parent, leave Ctrl-C and SIGTERM to it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def default_workers() -> int:
    """One worker per core where fork exists; 0 (analysis in-process) elsewhere."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return max(1, os.cpu_count() or 1)


class AnalysisPool:
    """`await pool.analyze(items, ...)` from the event loop; `workers = 0` analyses in-process instead."""

    def __init__(self, analyzer: AnalyzerLike, workers: int | None = None):
        self.analyzer = analyzer
        self.workers = default_workers() if workers is None else workers
        self._main: ProcessPoolExecutor | None = None
        self._quarantine: ProcessPoolExecutor | None = None
        self._quarantine_lock: asyncio.Lock | None = None
        self.restarts = 0  # pools replaced after a worker died (tests and the bench read it)

    # --- lifecycle -------------------------------------------------------------------------------

    def _fork(self, workers: int) -> ProcessPoolExecutor:
        global _ANALYZER
        _ANALYZER = self.analyzer
        gc.collect()
        gc.freeze()  # objects alive now are never touched by the workers' collector: their pages stay shared
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_worker, initargs=(os.getpid(),))

    def start(self) -> list[int]:
        """Fork the workers now (before the caller starts threads of its own); returns their pids."""
        if self.workers == 0:
            return []
        if self._main is None:
            self._main = self._fork(self.workers)
        pool = self._main
        pids = {pool.submit(_ready).result(timeout=120) for _ in range(self.workers * 2)}
        return sorted(pids | self.pids())

    def pids(self) -> set[int]:
        """The worker processes alive now (for memory accounting and tests)."""
        out: set[int] = set()
        for pool in (self._main, self._quarantine):
            processes = getattr(pool, "_processes", None) or {}
            out.update(p.pid for p in processes.values() if p.is_alive())
        return out

    def close(self) -> None:
        for pool in (self._main, self._quarantine):
            if pool is not None:
                _kill(pool)
                pool.shutdown(wait=True, cancel_futures=True)
        self._main = self._quarantine = None

    def __enter__(self) -> AnalysisPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- work ------------------------------------------------------------------------------------

    async def analyze(self, items: list[RawItem], *, feed_brand: str | None = None,
                      official: bool = False, domain: str | None = None) -> BatchResult:
        if not items:
            return BatchResult()
        if self.workers == 0:
            return await self._inline(items, feed_brand, official, domain)
        deadline = max(MIN_BATCH_SECONDS, SECONDS_PER_POST * len(items))
        pool = self._main or self._replace_main(None)
        try:
            return await self._run(pool, deadline, items, feed_brand, official, domain)
        except (BrokenProcessPool, TimeoutError) as exc:
            self._replace_main(pool)
            log.warning("analysis worker lost (%s); retrying %d posts of %s alone", type(exc).__name__,
                        len(items), items[0].feed)
        return await self._retry_alone(deadline, items, feed_brand, official, domain)

    async def _run(self, pool: ProcessPoolExecutor, deadline: float, *args: Any) -> BatchResult:
        future: Future[BatchResult] = pool.submit(_work, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), deadline)
        except TimeoutError:
            _kill(pool)  # the hung worker cannot be told apart from the others: the pool goes
            raise

    async def _retry_alone(self, deadline: float, items: list[RawItem], feed_brand: str | None,
                           official: bool, domain: str | None) -> BatchResult:
        """Second try, one batch at a time in a one-worker pool: a crash here can only be this batch's."""
        if self._quarantine_lock is None:
            self._quarantine_lock = asyncio.Lock()
        async with self._quarantine_lock:
            if self._quarantine is None:
                self._quarantine = self._fork(1)
            try:
                return await self._run(self._quarantine, deadline, items, feed_brand, official, domain)
            except (BrokenProcessPool, TimeoutError) as exc:
                broken, self._quarantine = self._quarantine, None
                self.restarts += 1
                _kill(broken)
                broken.shutdown(wait=False, cancel_futures=True)
                what = "timed out" if isinstance(exc, TimeoutError) else "crashed"
                log.error("analysis of %s %s twice; its %d posts are not stored this round", items[0].feed, what,
                          len(items))
                return BatchResult(errors=[f"analysis: worker {what} on this feed's posts (twice)"], crashed=True)

    def _replace_main(self, broken: ProcessPoolExecutor | None) -> ProcessPoolExecutor:
        """A new main pool, once per breakage however many batches saw it break."""
        if self._main is broken or self._main is None:
            if broken is not None:
                self.restarts += 1
                _kill(broken)
                broken.shutdown(wait=False, cancel_futures=True)
            self._main = self._fork(self.workers)
        return self._main

    async def _inline(self, items: list[RawItem], feed_brand: str | None, official: bool,
                      domain: str | None) -> BatchResult:
        """No workers: analyse here, yielding to the loop every few posts so fetches in flight keep being read."""
        result = BatchResult()
        for start in range(0, len(items), 4):
            part = analyze_batch(self.analyzer, items[start:start + 4], feed_brand, official, domain)
            result.mentions.extend(part.mentions)
            result.errors.extend(part.errors)
            await asyncio.sleep(0)
        return result


def _kill(pool: ProcessPoolExecutor) -> None:
    """SIGKILL every worker of a pool (ProcessPoolExecutor has no public way to stop a busy worker)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()
