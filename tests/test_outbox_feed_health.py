"""Collector health as its own alert stream: a feed silent far beyond its rhythm raises one lower-severity
notice (and a recovery notice later), rendered as a notice in the chat channels."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alerts.channels import build_channel
from alerts.feedhealth import judge
from alerts.types import Notification
from listener.config import load_config
from listener.feed_watch import check_silence
from listener.store import Store
from tests.alert_samples import NOW, mention


def config_for(write_config):
    return load_config(write_config("""
        [store]
        path = "l.db"
        [[brands]]
        name = "栖云乳业"
        [[feeds]]
        name = "weibo-search"
        url = "http://127.0.0.1:1200/weibo/keyword/qiyun"
        interval = "1m"
        [[channels]]
        name = "ops"
        type = "wecom"
        url = "http://127.0.0.1:9/hook"
    """))


def seed(store: Store, start, count: int, every: timedelta, offset: int = 0) -> None:
    store.save_mentions([replace(mention(offset + i, title="t", text=f"帖子{offset + i}", url=None),
                                 fetched_at=start + i * every, simhash=offset + i + 1) for i in range(count)])


def test_judge_needs_history_and_scales_with_rhythm() -> None:
    times = [NOW - timedelta(minutes=5 * i) for i in range(3)]
    assert judge(times, NOW + timedelta(days=3), 60).silent is False  # too little history to judge
    busy = [NOW - timedelta(minutes=5 * i) for i in range(30)]
    assert judge(busy, NOW + timedelta(minutes=20), 60).silent is False
    assert judge(busy, NOW + timedelta(hours=2), 60).silent is True  # 5-minute rhythm, 2 hours of nothing
    slow = [NOW - timedelta(hours=6 * i) for i in range(30)]
    assert judge(slow, NOW + timedelta(hours=8), 60).silent is False  # a slow feed is allowed its pace


def test_silent_feed_raises_one_notice_then_a_recovery(write_config) -> None:
    config = config_for(write_config)
    store = Store(config.store_path)
    start = NOW - timedelta(hours=3)
    seed(store, start, 30, timedelta(minutes=5))  # new items every 5 minutes until 30 minutes ago
    last_item = start + 29 * timedelta(minutes=5)
    with store.transaction() as conn:
        conn.execute("INSERT INTO feeds (feed, url, last_success_at) VALUES ('weibo-search', 'u', ?)",
                     (NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),))
    assert check_silence(store, config, last_item + timedelta(minutes=20)) == []
    later = last_item + timedelta(hours=3)
    events = check_silence(store, config, later)
    assert [e.event for e in events] == ["feed.unhealthy"]
    assert check_silence(store, config, later + timedelta(minutes=5)) == []  # said once, not every round
    row = store.outbox_rows()[0]
    assert row["event"] == "feed.unhealthy" and row["channel"] == "ops"
    seed(store, later, 1, timedelta(minutes=1), offset=100)
    assert [e.event for e in check_silence(store, config, later + timedelta(minutes=1))] == ["feed.recovered"]

    notice = store.due_notifications(later + timedelta(hours=1))[0]
    assert notice.payload["reason"] == "silent" and notice.payload["rhythm"] == "约每 5 分钟一条"
    body = build_channel(config.channels[0]).body(notice)
    text = body["markdown"]["content"]
    assert "【提示】" in text and "采集源异常" in text and "没有告警不代表平静" in text
    assert "约每 5 分钟一条" in text


def test_failing_feed_notice_renders_as_lower_severity(write_config) -> None:
    config = config_for(write_config)
    payload = {"event": "feed.unhealthy", "feed": "weibo-search", "brand": None, "error": "HTTP 403",
               "consecutive_failures": 3, "last_success_at": "2026-11-22T01:00:00Z", "sent_at": "x"}
    text = build_channel(config.channels[0]).body(Notification("f", "ops", "feed.unhealthy", payload))
    content = text["markdown"]["content"]
    assert "【提示】weibo-search：采集源异常" in content and "HTTP 403" in content and "3 次" in content
    assert 'color="info"' in content  # notices are not painted like incidents
