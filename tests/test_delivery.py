"""The outbox and the generic webhook against a real local receiver: signed, retried, never doubled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.types import Notification
from listener.config import load_config
from listener.delivery import deliver_due
from listener.store import Store

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def config_for(write_config, url: str, secret_env: str = "HOOK_SECRET"):
    return load_config(write_config(f"""
        [store]
        path = "l.db"
        [[brands]]
        name = "栖云乳业"
        [[channels]]
        name = "pr-team"
        type = "webhook"
        url = "{url}"
        secret = "${{{secret_env}}}"
    """))


def test_retry_after_503_delivers_once_with_the_same_delivery_id(write_config, webhook, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "test-secret")
    config = config_for(write_config, f"{webhook.url}/hook")
    store = Store(config.store_path)
    webhook.failures_left = 1
    notification = Notification(delivery_id="d-1", channel="pr-team", event="incident.opened",
                                payload={"event": "incident.opened", "brand": "栖云乳业", "text": "<script>x</script>"},
                                created_at=NOW)
    with store.transaction() as conn:
        store.enqueue(notification, conn)
    first = deliver_due(store, config, NOW)
    assert (first.sent, first.retrying) == (0, 1)
    assert deliver_due(store, config, NOW + timedelta(seconds=5)).sent == 0  # not due yet: back-off
    second = deliver_due(store, config, NOW + timedelta(minutes=2))
    assert second.sent == 1
    assert deliver_due(store, config, NOW + timedelta(hours=1)).sent == 0  # sent rows are never sent again
    assert len(webhook.received) == 1 and webhook.rejected == 0
    headers = webhook.received[0]["headers"]
    assert headers["X-Listener-Delivery"] == "d-1"
    assert headers["X-Listener-Event"] == "incident.opened"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert webhook.received[0]["payload"]["text"] == "<script>x</script>"  # JSON carries text, receivers escape
    attempts = store.conn.execute("SELECT ok FROM deliveries WHERE delivery_id = 'd-1' ORDER BY id").fetchall()
    assert [a[0] for a in attempts] == [0, 1]


def test_wrong_secret_is_rejected_by_the_receiver(write_config, webhook, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "not-the-secret")
    config = config_for(write_config, f"{webhook.url}/hook")
    store = Store(config.store_path)
    with store.transaction() as conn:
        store.enqueue(Notification(delivery_id="d-2", channel="pr-team", event="test", payload={"event": "test"},
                                   created_at=NOW), conn)
    report = deliver_due(store, config, NOW)
    assert report.sent == 0 and webhook.rejected == 1
    assert store.outbox_rows()[0]["status"] == "failed"  # 401 is not worth retrying


def test_unreachable_channel_keeps_the_notification_until_max_age(write_config, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "x")
    config = config_for(write_config, "http://127.0.0.1:9/hook")  # nothing listens on the discard port
    store = Store(config.store_path)
    with store.transaction() as conn:
        store.enqueue(Notification(delivery_id="d-3", channel="pr-team", event="test", payload={"event": "test"},
                                   created_at=NOW), conn)
    assert deliver_due(store, config, NOW).retrying == 1
    assert store.outbox_rows()[0]["status"] == "pending"
    late = deliver_due(store, config, NOW + timedelta(days=2))
    assert late.failed == 1 and store.outbox_rows()[0]["status"] == "failed"
    assert "ConnectError" in store.outbox_rows()[0]["last_error"]
