"""The demo end to end, and the restart case: the same collection twice stores nothing and alerts once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from alerts.playbook import load_playbooks
from analyzers import Analyzer
from listener.clock import utcnow
from listener.collection import collect_round
from listener.config import load_config
from listener.delivery import deliver_due
from listener.demo.samples import load_sample_data, schedule
from listener.demo.servers import WebhookReceiver, feed_server
from listener.demo.tour import SECRET_ENV, _routes, write_config
from listener.detection import detect
from listener.store import Store


def test_demo_command_end_to_end(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "listener", "demo", "--workdir", str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["mentions"] > 100
    assert summary["incidents"] == 1
    assert summary["alerts_sent"] >= 1
    digest = Path(summary["digest"])
    assert digest.exists()
    html = digest.read_text(encoding="utf-8")
    assert "栖云乳业" in html and "<script>alert" not in html
    assert "负面突增" in result.stderr and "不重复告警" in result.stderr


def test_restart_collects_nothing_new_and_sends_no_second_alert(tmp_path: Path, monkeypatch) -> None:
    data = load_sample_data()
    posts = schedule(data, utcnow())
    monkeypatch.setenv(SECRET_ENV, "demo-secret")
    with feed_server(_routes(posts)) as server, WebhookReceiver(secret="demo-secret") as hook:
        config = load_config(write_config(tmp_path, server.url, f"{hook.url}/hook", data["brand"]))
        playbooks = load_playbooks()

        def one_process_lifetime() -> tuple[int, int, int]:
            store = Store(config.store_path)  # a fresh process: new connection, new analyzer
            analyzer = Analyzer(config.brands, config.sentiment)
            reports = asyncio.run(collect_round(config, store, analyzer, utcnow))
            events = detect(store, config, playbooks, utcnow())
            sent = deliver_due(store, config, utcnow()).sent
            store.close()
            return sum(r.new for r in reports), len(events), sent

        first = one_process_lifetime()
        second = one_process_lifetime()
    assert first[0] > 100 and first[1] == 1 and first[2] == 1
    assert second == (0, 0, 0)
    assert len(hook.received) == 1 and hook.duplicates == 0 and hook.rejected == 0
    payload = hook.received[0]["payload"]
    assert payload["event"] == "incident.opened" and payload["brand"] == "栖云乳业"
    assert payload["counts"]["negative"] > payload["counts"]["baseline"]
    assert payload["posts"] and payload["playbook"]["steps"] and payload["playbook"]["avoid"]
    assert "product_safety" in payload["signals"]
    # The response clock rides along: the brand has not answered yet, so the 4-hour clock is running.
    assert payload["response"]["status"] in ("running", "responded") and payload["response"]["summary"]
