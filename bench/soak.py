"""Soak: the real daemon against a local server of many feeds for minutes; memory, CPU and schedule keeping.

Full size (about 11 minutes): `.venv/bin/python bench/soak.py --feeds 500 --minutes 10`
(`--interval 60` is the default). `make test` runs a reduced one (tests/test_soak.py).

Every feed gains one new post per interval, so each round does real work: fetch, parse, analyse the new
post, store it. The server records every request, which is how missed and overlapping runs are counted
from the outside:
- missed: a gap between two fetches of one feed longer than 1.5 intervals plus the scheduler's jitter,
  or a feed fetched fewer times than the run's length allows;
- overlapping: a fetch of a feed arriving while the previous fetch of the same feed is still being served.
RSS is the daemon's resident memory (/proc/PID/status VmRSS): "warm" after its first round (the
baseline, measured in the same run), "end" at the end; CPU is user+system seconds over wall seconds.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = 5  # posts per feed document


class _Server(ThreadingHTTPServer):
    """listen() takes the backlog at bind time: 500 feeds connect at once, the default of 5 drops them."""

    request_queue_size = 1024
    daemon_threads = True


class FeedFarm:
    """N feeds on one local server; feed i's window of posts moves on by one post per interval."""

    def __init__(self, feeds: int, interval: float):
        self.feeds, self.interval, self.started = feeds, interval, time.monotonic()
        self.fetches: dict[int, list[float]] = {i: [] for i in range(feeds)}
        self.in_flight: dict[int, int] = {}
        self.overlaps = 0
        self._lock = threading.Lock()
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                farm.serve(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def document(self, feed: int, now: float) -> bytes:
        step = int((now - self.started) // self.interval)
        items = "".join(
            f"<item><title>栖云牛奶 第{n}条</title><guid>s{feed}-{n}</guid>"
            f"<link>https://soak.example/{feed}/{n}</link><description>栖云牛奶 第{n}条 来自{feed}号源，"
            f"{'包装漏了很失望' if n % 3 else '味道不错'}</description></item>"
            for n in range(step, step + PAGE))
        return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>s{feed}</title>{items}' \
               f"</channel></rss>".encode()

    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        try:
            feed = int(handler.path.strip("/").split("?")[0][1:])
        except ValueError:
            handler.send_error(404)
            return
        now = time.monotonic()
        with self._lock:
            if self.in_flight.get(feed):
                self.overlaps += 1
            self.in_flight[feed] = self.in_flight.get(feed, 0) + 1
            self.fetches[feed].append(now - self.started)
        try:
            body = self.document(feed, now)
            handler.send_response(200)
            handler.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with self._lock:
                self.in_flight[feed] -= 1

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def proc_figures(pid: int) -> tuple[float, float]:
    """(resident MB, user+system CPU seconds) of a live process."""
    with open(f"/proc/{pid}/status") as handle:
        rss_kb = next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss_kb / 1024, (int(fields[11]) + int(fields[12])) / ticks


def schedule_figures(farm: FeedFarm, seconds: float, interval: float) -> dict[str, Any]:
    """Missed: any gap (from the start, between fetches, or to the end) longer than 1.5 intervals plus jitter."""
    jitter = min(30, max(1, int(interval) // 10))
    allowed_gap = 1.5 * interval + jitter
    missed, longest = 0, 0.0
    for times in farm.fetches.values():
        points = [0.0, *times, seconds]
        gaps = [b - a for a, b in itertools.pairwise(points)]
        missed += sum(1 for gap in gaps if gap > allowed_gap)
        longest = max(longest, *gaps)
    return {"fetches": sum(len(t) for t in farm.fetches.values()),
            "expected_fetches": int(farm.feeds * seconds // interval), "missed": missed,
            "overlapping": farm.overlaps, "max_gap_s": round(longest, 1), "allowed_gap_s": allowed_gap}


def soak(feeds: int, minutes: float, interval: float, workdir: Path | None = None) -> dict[str, Any]:
    """Run the daemon for `minutes` against `feeds` local feeds; returns the figures."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="listener-soak-"))
    farm = FeedFarm(feeds, interval)
    every = f"{int(interval)}s"
    config = workdir / "soak.toml"
    # All feeds are routes of one local server, as with a self-hosted RSSHub: its operator raises the per-host
    # limit for their own server (the default 4 is polite to third-party sites, too slow for 500 routes a minute).
    config.write_text('[store]\npath = "soak.db"\n[logging]\nlevel = "info"\n[collector]\nper_host = 32\n'
                      '[[brands]]\nname = "栖云乳业"\naliases = ["栖云牛奶"]\n'
                      + "".join(f'[[feeds]]\nname = "s{i}"\nurl = "{farm.url}/s{i}"\ninterval = "{every}"\n'
                                for i in range(feeds)), encoding="utf-8")
    log = workdir / "daemon.log"
    with open(log, "w", encoding="utf-8") as err:
        proc = subprocess.Popen([sys.executable, "-m", "listener", "run", "--config", str(config)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=err)
    samples: list[tuple[float, float, float]] = []
    try:
        while "listener running" not in log.read_text(encoding="utf-8", errors="replace"):
            if proc.poll() is not None:
                raise SystemExit(f"soak: the daemon exited at start-up:\n{log.read_text()}")
            time.sleep(0.2)
        farm.started = started = time.monotonic()
        farm.fetches = {i: [] for i in range(feeds)}
        end = started + minutes * 60
        while time.monotonic() < end:
            rss, cpu = proc_figures(proc.pid)
            samples.append((time.monotonic() - started, rss, cpu))
            time.sleep(min(5.0, max(0.5, interval / 4)))
        rss, cpu = proc_figures(proc.pid)
        samples.append((time.monotonic() - started, rss, cpu))
        wall = time.monotonic() - started
        figures = schedule_figures(farm, wall, interval)
        proc.send_signal(signal.SIGTERM)
        exit_status = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        farm.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    warm = next((s for s in samples if s[0] >= interval * 1.5), samples[len(samples) // 2])
    import sqlite3

    with sqlite3.connect(workdir / "soak.db") as conn:
        mentions = conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
        failing = conn.execute("SELECT count(*) FROM feeds WHERE consecutive_failures > 0").fetchone()[0]
    return {
        "bench": "soak", "feeds": feeds, "minutes": minutes, "interval_s": interval,
        "rss_start_mb": round(samples[0][1], 1), "rss_warm_mb": round(warm[1], 1),
        "rss_end_mb": round(samples[-1][1], 1),
        "rss_max_mb": round(max(s[1] for s in samples), 1),
        "rss_end_vs_warm_ratio": round(samples[-1][1] / warm[1], 3),
        "cpu_s": round(samples[-1][2] - samples[0][2], 1),
        "cpu_percent": round(100 * (samples[-1][2] - samples[0][2]) / wall, 1),
        **figures, "mentions": mentions, "feeds_failing_at_end": failing,
        "skipped_max_instances": text.count("maximum number of running instances reached"),
        "misfires_logged": text.count("was missed by"), "job_failures_logged": text.count("failed"),
        "exit_status": exit_status, "load_avg_1m": round(os.getloadavg()[0], 2), "workdir": str(workdir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=60, help="seconds between fetches of one feed (>= 10)")
    args = parser.parse_args()
    print(json.dumps(soak(args.feeds, args.minutes, args.interval), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
