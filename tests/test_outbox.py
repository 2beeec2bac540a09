"""Outbox guarantees: back-off, maximum age (failed and reported), quiet hours, rate limits, and exactly-once
delivery across SIGKILL of the daemon process."""

from __future__ import annotations

import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.types import Notification
from listener.channel_config import DeliverySettings
from listener.config import load_config
from listener.delivery import deliver_due, quiet_until, retry_delay
from listener.demo.servers import WebhookReceiver
from listener.store import Store
from tests.alert_samples import NOW, hostile_payload
from tests.test_daemon import RSS, Daemon

SHANGHAI_NIGHT = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 in Asia/Shanghai


def two_channels(write_config, url: str, extra: str = "") -> object:
    return load_config(write_config(f"""
        [store]
        path = "l.db"
        [delivery]
        first_retry = "10s"
        max_retry = "5m"
        max_age = "1h"
        [[brands]]
        name = "栖云乳业"
        [[channels]]
        name = "down"
        type = "webhook"
        url = "http://127.0.0.1:9/hook"
        [[channels]]
        name = "up"
        type = "webhook"
        url = "{url}"
        {extra}
    """))


def enqueue(store: Store, delivery_id: str, channel: str, payload: dict, created_at: datetime = NOW) -> None:
    with store.transaction() as conn:
        store.enqueue(Notification(delivery_id=delivery_id, channel=channel, event=payload["event"], payload=payload,
                                   incident_id=payload.get("incident_id"), created_at=created_at), conn)


def test_retry_delay_doubles_up_to_the_maximum() -> None:
    s = DeliverySettings(first_retry_seconds=10, max_retry_seconds=60, max_age_seconds=3600)
    assert [retry_delay(n, s).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]


def test_max_age_marks_failed_and_reports_to_the_other_channels(write_config) -> None:
    with WebhookReceiver() as hook:
        config = two_channels(write_config, f"{hook.url}/hook")
        store = Store(config.store_path)
        enqueue(store, "a-1", "down", hostile_payload())
        at, reports = NOW, []
        while at < NOW + timedelta(hours=2):
            reports.append(deliver_due(store, config, at))
            at += timedelta(minutes=5)
        row = next(r for r in store.outbox_rows() if r["delivery_id"] == "a-1")
        assert row["status"] == "failed" and "ConnectError" in row["last_error"]
        attempts = row["attempts"]
        assert 5 <= attempts <= 14  # retried with back-off, not every round forever
        assert sum(r.failed for r in reports) == 1
        assert len(hook.received) == 1
        notice = hook.received[0]
        assert notice["headers"]["X-Listener-Event"] == "delivery.failed"
        assert notice["payload"]["channel"] == "down" and notice["payload"]["incident_id"] == "inc-1"


def test_quiet_hours_hold_warnings_but_not_critical(write_config) -> None:
    with WebhookReceiver() as hook:
        config = two_channels(write_config, f"{hook.url}/hook", 'quiet_hours = "23:00-07:30"')
        store = Store(config.store_path)
        enqueue(store, "q-warn", "up", hostile_payload(severity="warning"), SHANGHAI_NIGHT)
        enqueue(store, "q-crit", "up", hostile_payload(severity="critical"), SHANGHAI_NIGHT)
        report = deliver_due(store, config, SHANGHAI_NIGHT)
        assert (report.sent, report.deferred) == (1, 1)
        assert [r["headers"]["X-Listener-Delivery"] for r in hook.received] == ["q-crit"]
        held = next(r for r in store.outbox_rows() if r["delivery_id"] == "q-warn")
        assert held["status"] == "pending" and held["attempts"] == 0
        assert held["next_attempt_at"] == "2026-11-22T23:30:00Z"  # 07:30 Shanghai
        assert deliver_due(store, config, datetime(2026, 11, 22, 23, 30, tzinfo=UTC)).sent == 1
        failed_notice = {"event": "delivery.failed", "brand": "栖云乳业", "severity": "critical", "channel": "down"}
        enqueue(store, "q-fail", "up", failed_notice, SHANGHAI_NIGHT)
        assert deliver_due(store, config, SHANGHAI_NIGHT).sent == 1  # a lost critical alert is news at night too


def test_quiet_window_wraps_midnight() -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    window = ((23, 0), (7, 30))
    assert quiet_until(datetime(2026, 11, 22, 14, 59, tzinfo=UTC), window, tz) is None  # 22:59
    assert quiet_until(datetime(2026, 11, 22, 18, 0, tzinfo=UTC), window, tz) == datetime(2026, 11, 23, 7, 30,
                                                                                            tzinfo=tz)
    assert quiet_until(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), window, tz) is None  # 07:30 sharp


def test_rate_limit_spreads_a_burst_without_dropping(write_config) -> None:
    with WebhookReceiver() as hook:
        config = two_channels(write_config, f"{hook.url}/hook", "rate_limit = 3")
        store = Store(config.store_path)
        for i in range(7):
            enqueue(store, f"r-{i}", "up", {"event": "incident.opened", "brand": "栖云乳业", "severity": "warning"})
        first = deliver_due(store, config, NOW)
        assert (first.sent, first.deferred) == (3, 4)
        assert deliver_due(store, config, NOW + timedelta(seconds=30)).sent == 0  # still within the minute
        assert deliver_due(store, config, NOW + timedelta(seconds=61)).sent == 3
        assert deliver_due(store, config, NOW + timedelta(seconds=122)).sent == 1
        ids = [r["headers"]["X-Listener-Delivery"] for r in hook.received]
        assert sorted(ids) == [f"r-{i}" for i in range(7)] and hook.duplicates == 0


class SlowReceiver(WebhookReceiver):
    """Holds the first request of every delivery for `hold` seconds (the daemon is killed meanwhile)."""

    def __init__(self, secret: str, hold: float):
        super().__init__(secret=secret)
        self.hold, self.arrivals = hold, []
        self._held: set[str] = set()

    def accept(self, headers: dict[str, str], body: bytes) -> int:
        delivery = headers.get("X-Listener-Delivery", "")
        self.arrivals.append(delivery)
        if self.hold and delivery not in self._held:
            self._held.add(delivery)
            time.sleep(self.hold)
        return super().accept(headers, body)


def wait_until(predicate, timeout: float, what: str, log: Daemon) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{log.stderr()[-3000:]}")


def outbox_status(db: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(db) as conn:
            return dict(conn.execute("SELECT delivery_id, status FROM outbox").fetchall())
    except sqlite3.OperationalError:
        return {}


def attempts(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM deliveries").fetchone()[0]


def test_sigkill_with_undelivered_alerts_then_restart_delivers_each_exactly_once(write_config, feeds, tmp_path,
                                                                                monkeypatch) -> None:
    server, routes = feeds
    routes.serve("/weibo", RSS)
    monkeypatch.setenv("HOOK_SECRET", "kill-secret")
    hook = SlowReceiver(secret="kill-secret", hold=0)
    hook.failures_left = 10**6  # the channel is down while the first daemon runs
    with hook:
        config_path = write_config(f"""
            [store]
            path = "kill.db"
            [logging]
            level = "info"
            [delivery]
            first_retry = "1s"
            [[brands]]
            name = "栖云乳业"
            [[feeds]]
            name = "weibo"
            url = "{server.url}/weibo"
            interval = "1h"
            [[channels]]
            name = "pr-team"
            type = "webhook"
            url = "{hook.url}/hook"
            secret = "${{HOOK_SECRET}}"
        """)
        config = load_config(config_path)
        db = config.store_path
        store = Store(db)
        ids = [f"kill-{i}" for i in range(5)]
        for i, delivery_id in enumerate(ids):
            enqueue(store, delivery_id, "pr-team", hostile_payload(), datetime.now(UTC) - timedelta(seconds=i))
        store.close()

        # 1. The channel is down: the daemon tries, fails, keeps the rows pending; then it is killed.
        first = Daemon(config_path, tmp_path / "first.log")
        try:
            wait_until(lambda: attempts(db) >= len(ids), 90, "failed attempts", first)
            assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        finally:
            first.cleanup()
        assert set(outbox_status(db).values()) == {"pending"} and hook.received == []

        # 2. The channel is back but slow: the second daemon is killed while its first send is in flight.
        hook.failures_left, hook.hold = 0, 4.0
        second = Daemon(config_path, tmp_path / "second.log")
        try:
            wait_until(lambda: len(hook.arrivals) >= 1, 60, "a send in flight", second)
            assert second.stop(signal.SIGKILL) == -signal.SIGKILL
        finally:
            second.cleanup()
        time.sleep(hook.hold + 0.5)  # the held request completes on the receiver's side

        # 3. Restart: every alert arrives; the one in flight at the kill is re-sent with the same delivery id.
        hook.hold = 0
        third = Daemon(config_path, tmp_path / "third.log")
        try:
            wait_until(lambda: set(outbox_status(db).values()) == {"sent"}, 90, "all sent", third)
            assert third.stop() == 0
        finally:
            third.cleanup()
    received = [r["headers"]["X-Listener-Delivery"] for r in hook.received]
    assert sorted(received) == sorted(ids)  # each alert once, as a receiver that dedupes on the id sees it
    assert hook.rejected == 0 and hook.duplicates <= 1  # at most the one request cut by the kill came twice
    assert all(r["payload"]["brand"] == "栖云乳业" for r in hook.received)


def test_routing_by_brand_severity_and_event(write_config) -> None:
    from listener.routing import channels_for

    config = load_config(write_config("""
        [[brands]]
        name = "栖云乳业"
        [[brands]]
        name = "青禾食品"
        [[channels]]
        name = "all-warnings"
        type = "webhook"
        url = "http://127.0.0.1:9/a"
        [[channels]]
        name = "qiyun-exec"
        type = "slack"
        url = "http://127.0.0.1:9/b"
        brands = ["栖云乳业"]
        min_severity = "critical"
        [[channels]]
        name = "ops"
        type = "wecom"
        url = "http://127.0.0.1:9/c"
        events = ["feed.unhealthy", "feed.recovered"]
    """))

    def names(event: str, brand: str | None = None, severity: str | None = None) -> list[str]:
        return [c.name for c in channels_for(config, event, brand=brand, severity=severity)]

    assert names("incident.opened", "栖云乳业", "warning") == ["all-warnings"]
    assert names("incident.opened", "栖云乳业", "critical") == ["all-warnings", "qiyun-exec"]
    assert names("incident.escalated", "青禾食品", "critical") == ["all-warnings"]
    assert names("feed.unhealthy") == ["all-warnings", "ops"]
    assert names("digest", "栖云乳业") == []  # nobody subscribed to the digest
