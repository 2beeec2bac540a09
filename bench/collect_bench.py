"""Collection benchmark: 1,000 feeds x 50 items, one round through the real pipeline into SQLite.

A separate server process serves the feeds from four loopback hosts (127.0.0.1-4, as many feeds share a
few RSSHub instances), so serving never competes with the collector for its GIL. Each mode runs in a fresh
process so its peak RSS is its own:

- fetch:  httpx GETs of every feed through the same shared client and limits, bodies discarded
          (the baseline: what the network part alone costs in this run);
- store:  `collect_round` (fetch -> parse -> dedupe -> store, feed health) with an analyzer that only
          assigns the feed's brand: the collectors' own cost;
- full:   `collect_round` with the real `Analyzer` (normalise, brands, sentiment, keywords, signals,
          SimHash): the whole pipeline as `listener collect` runs it.

Posts are real (`--texts real`, the default): every item carries a different labelled text from
`../shared/data/sentiment/` (Weibo posts, food-delivery and product reviews, interleaved), with the brand named,
an @handle, a #topic# and an image, as RSSHub renders Weibo. `--texts synthetic` repeats eight short phrases
(the figures before 2026-12-04): it flatters the analyzers' per-block caches.

Run: `.venv/bin/python bench/collect_bench.py [--feeds 1000] [--items 50] [--modes fetch,store,full]
[--texts real|synthetic]`. Targets: the round in <= 30 s and >= 2,000 mentions/s into SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import html
import itertools
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SENTIMENT_DATA = ROOT.parent / "shared" / "data" / "sentiment"
REAL_SOURCES = ("weibo_polar_dev.csv", "waimai_10k.csv", "online_shopping_9cats.csv")
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
TARGET_SECONDS, TARGET_RATE = 30, 2000
BRAND = "栖云乳业"
PHRASES = ["喝了之后肚子疼，客服一直不回", "新品口感很好，会回购", "物流太慢了，包装也破了", "门店排队两小时",
           "价格涨了不少，还值得买吗", "朋友推荐的，孩子很喜欢", "临期产品还在卖？", "活动力度很大"]


def real_texts() -> list[str]:
    """Every labelled text in shared/, the three corpora interleaved so each feed mixes Weibo and reviews."""
    corpora = []
    for name in REAL_SOURCES:
        path = SENTIMENT_DATA / name
        if not path.is_file():
            raise SystemExit(f"collect_bench: {path} not found (--texts real needs ../shared beside the checkout)")
        with open(path, encoding="utf-8-sig", newline="") as handle:
            corpora.append([row["review"].strip() for row in csv.DictReader(handle) if row["review"].strip()])
    mixed = itertools.chain.from_iterable(itertools.zip_longest(*corpora))
    return [text for text in mixed if text]


def post_text(feed: int, n: int, items: int, texts: list[str] | None) -> str:
    """The n-th post of a feed: a distinct real text when `texts` is given, else one of eight phrases."""
    if texts is None:
        return f"栖云牛奶{PHRASES[(feed + n) % len(PHRASES)]}。第{feed}号源第{n}条，网友@用户{n % 97} #栖云# " * 3
    real = html.escape(texts[(feed * items + n) % len(texts)]).replace("]]>", "]]&gt;")
    return f"栖云牛奶：{real} //@用户{n % 97}: #栖云牛奶#"


def feed_document(feed: int, items: int, texts: list[str] | None = None) -> bytes:
    """An RSSHub-like RSS 2.0 document with Chinese posts, dates and links."""
    base = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    entries = []
    for n in range(items):
        when = (base - timedelta(minutes=feed % 60 + n * 7)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        text = post_text(feed, n, items, texts)
        entries.append(
            f"<item><title><![CDATA[{text[:30]}]]></title><description><![CDATA[<p>{text}</p>"
            f"<img src=\"https://img.example/{feed}/{n}.jpg\">]]></description>"
            f"<guid isPermaLink=\"false\">weibo-{feed}-{n}</guid>"
            f"<link>https://weibo.com/{feed}/{n}?refer_flag=1001030103_&amp;utm_source=rsshub</link>"
            f"<pubDate>{when}</pubDate><author>用户{n % 97}</author></item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>源{feed}</title>'
            f"<link>https://weibo.com/{feed}</link>{''.join(entries)}</channel></rss>").encode()


def serve(feeds: int, items: int, port: int, ready, real: bool = True) -> None:
    """Child process: render every document once, serve them until killed."""
    texts = real_texts() if real else None
    bodies = {f"/feed/{i}": feed_document(i, items, texts) for i in range(feeds)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer.request_queue_size = 128
    for host in HOSTS:
        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        server.handle_error = lambda request, address: None  # clients closing idle keep-alives at the end
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    threading.Event().wait()


def write_config(directory: Path, feeds: int, port: int) -> Path:
    lines = ['[store]\npath = "bench.db"\n', f'[[brands]]\nname = "{BRAND}"\naliases = ["栖云牛奶"]\n',
             "[collector]\nconcurrency = 16\nper_host = 4\n"]
    for i in range(feeds):
        host = HOSTS[i % len(HOSTS)]
        lines.append(f'[[feeds]]\nname = "feed-{i:04d}"\nurl = "http://{host}:{port}/feed/{i}"\nbrand = "{BRAND}"\n')
    path = directory / "bench.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class BrandOnlyAnalyzer:
    """For the `store` mode: a Mention with the feed's brand and no NLP, to isolate the collectors' cost."""

    def analyze(self, item, *, feed_brand=None, official=False, domain=None):
        from analyzers import BrandMatch, Mention

        return Mention(mention_id=item.item_id, feed=item.feed, url=item.url, title=item.title, text=item.text,
                       clean_text=item.text, author=item.author, published_at=item.published_at or item.fetched_at,
                       fetched_at=item.fetched_at, brands=(BrandMatch(brand=feed_brand or BRAND),), sentiment=0.5,
                       label="neutral", official=official, had_published_at=item.published_at is not None)


def _cpu() -> float:
    """CPU seconds this process used: on a shared machine, wall time says as much about the neighbours."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_mode(mode: str, config_path: Path) -> dict:
    """In this (fresh) process: one round in the given mode; figures as a dict."""
    from listener.clock import utcnow
    from listener.config import load_config

    config = load_config(config_path)
    started = time.perf_counter()
    if mode == "fetch":
        from collectors.fetcher import fetch, make_client
        from collectors.politeness import HostLimiter

        async def fetch_all() -> int:
            limit, hosts = asyncio.Semaphore(config.collector.concurrency), HostLimiter(config.collector.per_host)
            async with make_client() as client:
                async def one(url: str) -> int:
                    async with limit:
                        return len((await fetch(client, url, limiter=hosts)).body)
                return sum(await asyncio.gather(*(one(f.url) for f in config.feeds)))

        cpu_before = _cpu()
        size = asyncio.run(fetch_all())
        seconds = time.perf_counter() - started
        return {"seconds": round(seconds, 2), "cpu_s": round(_cpu() - cpu_before, 2), "bytes": size,
                "feeds": len(config.feeds)}
    from analyzers import Analyzer
    from listener.analysis_pool import AnalysisPool
    from listener.collection import collect_round
    from listener.store import Store

    analyzer = BrandOnlyAnalyzer() if mode == "store" else Analyzer(config.brands, config.sentiment)
    store = Store(config.store_path)
    pool = AnalysisPool(analyzer)  # what `listener run` forks at start: one worker per core
    workers = pool.start()
    setup = time.perf_counter() - started
    memory = MemorySampler(pool)
    cpu_before, started = _cpu(), time.perf_counter()
    reports = asyncio.run(collect_round(config, store, analyzer, utcnow, pool=pool))
    seconds = time.perf_counter() - started
    memory.stop()
    pool.close()  # reaps the workers, so their CPU time shows in RUSAGE_CHILDREN
    cpu, workers_cpu = _cpu() - cpu_before, _children_cpu()
    stored = store.count_mentions()
    errors = [r.error for r in reports if r.error]
    total_cpu = cpu + workers_cpu
    return {"seconds": round(seconds, 2), "cpu_s": round(total_cpu, 2), "parent_cpu_s": round(cpu, 2),
            "workers_cpu_s": round(workers_cpu, 2), "workers": len(workers), "pool_restarts": pool.restarts,
            "setup_s": round(setup, 2), "feeds": len(reports), "mentions": stored,
            "mentions_per_s": round(stored / seconds), "mentions_per_cpu_s": round(stored / total_cpu),
            "errors": len(errors), "first_error": errors[0] if errors else None, **memory.figures()}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _smaps(pid: int) -> tuple[int, int]:
    """(Rss, Pss) of a process in kB; Pss splits each shared page between the processes sharing it."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    values[key] = int(rest.split()[0])
    except OSError:
        return 0, 0
    return values.get("Rss", 0), values.get("Pss", 0)


class MemorySampler:
    """Every 0.2 s: Rss and Pss of this process plus the analysis workers; keeps the peak sums.

    The sum of Pss counts the models' pages shared by fork once (the honest total); the sum of Rss counts
    them once per process (what `ps` would add up to)."""

    def __init__(self, pool) -> None:
        self.pool, self.peak_rss, self.peak_pss = pool, 0, 0
        self.peak_parent_rss = self.peak_parent_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            parent = _smaps(os.getpid())
            children = [_smaps(pid) for pid in self.pool.pids()]
            self.peak_parent_rss, self.peak_parent_pss = (max(self.peak_parent_rss, parent[0]),
                                                          max(self.peak_parent_pss, parent[1]))
            self.peak_rss = max(self.peak_rss, parent[0] + sum(c[0] for c in children))
            self.peak_pss = max(self.peak_pss, parent[1] + sum(c[1] for c in children))
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def figures(self) -> dict:
        return {"peak_pss_total_mb": round(self.peak_pss / 1024, 1), "peak_rss_sum_mb": round(self.peak_rss / 1024, 1),
                "peak_parent_rss_mb": round(self.peak_parent_rss / 1024, 1),
                "peak_parent_pss_mb": round(self.peak_parent_pss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--modes", default="fetch,store,full")
    parser.add_argument("--texts", choices=("real", "synthetic"), default="real")
    parser.add_argument("--run-mode", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_mode:  # child: one mode, one JSON line with its own peak RSS
        figures = run_mode(args.run_mode, Path(args.config))
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        print(json.dumps(figures, ensure_ascii=False))
        return
    for line in bench(args.feeds, args.items, args.modes.split(","), real=args.texts == "real"):
        print(json.dumps(line, ensure_ascii=False), flush=True)


def bench(feeds: int = 1000, items: int = 50, modes: list[str] | None = None, real: bool = True) -> Iterator[dict]:
    """Start the server, run each mode in its own process, yield one JSON-able dict per mode as it ends."""
    modes = modes or ["fetch", "store", "full"]
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(feeds, items, port, ready, real), daemon=True)
    server.start()
    baseline = None
    try:
        if not ready.wait(120):
            raise RuntimeError("the feed server did not start")
        with tempfile.TemporaryDirectory() as tmp:
            for mode in modes:
                workdir = Path(tmp) / mode
                workdir.mkdir()
                config = write_config(workdir, feeds, port)
                done = subprocess.run([sys.executable, __file__, "--run-mode", mode, "--config", str(config)],
                                      capture_output=True, text=True, cwd=ROOT, check=True)
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                if mode == "fetch":
                    baseline = figures["seconds"]
                line = {"bench": f"collect-{mode}", "feeds": feeds, "items_per_feed": items,
                        "texts": "real" if real else "synthetic", **figures}
                if mode != "fetch":
                    line.update({"target_s": TARGET_SECONDS, "target_mentions_per_s": TARGET_RATE,
                                 "ratio_vs_target_s": round(figures["seconds"] / TARGET_SECONDS, 2),
                                 "ratio_vs_target_rate": round(figures["mentions_per_s"] / TARGET_RATE, 2)})
                    if baseline:
                        line.update({"baseline_fetch_only_s": baseline,
                                     "ratio_vs_fetch_only": round(figures["seconds"] / baseline, 2)})
                yield line
    finally:
        server.kill()
        server.join()


if __name__ == "__main__":
    main()
