"""`listener test-channel` through a signed DingTalk robot, and `listener outbox` reporting a failed delivery."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from alerts.types import Notification
from listener.config import load_config
from listener.delivery import deliver_due
from listener.demo.servers import WebhookReceiver
from listener.store import Store
from tests.alert_samples import NOW
from tests.chat_receivers import ChatReceiver


def listener(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "listener", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_test_channel_and_outbox_commands(write_config) -> None:
    with ChatReceiver("dingtalk", secret="SECabc") as robot, WebhookReceiver(secret="their-secret") as strict:
        path = write_config(f"""
            [store]
            path = "l.db"
            [[brands]]
            name = "栖云乳业"
            [[channels]]
            name = "pr-dingtalk"
            type = "dingtalk"
            url = "{robot.url}/robot/send?access_token=t"
            secret = "${{DING_SECRET}}"
            [[channels]]
            name = "gone"
            type = "webhook"
            url = "{strict.url}/hook"  # sends no signature: the receiver answers 401
        """)
        result = listener("test-channel", "pr-dingtalk", "--config", str(path), env={"DING_SECRET": "SECabc"})
        assert result.returncode == 0, result.stderr
        assert len(robot.received) == 1 and "通道测试" in robot.received[0]["body"]["markdown"]["text"]
        assert "SECabc" not in result.stdout + result.stderr

        bad = listener("test-channel", "pr-dingtalk", "--config", str(path), env={"DING_SECRET": "wrong"})
        assert bad.returncode != 0 and "platform error 310000" in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1

        os.environ["DING_SECRET"] = "SECabc"
        try:
            config = load_config(path)
        finally:
            del os.environ["DING_SECRET"]
        store = Store(config.store_path)
        with store.transaction() as conn:
            store.enqueue(Notification("o-1", "gone", "incident.opened", {"event": "incident.opened",
                                                                           "brand": "栖云乳业"},
                                       incident_id="inc-9", created_at=NOW), conn)
        assert deliver_due(store, config, NOW).failed == 1
        assert deliver_due(store, config, NOW).sent == 1  # the failure report, to the other channel
        store.close()
        out = listener("outbox", "--status", "failed", "--config", str(path), env={"DING_SECRET": "SECabc"})
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["delivery_id"], r["status"], r["attempts"]) for r in rows] == [("o-1", "failed", 1)]
    assert "HTTP 401" in rows[0]["last_error"]
    # the failure was reported to the brand's other channel
    assert any("告警未能送达" in r["body"]["markdown"]["text"] for r in robot.received)
