"""Dashboard pages over 1,000,000 stored mentions: each must answer in < 200 ms.

Requests go through the real app in-process (httpx over the ASGI transport: routing, auth, queries,
Jinja2 rendering), so the figure is server time without the network. Baseline measured in the same
run: the same requests against a store of 10,000 mentions (how much the million costs), and the ratio
to the 200 ms budget.

The million-row store is cached at $LISTENER_BENCH_DB (default /tmp/listener-bench-1m.db) because
building it (FTS trigram index included) takes minutes; delete it to rebuild.
Run alone: `.venv/bin/python bench/dashboard_bench.py [--mentions N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TEXTS = ROOT.parent / "shared" / "data" / "sentiment" / "weibo_polar_dev.csv"
BRANDS = ("栖云乳业", "北岭茶饮", "南屿科技")
FEEDS = ("weibo", "zhihu", "news", "xiaohongshu", "tieba")
BUDGET_MS = 200
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
DAYS = 120


def _texts() -> list[str]:
    with open(TEXTS, encoding="utf-8") as handle:
        return [row["review"].strip()[:200] for row in csv.DictReader(handle) if row["review"].strip()][:5000]


def build_store(path: Path, count: int) -> None:
    """Bulk-insert synthetic mentions (real Weibo texts, spread over 120 days) through the store's schema."""
    from tqdm import tqdm

    from listener.store import Store
    from listener.store.codec import ts

    texts = _texts()
    rng = random.Random(7)
    store = Store(path)
    conn = store.conn
    labels = ("negative", "neutral", "positive")
    span = DAYS * 86400
    batch = 20_000
    with tqdm(total=count, desc="seeding mentions", unit="row", disable=not sys.stderr.isatty()) as bar:
        for start in range(0, count, batch):
            mentions, links = [], []
            for i in range(start, min(count, start + batch)):
                published = int(NOW.timestamp()) - int(span * (1 - i / count)) + rng.randint(0, 60)
                when = ts(datetime.fromtimestamp(published, UTC))
                brand = BRANDS[i % 3]
                label = labels[rng.choices((0, 1, 2), weights=(2, 3, 5))[0]]
                text = f"{brand}{texts[i % len(texts)]}"
                mentions.append((f"b{i}", FEEDS[i % 5], f"https://example.com/{i}", "", text, text, f"用户{i % 977}",
                                 when, published, when, {"negative": 0.1, "neutral": 0.5, "positive": 0.9}[label],
                                 label, '["客服","质量"]', "[]", "[]", "[]", "[]", "[]",
                                 json.dumps({"followers": i % 5000}), i % 5000, rng.getrandbits(62), 0, 1))
                links.append((f"b{i}", brand, "[[0,4]]", published, label, 0))
            with store.transaction() as tx:
                tx.executemany(
                    "INSERT OR IGNORE INTO mentions (mention_id, feed, url, title, text, clean_text, author,"
                    " published_at, published_ts, fetched_at, sentiment, label, keywords, signals, urls, handles,"
                    " topics, emoticons, metrics, reach, simhash, official, had_published_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", mentions)
                tx.executemany("INSERT OR IGNORE INTO mention_brands (mention_id, brand, spans, published_ts, label,"
                               " official) VALUES (?, ?, ?, ?, ?, ?)", links)
            bar.update(len(mentions))
    from alerts.types import Incident

    store.save_incident(Incident(
        incident_id="bench-incident", brand=BRANDS[0], status="open", severity="critical",
        opened_at=NOW - timedelta(hours=3), updated_at=NOW, window_start=NOW - timedelta(hours=3), window_end=NOW,
        negative=120, baseline=20.0, volume=300))
    conn.execute("ANALYZE")
    store.close()


def _config(tmp: Path, db: Path):
    from listener.config import load_config

    brands = "".join(f'[[brands]]\nname = "{b}"\n\n' for b in BRANDS)
    feeds = "".join(f'[[feeds]]\nname = "{f}"\nurl = "http://127.0.0.1:9/{f}"\n\n' for f in FEEDS)
    path = tmp / "bench.toml"
    path.write_text(f'[store]\npath = "{db}"\n\n{brands}{feeds}[web]\nlisten = "127.0.0.1:8080"\n', encoding="utf-8")
    return load_config(path)


PAGES = {
    "overview": "/",
    "mentions": "/mentions",
    "mentions_brand_negative": f"/mentions?brand={BRANDS[0]}&label=negative",
    "mentions_feed_since": "/mentions?feed=zhihu&since=2026-11-01",
    "mentions_search": "/mentions?q=不喜欢",
    "mentions_brand_search": f"/mentions?brand={BRANDS[1]}&q=开心",
    "mentions_page_2": None,  # filled in with the first page's cursor
    "incident": "/incidents/bench-incident",
    "feeds": "/feeds",
    "api_mentions": f"/api/mentions?brand={BRANDS[2]}&label=positive",
    "api_overview": "/api/overview",
}


def time_pages(config, repeats: int) -> dict[str, dict[str, float]]:
    import httpx

    from listener.web.app import create_app

    app = create_app(config, clock=lambda: NOW)

    async def run() -> dict[str, dict[str, float]]:
        out = {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            first = (await client.get(f"/api/mentions?brand={BRANDS[0]}")).json()
            pages = dict(PAGES, mentions_page_2=f"/mentions?brand={BRANDS[0]}&cursor={first['next_cursor']}")
            for name, url in pages.items():
                response = await client.get(url)  # warm: the first request opens the thread's connection
                assert response.status_code == 200, (name, response.status_code, response.text[:300])
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    response = await client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                out[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
        return out
    return asyncio.run(run())


def bench_dashboard(mentions: int = 1_000_000, repeats: int = 5) -> list[dict]:
    big = Path(os.environ.get("LISTENER_BENCH_DB", f"/tmp/listener-bench-{mentions // 1000}k.db"))
    seeded_at = time.perf_counter()
    if not big.exists():
        build_store(big, mentions)
    seed_seconds = round(time.perf_counter() - seeded_at, 1)
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.db"
        build_store(small, 10_000)
        timed_big = time_pages(_config(Path(tmp), big), repeats)
        timed_small = time_pages(_config(Path(tmp), small), repeats)
    load = os.getloadavg()[0]
    rows = []
    for name, figures in timed_big.items():
        base = timed_small[name]["median_ms"]
        rows.append({"bench": "dashboard", "page": name, "mentions": mentions, **figures,
                     "baseline_10k_median_ms": base, "ratio_vs_10k": round(figures["median_ms"] / max(base, 0.1), 2),
                     "budget_ms": BUDGET_MS, "ratio_vs_budget": round(figures["max_ms"] / BUDGET_MS, 2),
                     "ok": figures["max_ms"] < BUDGET_MS, "load_1m": round(load, 2), "seed_s": seed_seconds})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for row in bench_dashboard(args.mentions, args.repeats):
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
