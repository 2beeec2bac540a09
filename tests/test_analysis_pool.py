"""The analysis worker pool itself: order, poison posts, workers killed or hung mid-batch, and recovery.

Real forked processes and a real `Analyzer` subclass that misbehaves on marker texts; no mock of the pool.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzers import Analyzer, BrandSpec, Mention
from collectors import RawItem
from listener import analysis_pool
from listener.analysis_pool import AnalysisPool
from listener.clock import utcnow
from listener.collection import collect_round
from listener.config import load_config
from listener.store import Store
from listener.store.codec import stored_mention
from tests.fault_server import FaultServer, Reply

BRAND = "栖云乳业"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


class MarkerAnalyzer(Analyzer):
    """The real analyser, except on marker texts: RAISE raises, KILL kills its own process, HANG sleeps,
    PIDFILE:<path> writes the worker's pid there and then takes two seconds (so a test can kill it)."""

    def analyze(self, item: RawItem, *, feed_brand: str | None = None, official: bool = False,
                domain: str | None = None) -> Mention | None:
        text = item.text
        if "RAISE" in text:
            raise ValueError("poison post")
        if "KILL" in text:
            os.kill(os.getpid(), signal.SIGKILL)
        if "HANG" in text:
            time.sleep(3600)
        if "PIDFILE:" in text:
            Path(text.split("PIDFILE:", 1)[1].split()[0]).write_text(str(os.getpid()))
            time.sleep(2)
        return super().analyze(item, feed_brand=feed_brand, official=official)


@pytest.fixture(scope="module")
def analyzer() -> MarkerAnalyzer:
    return MarkerAnalyzer([BrandSpec(BRAND, ("栖云牛奶",))])


@pytest.fixture
def pool(analyzer: MarkerAnalyzer) -> Iterator[AnalysisPool]:
    with AnalysisPool(analyzer, workers=2) as started:
        assert len(started.start()) == 2
        yield started


def items(feed: str, count: int, marks: dict[int, str] | None = None) -> list[RawItem]:
    marks = marks or {}
    return [RawItem(feed=feed, item_id=f"{feed}-{n}", url=f"https://x.example/{feed}/{n}", title="",
                    text=f"栖云牛奶第{n}条，{marks.get(n, '味道不错')}", author=None, published_at=NOW,
                    fetched_at=NOW) for n in range(count)]


async def analyze_all(pool: AnalysisPool, batches: dict[str, list[RawItem]]) -> dict:
    results = await asyncio.gather(*(pool.analyze(batch, feed_brand=BRAND) for batch in batches.values()))
    return dict(zip(batches, results, strict=True))


def test_results_come_back_in_input_order_with_ids_kept(pool: AnalysisPool, analyzer: MarkerAnalyzer) -> None:
    batches = {f"f{i}": items(f"f{i}", 30 + i) for i in range(6)}
    results = asyncio.run(analyze_all(pool, batches))
    for feed, batch in batches.items():
        assert results[feed].ids() == [item.item_id for item in batch]
        assert results[feed].error_text() is None
        # the rows of the same Mentions as analysed in this process (the workers send rows, not Mentions)
        assert results[feed].mentions == []
        assert results[feed].stored == [stored_mention(analyzer.analyze(i, feed_brand=BRAND)) for i in batch]
    assert pool.restarts == 0


def test_a_poison_post_is_reported_alone_and_its_neighbours_kept(pool: AnalysisPool) -> None:
    batches = {"bad": items("bad", 10, {3: "RAISE"}), "good": items("good", 10)}
    results = asyncio.run(analyze_all(pool, batches))
    assert results["bad"].ids() == [f"bad-{n}" for n in range(10) if n != 3]
    assert results["bad"].error_text() == "analysis: post bad-3: ValueError: poison post"
    assert not results["bad"].crashed
    assert results["good"].ids() == [f"good-{n}" for n in range(10)]
    assert results["good"].error_text() is None
    assert pool.restarts == 0


def test_a_worker_killed_mid_batch_is_retried_and_nothing_is_lost(pool: AnalysisPool, tmp_path: Path) -> None:
    pidfile = tmp_path / "worker.pid"
    batches = {"victim": items("victim", 20, {5: f"PIDFILE:{pidfile} "}),
               **{f"other{i}": items(f"other{i}", 40) for i in range(3)}}
    workers = pool.pids()
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "the marked post never reached a worker"
            time.sleep(0.01)
        pid = int(pidfile.read_text())
        pidfile.unlink()
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    thread = threading.Thread(target=killer)
    thread.start()
    results = asyncio.run(analyze_all(pool, batches))
    thread.join()
    assert killed and killed[0] in workers  # a real worker of the pool, killed while busy with the batch
    for feed, batch in batches.items():  # retried: every post once, in order, no error
        assert results[feed].ids() == [item.item_id for item in batch], feed
        assert results[feed].error_text() is None, feed
    assert pool.restarts == 1
    assert killed[0] not in pool.pids()
    after = asyncio.run(analyze_all(pool, {"later": items("later", 15)}))  # the fresh pool works
    assert after["later"].ids() == [f"later-{n}" for n in range(15)]


def test_a_batch_that_kills_its_quarantine_worker_too_is_reported_on_its_feed_alone(pool: AnalysisPool) -> None:
    batches = {"deadly": items("deadly", 10, {4: "KILL"}), "fine": items("fine", 25)}
    results = asyncio.run(analyze_all(pool, batches))
    assert results["deadly"].crashed and results["deadly"].rows() == []
    assert results["deadly"].error_text() == "analysis: worker crashed on this feed's posts (twice)"
    assert results["fine"].ids() == [f"fine-{n}" for n in range(25)]
    assert results["fine"].error_text() is None
    after = asyncio.run(analyze_all(pool, {"later": items("later", 5)}))
    assert after["later"].ids() == [f"later-{n}" for n in range(5)]


def test_a_hanging_batch_hits_its_deadline(pool: AnalysisPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis_pool, "MIN_BATCH_SECONDS", 3.0)
    monkeypatch.setattr(analysis_pool, "SECONDS_PER_POST", 0.01)
    started = time.monotonic()
    results = asyncio.run(analyze_all(pool, {"stuck": items("stuck", 5, {2: "HANG"}), "fine": items("fine", 5)}))
    took = time.monotonic() - started
    assert results["stuck"].crashed
    assert results["stuck"].error_text() == "analysis: worker timed out on this feed's posts (twice)"
    assert results["fine"].ids() == [f"fine-{n}" for n in range(5)]
    assert 6 <= took < 60  # two deadlines of 3 s (main pool, then quarantine), not an hour
    after = asyncio.run(analyze_all(pool, {"later": items("later", 5)}))
    assert after["later"].ids() == [f"later-{n}" for n in range(5)]


def test_in_process_analysis_gives_the_same_results(analyzer: MarkerAnalyzer) -> None:
    batch = items("inline", 12, {7: "RAISE"})
    with AnalysisPool(analyzer, workers=0) as inline:
        assert inline.start() == []
        result = asyncio.run(inline.analyze(batch, feed_brand=BRAND))
    assert result.ids() == [f"inline-{n}" for n in range(12) if n != 7]
    assert result.error_text() == "analysis: post inline-7: ValueError: poison post"


def rss(feed: str, texts: list[str]) -> bytes:
    entries = "".join(f"<item><guid>{feed}-{n}</guid><link>https://x.example/{feed}/{n}</link>"
                      f"<description>栖云牛奶{text}</description></item>" for n, text in enumerate(texts))
    return f'<rss version="2.0"><channel><title>{feed}</title>{entries}</channel></rss>'.encode()


def test_a_round_stores_everything_but_the_poison_post_and_reports_it_on_its_feed(
        analyzer: MarkerAnalyzer, write_config) -> None:
    texts = {"poisoned": [f"第{n}条" if n != 6 else "RAISE" for n in range(12)],
             "clean-a": [f"第{n}条" for n in range(12)], "clean-b": [f"第{n}条" for n in range(8)]}
    with FaultServer() as server:
        for feed, body in texts.items():
            server.routes[f"/{feed}"] = Reply(rss(feed, body), headers={"Content-Type": "application/rss+xml"})
        feeds = "".join(f'[[feeds]]\nname = "{feed}"\nurl = "{server.url}/{feed}"\nbrand = "{BRAND}"\n'
                        for feed in texts)
        config = load_config(write_config(f'[store]\npath = "pool.db"\n[[brands]]\nname = "{BRAND}"\n{feeds}'))
        store = Store(config.store_path)
        with AnalysisPool(analyzer, workers=2) as pool:
            pool.start()
            reports = {r.feed: r for r in asyncio.run(collect_round(config, store, analyzer, utcnow, pool=pool))}
            assert reports["poisoned"].error == "analysis: post " + store_id(store, "poisoned", 6, texts) + \
                ": ValueError: poison post"
            assert (reports["poisoned"].new, reports["clean-a"].new, reports["clean-b"].new) == (11, 12, 8)
            assert reports["clean-a"].error is None and reports["clean-b"].error is None
            assert store.count_mentions() == 31
            rows = {r["feed"]: r for r in store.feed_rows()}
            assert rows["poisoned"]["last_error"] == reports["poisoned"].error
            assert rows["poisoned"]["consecutive_failures"] == 1
            assert rows["clean-a"]["last_error"] is None and rows["clean-a"]["consecutive_failures"] == 0
            # Next round: the stored posts are not analysed again or duplicated; the poison post fails again.
            again = {r.feed: r for r in asyncio.run(collect_round(config, store, analyzer, utcnow, pool=pool))}
        assert (again["poisoned"].new, again["clean-a"].new, again["clean-b"].new) == (0, 0, 0)
        assert again["poisoned"].error == reports["poisoned"].error
        assert store.count_mentions() == 31


def store_id(store: Store, feed: str, n: int, texts: dict[str, list[str]]) -> str:
    """The stable id the collector gives item n of a feed (feed + guid)."""
    from collectors.ids import item_id

    return item_id(feed, guid=f"{feed}-{n}", url=None, title="", text=texts[feed][n])


@pytest.mark.parametrize("workers", [2, 0])
def test_a_feeds_domain_reaches_the_sentiment_model_in_the_workers(write_config, workers: int) -> None:
    """`domain = "review"` on a feed: its posts are scored with the review table, in workers or in process."""
    from analyzers import Analyzer, BrandSpec

    posts = ["口感比以前差了，再也不买了", "包装很好，送货快，孩子爱喝", "有点腥味，不知道是不是放久了"]
    analyzer = Analyzer([BrandSpec(name=BRAND, aliases=("栖云牛奶",))])
    engine = analyzer._engine
    with FaultServer() as server:
        for feed in ("reviews", "guessed"):
            server.routes[f"/{feed}"] = Reply(rss(feed, posts), headers={"Content-Type": "application/rss+xml"})
        config = load_config(write_config(
            f'[store]\npath = "domain.db"\n[[brands]]\nname = "{BRAND}"\naliases = ["栖云牛奶"]\n'
            f'[[feeds]]\nname = "reviews"\nurl = "{server.url}/reviews"\ndomain = "review"\n'
            f'[[feeds]]\nname = "guessed"\nurl = "{server.url}/guessed"\n'))
        store = Store(config.store_path)
        with AnalysisPool(analyzer, workers=workers) as pool:
            pool.start()
            asyncio.run(collect_round(config, store, analyzer, utcnow, pool=pool))
    stored = {(m.feed, m.clean_text): m.sentiment for m in store.mentions(limit=None)}
    assert len(stored) == 6
    for (feed, clean), sentiment in stored.items():
        hint = "review" if feed == "reviews" else None
        assert sentiment == round(engine.score(clean, domain=hint), 4), (feed, clean)
    # the hint changes the reading: these short complaints look like posts to the domain model
    assert any(stored[("reviews", c)] != stored[("guessed", c)] for f, c in stored if f == "guessed")
