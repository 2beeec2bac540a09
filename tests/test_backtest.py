"""`listener backtest` raises what the daemon would have: the real detection job, run bucket by bucket with an
injected clock over the same stored history, is the reference (voices, weights, share, settle, cooldown)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.playbook import load_playbooks
from analyzers import BrandMatch, Mention
from analyzers.simhash import simhash
from listener.backtest import Replayed, backtest_rows
from listener.config import Config, load_config
from listener.detection import detect
from listener.store import Store
from tests.sampling import poisson

BRAND = "栖云乳业"
START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=10)
DAYS = 3
PLAYBOOKS = load_playbooks()
WAVE = "栖云纯牛奶批次20261108B喝了孩子呕吐腹泻，已经投诉到12315，大家千万别买，转发扩散！"


def post(key: str, at: datetime, negative: bool, text: str | None = None, followers: int = 100) -> Mention:
    body = text or f"{BRAND}{key}"
    return Mention(mention_id=key, feed="weibo", url=f"https://weibo.com/{key}", title="", text=body,
                   clean_text=body, author=f"u{key}", published_at=at, fetched_at=at,
                   brands=(BrandMatch(BRAND, ((0, 4),)),), sentiment=0.1 if negative else 0.5,
                   label="negative" if negative else "neutral", metrics={"followers": followers},
                   simhash=simhash(body) if text else 0)



@dataclass(frozen=True)
class Burst:
    at: datetime
    hours: float
    negative: int  # extra negatives a bucket
    wave: bool = False  # plus ten copies a bucket of one complaint (one voice)


BURSTS = [
    Burst(START + timedelta(days=1, hours=10), 1.5, 25, wave=True),  # a crisis with a repost wave in it
    Burst(START + timedelta(days=1, hours=15), 0.5, 12),  # the same story flaring within the cooldown
    Burst(START + timedelta(days=2, hours=14), 1.0, 40),  # a new story, after the cooldown
]


def history(seed: int = 11) -> list[Mention]:
    """Three days of chatter with an evening rhythm and the bursts above."""
    rng = random.Random(seed)
    out = []
    for i in range(int(timedelta(days=DAYS) / BUCKET)):
        at = START + i * BUCKET
        evening = 1.0 + 2.0 * (17 <= at.hour <= 22)
        negative = poisson(rng, 1.2 * evening)
        waves = 0
        for burst in BURSTS:
            if burst.at <= at < burst.at + timedelta(hours=burst.hours):
                negative += burst.negative
                waves += 10 * burst.wave
        for k in range(negative + poisson(rng, 3.0 * evening)):
            out.append(post(f"p{i}-{k}", at + timedelta(seconds=rng.randrange(600)), k < negative,
                            followers=rng.choice([10, 100, 5000])))
        out += [post(f"w{i}-{k}", at + timedelta(seconds=60 * k + 7), True, WAVE + "!" * (k % 3), followers=50)
                for k in range(waves)]
    return out


def config_for(tmp_path: Path, detector: str) -> Config:
    path = tmp_path / "bt.toml"
    path.write_text(f'[store]\npath = "bt.db"\n[[brands]]\nname = "{BRAND}"\n[detector]\n{detector}\n',
                    encoding="utf-8")
    return load_config(path)


def daemon_history(config: Config, last: datetime) -> list[tuple]:
    """The real job, once as each bucket closes, on its own copy of the store."""
    store = Store(config.store_path)
    events: dict[str, list[tuple]] = {}
    now = START + timedelta(hours=20)  # the first run rebuilds from history, as a fresh daemon does
    while now <= last:
        for event in detect(store, config, PLAYBOOKS, now):
            events.setdefault(event.incident.incident_id, []).append((event.event, now))
        now += BUCKET
    rows = [(i.window_start, i.opened_at, i.severity, i.negative, i.volume, i.baseline, i.peak_bucket_negative,
             i.resolved_at, events.get(i.incident_id, [])) for i in store.incidents(brand=BRAND)]
    store.close()
    return sorted(rows)


def backtest_history(config: Config, last: datetime) -> list[tuple]:
    store = Store(config.store_path)
    replayed: list[Replayed] = list(backtest_rows(
        store, BRAND, start=START, now=last, detector=config.detector, incidents=config.incidents,
        counting=config.counting, share=config.share))
    store.close()
    return sorted((r.incident.window_start, r.incident.opened_at, r.incident.severity, r.incident.negative,
                   r.incident.volume, r.incident.baseline, r.incident.peak_bucket_negative, r.incident.resolved_at,
                   list(zip(r.notifications, r.notified_at, strict=True))) for r in replayed)


@pytest.mark.parametrize("detector", ["", "weight_reach = true\nsettle = \"30m\""])
def test_backtest_raises_exactly_the_incidents_the_daemon_raises(tmp_path: Path, detector: str) -> None:
    config = config_for(tmp_path, detector)
    store = Store(config.store_path)
    store.save_mentions(history())
    writes = store.conn.total_changes
    store.close()
    last = START + timedelta(days=DAYS)
    expected_rows = backtest_history(config, last)  # first, on the untouched store: it must write nothing
    store = Store(config.store_path)
    assert store.conn.execute("SELECT count(*) FROM voices").fetchone()[0] == 0 and store.incidents() == []
    assert writes > 0
    store.close()
    assert expected_rows == daemon_history(config, last)
    events = [e for row in expected_rows for e, _ in row[-1]]
    assert events[0] == "incident.opened" and "incident.escalated" in events and "incident.resolved" in events
    if not detector:  # counted by voices alone: the flare within the day's cooldown is the first story again
        assert [row[0] for row in expected_rows] == [BURSTS[0].at, BURSTS[2].at]
        assert events.count("incident.opened") == 2 and events.count("incident.resolved") == 2
