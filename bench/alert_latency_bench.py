"""Alert latency: from a post appearing in a local feed polled every 10 s to the webhook receiving the alert.

A real `listener run` daemon process watches one local RSS feed per brand (interval 10 s). Each brand has
five days of ordinary history (the demo's sample posts, renamed per brand); in trial i the crisis posts of
brand i appear in its feed at a random moment, and we time until the signed webhook receiver gets that
brand's `incident.opened`. Baseline, measured in the same run: the time until the first crisis post is
stored (the poll wait plus fetch and analysis), so the ratio shows what detection and delivery add.
Target: p95 <= 20 s.

Run: `.venv/bin/python bench/alert_latency_bench.py [--trials 10]` (also part of `bench/run.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from listener.demo import feeds  # noqa: E402
from listener.demo.samples import SamplePost, load_sample_data, schedule  # noqa: E402
from listener.demo.servers import WebhookReceiver, feed_server  # noqa: E402

NAMES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"
SECRET = "bench-secret"
FEED_WINDOW = 20


def rename(text: str, mark: str) -> str:
    return text.replace("栖云", f"{mark}云").replace("棲雲", f"{mark}云")


def brand_posts(posts: list[SamplePost], mark: str, i: int) -> list[SamplePost]:
    return [SamplePost(key=f"{i}-{p.key}", channel=p.channel, phase=p.phase, title=rename(p.title or "", mark) or None,
                       text=rename(p.text, mark), author=p.author, metrics=p.metrics, expected=p.expected,
                       published_at=p.published_at) for p in posts if p.phase in ("baseline", "noise", "crisis")]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(trials: int, seed: int = 11) -> dict:
    rng = random.Random(seed)
    data = load_sample_data()
    now = datetime.now(UTC)
    history_end = now - timedelta(hours=2)
    base = schedule(data, now)
    released: dict[int, datetime] = {}
    trimmed = threading.Event()
    lock = threading.Lock()
    brands = []
    routes = {}
    for i in range(trials):
        mark = NAMES[i]
        posts = brand_posts(base, mark, i)
        brands.append((f"{mark}云乳业", [f"{mark}云牛奶", f"{mark}云纯牛奶", f"{mark}云酸奶", f"{mark}云有机奶"]))

        def body(i: int = i, posts: list[SamplePost] = posts) -> tuple[bytes, str]:
            with lock:
                at = released.get(i)
            shown = [p for p in posts if p.phase != "crisis" and p.published_at <= history_end]
            if trimmed.is_set():  # after the backfill, a feed shows its latest items only, as RSSHub routes do
                shown = shown[-FEED_WINDOW:]
            if at is not None:  # the wave: every crisis post, published in the last two minutes
                shown += [SamplePost(**{**p.__dict__, "published_at": at - timedelta(seconds=rng.randint(0, 120))})
                          for p in posts if p.phase == "crisis"]
            return feeds.rss(shown, title=f"feed {i}", link=feeds.BASE), "application/rss+xml; charset=utf-8"
        routes[f"/feed/{i}"] = body

    work = Path(tempfile.mkdtemp(prefix="listener-latency-"))
    with feed_server(routes) as server, WebhookReceiver(secret=SECRET) as hook:
        brand_tables = "".join(f'\n[[brands]]\nname = "{n}"\naliases = {json.dumps(a, ensure_ascii=False)}\n'
                               for n, a in brands)
        feed_tables = "".join(f'\n[[feeds]]\nname = "feed-{i}"\nurl = "{server.url}/feed/{i}"\ninterval = "10s"\n'
                              for i in range(trials))
        config = work / "listener.toml"
        config.write_text(f"""
[store]
path = "latency.db"
[logging]
level = "warning"
[detector]
bucket = "10m"
min_count = 3
warmup = "1d"
[[channels]]
name = "pr-team"
type = "webhook"
url = "{hook.url}/hook"
secret = "${{BENCH_SECRET}}"
{brand_tables}{feed_tables}""", encoding="utf-8")
        env = {**os.environ, "BENCH_SECRET": SECRET}
        with open(work / "daemon.log", "w", encoding="utf-8") as log:
            daemon = subprocess.Popen([sys.executable, "-m", "listener", "run", "--config", str(config)],
                                      stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=work)
            db = work / "latency.db"
            try:
                wait(lambda: count(db, "SELECT count(DISTINCT feed) FROM mentions") >= trials, 180, "history")
                wait(lambda: count(db, "SELECT count(*) FROM detector_cursors") >= trials, 120, "first detection")
                trimmed.set()
                time.sleep(12)  # one more poll of every feed at its normal size
                alert_s, ingest_s = [], []
                for i in range(trials):
                    time.sleep(rng.uniform(0, 10))  # a random phase against the 10 s poll
                    t0 = datetime.now(UTC)
                    with lock:
                        released[i] = t0
                    brand = brands[i][0]
                    since = int(t0.timestamp()) - 130  # history ends two hours back: only the wave is this recent
                    stored = wait(lambda i=i, since=since: count(
                        db, f"SELECT count(*) FROM mentions WHERE feed = 'feed-{i}' AND published_ts >= {since}") > 0,
                        60, "ingest")
                    ingest_s.append((stored - t0).total_seconds())
                    wait(lambda brand=brand: any(r["payload"].get("brand") == brand and
                                                       r["payload"].get("event") == "incident.opened"
                                                       for r in list(hook.received)), 90, f"alert for {brand}")
                    arrival = next(r["received_at"] for r in hook.received if r["payload"].get("brand") == brand)
                    alert_s.append((arrival - t0).total_seconds())
            finally:
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(timeout=60)
        assert hook.rejected == 0 and hook.duplicates == 0
    p95, base95 = percentile(alert_s, 0.95), percentile(ingest_s, 0.95)
    return {"trials": trials, "poll_interval_s": 10,
            "alert_p50_s": round(percentile(alert_s, 0.5), 2), "alert_p95_s": round(p95, 2),
            "alert_max_s": round(max(alert_s), 2), "baseline_ingest_p95_s": round(base95, 2),
            "ratio_alert_vs_ingest": round(p95 / base95, 2) if base95 else None, "target_p95_s": 20,
            "meets_target": p95 <= 20, "load_avg_1m": round(os.getloadavg()[0], 2)}


def count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def wait(predicate, timeout: float, what: str) -> datetime:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return datetime.now(UTC)
        time.sleep(0.1)
    raise SystemExit(f"alert latency bench: timed out waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps({"bench": "alert_latency", **run(min(args.trials, len(NAMES)))}, ensure_ascii=False))


if __name__ == "__main__":
    main()
