"""The response clock: minutes from the first negative wave to the first official post against the 4-hour norm,
and how negative mentions moved after it; fed from a real store, shown by `listener alerts list`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.response_clock import GOLDEN_MINUTES, OfficialPost, response_clock
from alerts.types import Incident
from analyzers import BrandMatch, Mention
from listener.responses import incident_response, official_posts
from listener.store import Store
from tests.test_cli import cli

WAVE = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
BUCKET = 600


@dataclass(frozen=True)
class Count:
    start: datetime
    negative: int
    volume: int


def series(negatives: list[int], start: datetime = WAVE) -> list[Count]:
    return [Count(start + timedelta(seconds=BUCKET * i), n, n + 4) for i, n in enumerate(negatives)]


def post(minutes: float, mention_id: str = "o1") -> OfficialPost:
    return OfficialPost(mention_id, WAVE + timedelta(minutes=minutes), f"https://weibo.com/{mention_id}",
                        "致歉声明", "我们向大家道歉。")


def test_no_official_post_means_the_clock_is_running() -> None:
    clock = response_clock(wave_at=WAVE, now=WAVE + timedelta(minutes=90), official_posts=[],
                           buckets=series([10] * 9), bucket_seconds=BUCKET)
    assert clock.status == "running" and clock.response is None
    assert clock.minutes == 90 and clock.within_norm
    assert "尚未发布官方回应" in clock.summary() and "还剩2小时30分" in clock.summary()
    late = response_clock(wave_at=WAVE, now=WAVE + timedelta(hours=5), official_posts=[], buckets=[],
                          bucket_seconds=BUCKET)
    assert not late.within_norm and "已超过黄金4小时" in late.summary()


def test_a_post_before_the_wave_or_after_resolution_is_not_the_response() -> None:
    clock = response_clock(wave_at=WAVE, now=WAVE + timedelta(hours=8), official_posts=[post(-30), post(400)],
                           buckets=[], bucket_seconds=BUCKET, until=WAVE + timedelta(hours=6))
    assert clock.status == "unanswered" and clock.response is None
    assert "没有官方回应" in clock.summary()


def test_first_official_post_is_the_response_and_a_falling_wave_is_calmed() -> None:
    # 60 minutes of a rising wave, the statement at 65', then it falls away
    buckets = series([8, 12, 16, 20, 24, 30, 30, 10, 6, 4, 2, 2, 1])
    clock = response_clock(wave_at=WAVE, now=WAVE + timedelta(minutes=130),
                           official_posts=[post(200, "o2"), post(65, "o1")], buckets=buckets, bucket_seconds=BUCKET)
    assert clock.status == "responded" and clock.response.mention_id == "o1"
    assert clock.minutes == 65 and clock.within_norm
    assert clock.before.negative == 8 + 12 + 16 + 20 + 24 + 30  # the six buckets before the response's
    assert clock.after.negative == 10 + 6 + 4 + 2 + 2 + 1  # the response's own bucket is left out
    assert clock.verdict == "calmed" and clock.negative_rate_change < -0.5
    data = clock.as_dict()
    assert data["response"]["url"] == "https://weibo.com/o1" and data["verdict"] == "calmed"
    assert "在黄金4小时内" in data["summary"] and "回应后降温" in data["summary"]


def test_a_statement_that_adds_fuel_is_called_so() -> None:
    buckets = series([5, 5, 5, 5, 20, 30, 40, 50])
    clock = response_clock(wave_at=WAVE, now=WAVE + timedelta(minutes=80), official_posts=[post(31)],
                           buckets=buckets, bucket_seconds=BUCKET)
    assert clock.verdict == "fuel" and clock.negative_rate_change > 1
    assert "火上浇油" in clock.summary()


def test_a_late_response_misses_the_golden_four_hours() -> None:
    clock = response_clock(wave_at=WAVE, now=WAVE + timedelta(hours=12), official_posts=[post(5 * 60 + 10)],
                           buckets=series([10] * 72), bucket_seconds=BUCKET)
    assert clock.minutes == 310 and not clock.within_norm and clock.norm_minutes == GOLDEN_MINUTES
    assert "超过黄金4小时" in clock.summary()
    assert clock.verdict == "flat"
    assert clock.before.hours == clock.after.hours == 310 / 60  # equal spans either side: the wave to the response


def test_a_response_just_out_is_too_early_to_judge() -> None:
    clock = response_clock(wave_at=WAVE, now=WAVE + timedelta(minutes=44), official_posts=[post(38)],
                           buckets=series([9, 9, 9, 9, 9]), bucket_seconds=BUCKET)
    assert clock.verdict == "too_early" and clock.after is None
    assert "观察中" in clock.summary()


def mention(mention_id: str, minutes: int, *, label: str = "negative", official: bool = False) -> Mention:
    when = WAVE + timedelta(minutes=minutes)
    text = "我们向大家道歉，已下架全部批次。" if official else "栖云牛奶喝了拉肚子"
    return Mention(mention_id=mention_id, feed="official" if official else "weibo",
                   url=f"https://weibo.com/{mention_id}", title="", text=text, clean_text=text, author="栖云乳业",
                   published_at=when, fetched_at=when, brands=(BrandMatch("栖云乳业", ((0, 2),)),),
                   sentiment=0.1 if label == "negative" else 0.8, label=label, keywords=(), official=official)


def incident(**changes) -> Incident:
    base = dict(incident_id="inc-1", brand="栖云乳业", status="open", severity="critical", opened_at=WAVE,
                updated_at=WAVE, window_start=WAVE, window_end=WAVE + timedelta(hours=2), negative=40, baseline=2.0,
                volume=50)
    base.update(changes)
    return Incident(**base)


def stored(tmp_path: Path) -> Store:
    store = Store(tmp_path / "listener.db")
    rising = [mention(f"n{i}", i * 2) for i in range(30)]  # 30 negatives in the first hour
    falling = [mention(f"m{i}", 70 + i * 10) for i in range(5)]  # 5 in the hour after the statement
    calm = [mention(f"p{i}", 70 + i * 5, label="positive") for i in range(6)]
    answer = [mention("o1", 62, official=True), mention("o2", 90, official=True)]
    store.save_mentions(rising + falling + calm + answer)
    return store


def test_store_feeds_the_clock_and_official_posts_never_count_as_public(tmp_path: Path) -> None:
    store = stored(tmp_path)
    posts = official_posts(store, "栖云乳业", since=WAVE, until=WAVE + timedelta(hours=3))
    assert [p.mention_id for p in posts] == ["o1", "o2"]
    clock = incident_response(store, incident(), bucket_seconds=BUCKET, now=WAVE + timedelta(hours=3))
    assert clock.response.mention_id == "o1" and clock.minutes == 62
    assert clock.before.negative == 30 and clock.before.volume == 30
    assert clock.after.negative == 5 and clock.after.volume == 11  # the brand's own second post is not public
    assert clock.verdict == "calmed" and clock.negative_share_change < 0


def test_alerts_list_json_carries_the_response_clock(tmp_path: Path, write_config) -> None:
    store = stored(tmp_path)
    store.save_incident(incident())
    running = incident(incident_id="inc-2", brand="另一品牌")
    store.save_incident(running)
    store.close()
    config = write_config(f"""
        [store]
        path = "{tmp_path / 'listener.db'}"

        [[brands]]
        name = "栖云乳业"
    """)
    result = cli("alerts", "list", "--config", str(config))
    assert result.returncode == 0, result.stderr
    rows = {r["incident_id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert rows["inc-1"]["response"]["status"] == "responded"
    assert rows["inc-1"]["response"]["response"]["mention_id"] == "o1"
    assert rows["inc-1"]["response"]["minutes"] == 62.0 and rows["inc-1"]["response"]["within_norm"] is True
    assert rows["inc-2"]["response"]["status"] == "running" and rows["inc-2"]["response"]["within_norm"] is False
    assert {"negative_share", "severity", "window_start"} <= set(rows["inc-1"])  # the existing fields stay
