"""The live detection job over many brands: today's replay of 7 days per run against persisted state.

A store with N brands x D days of mentions (sizes vary by brand, log-normal; a daily rhythm), then:
- replay: the job as it was (per brand, `bucket_counts` over `detector.baseline` + `evaluate_brand` from a
  fresh detector, the cursor committed), the baseline, measured in the same run;
- persisted, first run: `listener.detection.detect` with no stored state (each brand rebuilds once);
- persisted, steady: `detect` once a minute afterwards, with a few new posts arriving between runs.
Both read the same store; the ratio is replay seconds / steady seconds per run.

Run: `.venv/bin/python bench/detection_state_bench.py [--brands 1000] [--days 7] [--runs 5]`
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.evaluate import evaluate_brand
from listener.config import load_config
from listener.detection import detect
from listener.store import Store
from listener.store.codec import ts

NOW = datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC)  # a Monday noon; the history runs up to it


def brand_name(i: int) -> str:
    return f"品牌{i:05d}"


def fill(store: Store, brands: int, days: int, rng: random.Random) -> int:
    """Mentions written straight into the schema (the bench is about detection, not saving)."""
    start = NOW - timedelta(days=days)
    rows, links, n = [], [], 0
    for b in range(brands):
        size = math.exp(rng.gauss(-1.5, 1.0))  # median 0.22 posts a bucket; a few brands far busier
        for i in range(days * 144):
            at = start + timedelta(minutes=10 * i)
            hour = at.hour + at.minute / 60
            rate = size * (0.3 + 1.4 * max(0.0, math.sin(math.pi * (hour - 6) / 18)) ** 2)
            k = min(50, int(rng.expovariate(1.0 / rate))) if rate > 0.01 else 0
            for _ in range(k):
                n += 1
                when = at + timedelta(seconds=rng.randrange(600))
                label = "negative" if rng.random() < 0.3 else "neutral"
                mid = f"m{n}"
                rows.append((mid, "weibo", ts(when), int(when.timestamp()), ts(when), label, "", f"{mid} 文本", 0,
                             rng.getrandbits(63) if rng.random() < 0.5 else 0))
                links.append((mid, brand_name(b), "[]", int(when.timestamp()), label, 0))
        if len(rows) > 50_000 or b == brands - 1:
            with store.transaction() as conn:
                conn.executemany("INSERT INTO mentions (mention_id, feed, published_at, published_ts, fetched_at,"
                                 " label, title, text, reach, simhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                conn.executemany("INSERT INTO mention_brands (mention_id, brand, spans, published_ts, label,"
                                 " official) VALUES (?, ?, ?, ?, ?, ?)", links)
            rows, links = [], []
    return n


def replay_job(store: Store, config, now: datetime) -> None:
    """The detection job before persisted state (listener/detection.py at the previous commit), minus alerts."""
    for spec in config.brands:
        first = store.first_mention_at(spec.name)
        if first is None:
            continue
        start = max(first, now - timedelta(seconds=config.detector.baseline_seconds))
        buckets = store.bucket_counts(spec.name, since=start, until=now, bucket_seconds=config.detector.bucket_seconds)
        evaluation = evaluate_brand(spec.name, buckets, incident=store.active_incident(spec.name),
                                    cursor=store.detector_cursor(spec.name), now=now, detector=config.detector,
                                    settings=config.incidents)
        with store.transaction() as conn:
            store.save_detector_cursor(spec.name, evaluation.cursor, now, conn)


def arrivals(store: Store, brands: int, now: datetime, rng: random.Random, count: int) -> None:
    """A minute's new posts: `count` posts spread over random brands, published in the last minute."""
    rows, links = [], []
    for k in range(count):
        mid = f"new-{now.timestamp():.0f}-{k}"
        when = now - timedelta(seconds=rng.randrange(60))
        rows.append((mid, "weibo", ts(when), int(when.timestamp()), ts(when), "negative", "", f"{mid} 新帖", 0, 0))
        links.append((mid, brand_name(rng.randrange(brands)), "[]", int(when.timestamp()), "negative", 0))
    with store.transaction() as conn:
        conn.executemany("INSERT INTO mentions (mention_id, feed, published_at, published_ts, fetched_at, label,"
                         " title, text, reach, simhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO mention_brands (mention_id, brand, spans, published_ts, label, official)"
                         " VALUES (?, ?, ?, ?, ?, ?)", links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--replay-sample", type=int, default=0,
                        help="time the replay on this many brands only and scale (0: all brands)")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        brands_toml = "".join(f'[[brands]]\nname = "{brand_name(i)}"\n' for i in range(args.brands))
        (Path(tmp) / "listener.toml").write_text(f'[store]\npath = "bench.db"\n{brands_toml}', encoding="utf-8")
        config = load_config(Path(tmp) / "listener.toml")
        store = Store(db)
        started = time.perf_counter()
        mentions = fill(store, args.brands, args.days, rng)
        fill_s = time.perf_counter() - started

        sample = args.replay_sample or args.brands
        replay_config = config if sample == args.brands else _subset(config, sample)
        started = time.perf_counter()
        replay_job(store, replay_config, NOW)
        replay_s = (time.perf_counter() - started) * args.brands / sample

        started = time.perf_counter()
        detect(store, config, {}, NOW)
        rebuild_s = time.perf_counter() - started

        steady = []
        for k in range(1, args.runs + 1):
            now = NOW + timedelta(minutes=k)
            arrivals(store, args.brands, now, rng, count=max(1, args.brands // 10))
            started = time.perf_counter()
            detect(store, config, {}, now)
            steady.append(time.perf_counter() - started)
        store.close()
        size_mb = os.path.getsize(db) / 1e6
    steady_s = sorted(steady)[len(steady) // 2]
    print(json.dumps({
        "brands": args.brands, "days": args.days, "mentions": mentions, "db_mb": round(size_mb, 1),
        "fill_s": round(fill_s, 1), "replay_s_per_run": round(replay_s, 2),
        "replay_ms_per_brand": round(1000 * replay_s / args.brands, 2),
        "replay_sampled_brands": sample,
        "persisted_first_run_s": round(rebuild_s, 2), "persisted_steady_s_per_run": round(steady_s, 3),
        "persisted_ms_per_brand": round(1000 * steady_s / args.brands, 3),
        "ratio_replay_vs_persisted": round(replay_s / steady_s, 1),
        "load_average": os.getloadavg()[0],
    }, ensure_ascii=False))


def _subset(config, count: int):
    from dataclasses import replace

    return replace(config, brands=config.brands[:count])


if __name__ == "__main__":
    main()
