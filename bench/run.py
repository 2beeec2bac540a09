"""Foundation benchmarks: the demo's wall time, analysis throughput and store writes.

Each figure is printed with its baseline measured in the same run, and the ratio:
- analysis: listener's full Analyzer (normalise, brands, sentiment, keywords, signals, SimHash)
  against bare SnowNLP sentiment on the same texts (the engine it wraps);
- store: idempotent `save_mentions` against plain `executemany` inserts into the same schema;
- demo: `listener demo` wall time against its 60-second budget;
- statement: `check_statement` on a 2,000-character draft against its 100 ms budget (bench/statement_bench.py).

Run: `make bench` (or `.venv/bin/python bench/run.py`).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "sentiment"


def weibo_texts(limit: int) -> list[str]:
    with open(SHARED / "weibo_polar_dev.csv", encoding="utf-8") as handle:
        return [row["review"] for row, _ in zip(csv.DictReader(handle), range(limit), strict=False)]


def bench_analysis(texts: list[str]) -> dict:
    from snownlp import SnowNLP

    from analyzers import Analyzer, BrandSpec
    from collectors import RawItem

    analyzer = Analyzer([BrandSpec(name="微博", aliases=("我", "的"))])
    now = datetime.now(UTC)
    items = [RawItem(feed="b", item_id=str(i), url=None, title="", text=t, author=None, published_at=now,
                     fetched_at=now) for i, t in enumerate(texts)]
    started = time.perf_counter()
    for text in texts:
        _ = SnowNLP(text).sentiments
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    for item in items:
        analyzer.analyze(item, feed_brand="微博")
    ours = time.perf_counter() - started
    return {"texts": len(texts), "snownlp_texts_per_s": round(len(texts) / baseline, 1),
            "analyzer_texts_per_s": round(len(texts) / ours, 1), "ratio_vs_snownlp": round(baseline / ours, 2)}


def bench_store(count: int) -> dict:
    from analyzers import BrandMatch, Mention
    from listener.store import Store
    from listener.store.codec import mention_row

    now = datetime.now(UTC)
    template = Mention(mention_id="", feed="weibo", url="https://weibo.com/x", title="", text="栖云牛奶喝了拉肚子" * 5,
                       clean_text="栖云牛奶喝了拉肚子", author="网友", published_at=now, fetched_at=now,
                       brands=(BrandMatch("栖云乳业", ((0, 4),)),), sentiment=0.1, label="negative",
                       keywords=("拉肚子",))
    mentions = [replace(template, mention_id=f"m{i}", published_at=now - timedelta(seconds=i)) for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        baseline_store = Store(Path(tmp) / "base.db")
        rows = [mention_row(m) for m in mentions]
        columns = ", ".join(rows[0])
        started = time.perf_counter()
        with baseline_store.transaction() as conn:
            conn.executemany(f"INSERT INTO mentions ({columns}) VALUES ({', '.join('?' for _ in rows[0])})",
                             [list(r.values()) for r in rows])
        baseline = time.perf_counter() - started
        store = Store(Path(tmp) / "ours.db")
        started = time.perf_counter()
        store.save_mentions(mentions)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        again = store.save_mentions(mentions)
        repeat = time.perf_counter() - started
    return {"mentions": count, "executemany_per_s": round(count / baseline), "save_mentions_per_s": round(count / ours),
            "ratio_vs_executemany": round(baseline / ours, 2), "resave_per_s": round(count / repeat),
            "resave_new": len(again)}


def bench_demo() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "listener", "demo", "--quiet", "--workdir", tmp],
                                capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 1), "budget_s": 60, "ratio_vs_budget": round(seconds / 60, 2),
            "mentions": summary["mentions"], "incidents": summary["incidents"], "alerts_sent": summary["alerts_sent"]}


def bench_alert_latency() -> dict:
    """Post in a local feed polled every 10 s -> webhook receives the alert (see alert_latency_bench.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from alert_latency_bench import run

    return run(10)


def main() -> None:
    results = {
        "analysis": bench_analysis(weibo_texts(1000)),
        "store": bench_store(20_000),
        "demo": bench_demo(),
        "alert_latency": bench_alert_latency(),
    }
    sys.path.insert(0, str(ROOT / "bench"))
    from statement_bench import bench_statement

    results["statement"] = bench_statement()
    for name, figures in results.items():
        print(json.dumps({"bench": name, **figures}, ensure_ascii=False))
    import spikes_bench  # issue 5: NAB realTweets score of the spike detector

    spikes_bench.main([])
    import detector_bench  # issue 5: 10,000 brands x a year of 10-minute buckets (about 15 minutes)

    detector_bench.main([])
    from dashboard_bench import bench_dashboard  # bench/ is on sys.path when this file runs as a script

    for row in bench_dashboard():
        print(json.dumps(row, ensure_ascii=False))
    from sentiment_bench import main as sentiment_main  # the shipped model vs SnowNLP, held-out data

    sentiment_main()
    # collectors: 1,000 feeds x 50 items, one round through the real pipeline (bench/collect_bench.py)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from collect_bench import bench as bench_collect

    for line in bench_collect():
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if "--soak" in sys.argv[1:]:  # about 11 minutes: the daemon against 500 feeds at 1-minute intervals
        from soak import soak

        print(json.dumps(soak(500, 10, 60), ensure_ascii=False))


if __name__ == "__main__":
    main()
