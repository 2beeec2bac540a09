"""Operational health in one dict: `listener status` prints it, the dashboard serves it at `GET /healthz`.

It reads only what the daemon leaves behind (the jobs, feeds and outbox tables, the database files and
the daemon lock), so it answers the same whether the daemon is healthy, stuck, or gone.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from alerts.channels.redact import redact_url
from listener.config import Config
from listener.redaction import config_secrets, scrub_all
from listener.store import Store
from listener.store.codec import from_ts, ts

LOW_DISK_BYTES = 16 * 1024 * 1024  # below this much free space the next write may fail
DETECT_EVERY, DELIVER_EVERY, DIGEST_EVERY = 60, 15, 86_400  # the daemon's fixed job intervals (listener.daemon)
STALE_FACTOR, STALE_SLACK = 3, 60  # a job is stale when it has not run for 3 intervals plus a minute


def daemon_state(store_path: Path) -> dict[str, Any]:
    """Whether a daemon holds the database lock; a shared lock test that never blocks the daemon starting."""
    lock = Path(f"{store_path}.lock")
    if not lock.exists():
        return {"running": False, "pid": None}
    fd = os.open(lock, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip()
            return {"running": True, "pid": int(pid) if pid.isdigit() else None}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return {"running": False, "pid": None}
    finally:
        os.close(fd)


def job_interval(job: str, config: Config) -> int | None:
    if job.startswith("collect:"):
        name = job.split(":", 1)[1]
        return next((f.interval_seconds for f in config.feeds if f.name == name), None)
    return {"detect": DETECT_EVERY, "deliver": DELIVER_EVERY, "digest": DIGEST_EVERY}.get(job)


def _writable(path: Path) -> str | None:
    """None when a writer could take the database's write lock now, else why not (locked, read-only)."""
    try:
        conn = sqlite3.connect(str(path), timeout=1.0, isolation_level=None)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return None
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()


def database_state(path: Path) -> dict[str, Any]:
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    sizes = [f.stat().st_size if f.exists() else 0 for f in files]
    disk = os.statvfs(path.parent)
    return {"path": str(path), "bytes": sizes[0] + sizes[1], "main_bytes": sizes[0], "wal_bytes": sizes[1],
            "free_bytes": disk.f_bavail * disk.f_frsize, "write_error": _writable(path)}


def _jobs(store: Store, config: Config, now: datetime, running: bool) -> list[dict[str, Any]]:
    out = []
    for row in store.job_rows():
        last = from_ts(row["last_run_at"])
        age = round((now - last).total_seconds(), 1) if last else None
        interval = job_interval(row["job"], config)
        stale = bool(running and interval and age is not None and age > STALE_FACTOR * interval + STALE_SLACK)
        out.append({"job": row["job"], "last_run_at": row["last_run_at"], "ok": bool(row["last_ok"]),
                    "error": row["last_error"], "seconds": row["seconds"], "age_seconds": age,
                    "interval_seconds": interval, "stale": stale, "runs": row.get("runs") or 0,
                    "failures": row.get("failures") or 0,
                    "consecutive_failures": row.get("consecutive_failures") or 0,
                    "last_failure_at": row.get("last_failure_at"), "last_failure": row.get("last_failure")})
    return out


def _feeds(store: Store, config: Config) -> dict[str, Any]:
    rows = {r["feed"]: r for r in store.feed_rows()}
    failing = [{"feed": name, "url": redact_url(r["url"]) if r["url"] else r["url"],
                "consecutive_failures": r["consecutive_failures"],
                "last_error": r["last_error"], "last_error_at": r["last_error_at"],
                "last_success_at": r["last_success_at"], "next_attempt_at": r["next_attempt_at"]}
               for name, r in sorted(rows.items())
               if (r["consecutive_failures"] or 0) > 0 and any(f.name == name for f in config.feeds)]
    never = [f.name for f in config.feeds if f.name not in rows]
    return {"configured": len(config.feeds), "failing": failing, "never_collected": never}


def _outbox(store: Store, now: datetime) -> dict[str, Any]:
    counts = store.outbox_counts()
    oldest = store.conn.execute(
        "SELECT delivery_id, channel, event, attempts, last_error, created_at, next_attempt_at FROM outbox"
        " WHERE status = 'pending' ORDER BY created_at LIMIT 1").fetchone()
    pending = None
    if oldest:
        created = from_ts(oldest["created_at"])
        pending = {**dict(oldest), "age_seconds": round((now - created).total_seconds(), 1) if created else None}
    return {"pending": counts.get("pending", 0), "sent": counts.get("sent", 0), "failed": counts.get("failed", 0),
            "oldest_pending": pending}


def _problems(report: dict[str, Any]) -> list[str]:
    problems = []
    database = report["database"]
    if database["write_error"]:
        problems.append(f"store: database not writable: {database['write_error']}")
    if database["free_bytes"] < LOW_DISK_BYTES:
        problems.append(f"store: only {database['free_bytes']} bytes free on the database's disk")
    if not report["daemon"]["running"] and report["jobs"]:
        problems.append("daemon: not running")
    for job in report["jobs"]:
        if job["stale"]:
            problems.append(f"job {job['job']}: has not run for {job['age_seconds']:.0f}s")
        elif not job["ok"]:
            problems.append(f"job {job['job']}: failed {job['consecutive_failures']}x: {job['error']}")
    for feed in report["feeds"]["failing"]:
        problems.append(f"feed {feed['feed']}: failed {feed['consecutive_failures']}x: {feed['last_error']}")
    outbox = report["outbox"]
    if outbox["failed"]:
        problems.append(f"outbox: {outbox['failed']} notifications failed for good")
    oldest = outbox["oldest_pending"]
    if oldest and (oldest["age_seconds"] or 0) > 5 * 60:
        problems.append(f"outbox: {outbox['pending']} pending, the oldest for {oldest['age_seconds']:.0f}s"
                        f" ({oldest['last_error'] or 'not tried yet'})")
    return problems


def status_report(config: Config, now: datetime, store: Store | None = None) -> dict[str, Any]:
    """Everything an operator (or a load balancer) asks first; `ok` is False when anything needs a look."""
    own = store is None
    store = store or Store(config.store_path)
    try:
        daemon = daemon_state(config.store_path)
        report: dict[str, Any] = {
            "checked_at": ts(now),
            "daemon": daemon,
            "jobs": _jobs(store, config, now, daemon["running"]),
            "feeds": _feeds(store, config),
            "outbox": _outbox(store, now),
            "database": {**database_state(Path(config.store_path)), "mentions": store.count_mentions()},
            # Silenced brands are not a problem, but an operator wondering "why no alert?" looks here first.
            "silences": [{"brand": r["brand"], "until": r["until"], "reason": r["reason"]}
                         for r in store.silences() if r["until"] > ts(now)],
        }
    finally:
        if own:
            store.close()
    report["problems"] = _problems(report)
    report["ok"] = not report["problems"]
    # Job and feed errors come from libraries that may quote a URL: the report never carries a credential.
    return scrub_all({"ok": report.pop("ok"), **report}, config_secrets(config))
