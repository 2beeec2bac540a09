"""Every chat channel against a local receiver that checks the platform's format and signature as documented."""

from __future__ import annotations

import pytest

from alerts.channels import build_channel
from alerts.types import Notification
from listener.config import load_config
from listener.delivery import deliver_due
from listener.store import Store
from tests.alert_samples import NOW, hostile_payload
from tests.chat_receivers import ChatReceiver

PLATFORMS = ("dingtalk", "feishu", "wecom", "slack")
SIGNED = ("dingtalk", "feishu")


def config_for(write_config, platform: str, url: str, extra: str = ""):
    secret = 'secret = "${ROBOT_SECRET}"' if platform in SIGNED else ""
    return load_config(write_config(f"""
        [store]
        path = "l.db"
        [delivery]
        first_retry = "1s"
        [[brands]]
        name = "栖云乳业"
        [[channels]]
        name = "robot"
        type = "{platform}"
        url = "{url}"
        {secret}
        {extra}
    """))


def enqueue(store: Store, delivery_id: str, payload: dict) -> None:
    with store.transaction() as conn:
        store.enqueue(Notification(delivery_id=delivery_id, channel="robot", event=payload["event"],
                                   payload=payload, incident_id="inc-1", created_at=NOW), conn)


def text_of(platform: str, body: dict) -> str:
    """All human-visible text of a received message, as one string."""
    if platform in ("dingtalk", "wecom"):
        return body["markdown"].get("text") or body["markdown"]["content"]
    if platform == "slack":
        return "\n".join(b["text"]["text"] for b in body["blocks"] if "text" in b)
    post = body["content"]["post"]["zh_cn"]
    return post["title"] + "\n" + "\n".join(run.get("text", "") for line in post["content"] for run in line)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_alert_arrives_in_the_platform_format_signed(platform, write_config, monkeypatch) -> None:
    monkeypatch.setenv("ROBOT_SECRET", "SEC0123456789abcdef")
    with ChatReceiver(platform, secret="SEC0123456789abcdef") as robot:
        path = "/robot/send?access_token=tok" if platform == "dingtalk" else "/hook/abc"
        config = config_for(write_config, platform, robot.url + path)
        store = Store(config.store_path)
        enqueue(store, "d-1", hostile_payload())
        report = deliver_due(store, config, NOW)
        assert report.sent == 1, (robot.errors, store.outbox_rows())
        assert robot.errors == [] and len(robot.received) == 1
        text = text_of(platform, robot.received[0]["body"])
        for expected in ("栖云乳业", "负面声量突增", "严重", "42", "3.5", "住院", "产品安全"[:2], "1小时内"):
            assert expected in text, (expected, text[:500])
        assert "另有 1 条相同转发" in text  # the repost is folded into its original
        assert "首次回应模板" in text and "切忌" in text  # the playbook travels with the alert


@pytest.mark.parametrize("platform", SIGNED)
def test_wrong_secret_is_refused_and_not_retried(platform, write_config, monkeypatch) -> None:
    monkeypatch.setenv("ROBOT_SECRET", "not-the-secret")
    with ChatReceiver(platform, secret="SEC-right") as robot:
        config = config_for(write_config, platform, robot.url + "/robot/send?access_token=t")
        store = Store(config.store_path)
        enqueue(store, "d-2", hostile_payload())
        report = deliver_due(store, config, NOW)
        assert report.failed == 1 and robot.received == []
        assert any("mismatch" in e or "fail" in e for e in robot.errors)
        assert store.outbox_rows()[0]["status"] == "failed"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_receiver_failing_the_first_three_times_gets_exactly_one_message(platform, write_config,
                                                                          monkeypatch) -> None:
    monkeypatch.setenv("ROBOT_SECRET", "s3cret")
    with ChatReceiver(platform, secret="s3cret", fail_first=3) as robot:
        config = config_for(write_config, platform, robot.url + "/hook")
        store = Store(config.store_path)
        enqueue(store, "d-3", hostile_payload())
        at = NOW
        outcomes = []
        for _ in range(8):  # back-off 1s, 2s, 4s...: step the clock well past each retry
            outcomes.append(deliver_due(store, config, at))
            at = at.replace(minute=at.minute + 1)
        assert [o.retrying for o in outcomes[:3]] == [1, 1, 1]
        assert sum(o.sent for o in outcomes) == 1
        assert robot.requests == 4 and len(robot.received) == 1
        assert [r["ok"] for r in store.conn.execute("SELECT ok FROM deliveries ORDER BY id")] == [0, 0, 0, 1]


def test_dingtalk_at_mobiles_on_new_incident_only(write_config, monkeypatch) -> None:
    monkeypatch.setenv("ROBOT_SECRET", "s")
    with ChatReceiver("dingtalk", secret="s") as robot:
        config = config_for(write_config, "dingtalk", robot.url + "/robot/send?access_token=t",
                            'at_mobiles = ["13800000001"]')
        channel = build_channel(config.channels[0])
        opened = channel.body(Notification("x", "robot", "incident.opened", hostile_payload()))
        resolved = channel.body(Notification("y", "robot", "incident.resolved", hostile_payload("incident.resolved")))
        assert opened["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
        assert opened["markdown"]["text"].endswith("@13800000001")
        assert resolved["at"]["atMobiles"] == [] and "@13800000001" not in resolved["markdown"]["text"]


def test_wecom_message_stays_under_4096_bytes_with_long_posts(write_config) -> None:
    config = config_for(write_config, "wecom", "http://127.0.0.1:9/hook")
    payload = hostile_payload()
    payload["posts"] = [dict(payload["posts"][0], text="很长的投诉" * 200, title="标题" * 50) for _ in range(5)]
    body = build_channel(config.channels[0]).body(Notification("z", "robot", "incident.opened", payload))
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert "栖云乳业" in content and "代表性负面帖子" in content
