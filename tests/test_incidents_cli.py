"""`listener backtest` over stored history and `listener alerts silence`: real store, real CLI, real detection job."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analyzers import BrandMatch, Mention
from listener.config import load_config
from listener.detection import detect
from listener.store import Store

BRAND = "栖云乳业"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "listener", *args], capture_output=True, text=True, timeout=180)


def config_file(write_config) -> Path:
    return write_config(f"""
        [store]
        path = "bt.db"
        [[brands]]
        name = "{BRAND}"
        aliases = ["栖云牛奶"]
    """)


def fill_history(path: Path, now: datetime, spike_hours_ago: float) -> None:
    """Three days of a few negative posts an hour, and a burst of 40 in ten minutes at the given time."""
    template = Mention(mention_id="", feed="weibo", url="https://weibo.com/x", title="", text="栖云牛奶喝了拉肚子",
                       clean_text="栖云牛奶喝了拉肚子", author="网友", published_at=now, fetched_at=now,
                       brands=(BrandMatch(BRAND, ((0, 4),)),), sentiment=0.1, label="negative", keywords=("拉肚子",))
    rng = random.Random(4)
    start = now - timedelta(days=3)
    mentions = []
    for i in range(3 * 24 * 6):
        at = start + timedelta(minutes=10 * i)
        for k in range(rng.choice([0, 0, 0, 1])):
            mentions.append(replace(template, mention_id=f"q{i}-{k}", published_at=at + timedelta(seconds=k)))
    burst = now - timedelta(hours=spike_hours_ago)
    burst -= timedelta(seconds=burst.timestamp() % 600)  # all 40 in one bucket, whatever the time of day
    mentions += [replace(template, mention_id=f"s{k}", published_at=burst + timedelta(seconds=10 * k))
                 for k in range(40)]
    store = Store(path)
    store.save_mentions(mentions)
    store.close()


def test_backtest_shows_the_incident_history_would_have_fired(write_config, tmp_path: Path) -> None:
    config = config_file(write_config)
    now = datetime.now(UTC)
    fill_history(tmp_path / "bt.db", now, spike_hours_ago=20)
    result = cli("backtest", "--config", str(config), "--brand", BRAND)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 1
    assert rows[0]["brand"] == BRAND and rows[0]["notifications"][0] == "incident.opened"
    assert rows[0]["notifications"][-1] == "incident.resolved" and rows[0]["negative"] >= 40
    assert len(rows[0]["notified_at"]) == len(rows[0]["notifications"])  # when each would have been sent
    assert 0 <= rows[0]["baseline_share"] <= 1 and rows[0]["expected_volume"] >= 0
    opened = datetime.fromisoformat(rows[0]["opened_at"])
    assert abs((now - timedelta(hours=20) - opened).total_seconds()) <= 600
    # nothing was written: a backtest is a dry run
    store = Store(tmp_path / "bt.db")
    assert store.incidents() == [] and store.outbox_counts() == {}
    store.close()
    later = cli("backtest", "--config", str(config), "--since", "10h")
    assert later.returncode == 0 and later.stdout.strip() == ""  # the spike is older than --since
    bad = cli("backtest", "--config", str(config), "--brand", "无此品牌")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_silenced_brand_keeps_its_incident_but_sends_nothing(write_config, tmp_path: Path) -> None:
    config_path = config_file(write_config)
    now = datetime.now(UTC)
    fill_history(tmp_path / "bt.db", now, spike_hours_ago=0.05)
    result = cli("alerts", "silence", BRAND, "--until", "2h", "--reason", "发布会", "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    listed = [json.loads(line) for line in cli("alerts", "silences", "--config", str(config_path)).stdout.splitlines()]
    assert listed[0]["brand"] == BRAND and listed[0]["active"] and listed[0]["reason"] == "发布会"
    config = load_config(config_path)
    store = Store(config.store_path)
    events = detect(store, config, {}, now)
    assert [(e.event, e.notifications) for e in events] == [("incident.opened", 0)]  # seen, nothing queued
    assert store.active_incident(BRAND) is not None  # but the incident is tracked
    assert sum(store.outbox_counts().values()) == 0
    store.close()
    assert cli("alerts", "unsilence", BRAND, "--config", str(config_path)).returncode == 0
    past = cli("alerts", "silence", BRAND, "--until", "2020-01-01 00:00", "--config", str(config_path))
    assert past.returncode == 2 and "past" in past.stderr
    missing = cli("alerts", "silence", BRAND, "--config", str(config_path))
    assert missing.returncode == 2 and "--until" in missing.stderr
