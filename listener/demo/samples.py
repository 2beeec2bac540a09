"""The demo's sample posts, placed in time: several normal days, then a complaint that goes viral.

Times are relative to the moment the demo runs, so the spike is always "now".
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASELINE_DAYS = 5
# Relative weight of each local hour for ordinary chatter: breakfast, lunch and evening peaks.
HOUR_WEIGHTS = [1, 1, 0, 0, 0, 1, 2, 4, 6, 5, 4, 4, 6, 5, 4, 4, 4, 5, 6, 7, 8, 8, 6, 3]


@dataclass(frozen=True)
class SamplePost:
    key: str
    channel: str
    phase: str
    title: str | None
    text: str
    author: str
    metrics: dict[str, int]
    expected: str
    published_at: datetime


def load_sample_data() -> dict[str, Any]:
    return json.loads((files("listener.demo") / "posts.json").read_text(encoding="utf-8"))


def _ordinary_time(rng: random.Random, now: datetime, quiet_before: datetime) -> datetime:
    while True:
        day = rng.randint(0, BASELINE_DAYS)
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = (now.astimezone(SHANGHAI) - timedelta(days=day)).replace(
            hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59), microsecond=0)
        if now - timedelta(days=BASELINE_DAYS, hours=12) < local < quiet_before:
            return local


def schedule(data: dict[str, Any], now: datetime, seed: int = 7) -> list[SamplePost]:
    """Place every post in time (deterministic for a given `now`)."""
    rng = random.Random(seed)
    quiet_before = now - timedelta(hours=3)
    crisis = [raw for raw in data["posts"] if raw["phase"] == "crisis"]
    # The first parent's post opens the story; most of the wave lands in the last 80 minutes, densest at
    # the end, as a story going viral does. Posts keep their story order (reactions follow statements).
    wave = sorted(now - timedelta(minutes=80 * (1 - rng.random() ** 0.5), seconds=30) for _ in crisis[1:])
    crisis_times = iter([now - timedelta(minutes=170), *wave])
    official_times = iter([now - timedelta(minutes=40), now - timedelta(minutes=12)])
    posts = []
    for raw in data["posts"]:
        phase = raw["phase"]
        if phase == "crisis":
            when = next(crisis_times)
        elif phase == "official":
            when = next(official_times, now + timedelta(days=1))  # the follow-up is not out yet
        else:
            when = _ordinary_time(rng, now, quiet_before)
        metrics = {k: int(raw.get(k) or 0) for k in ("followers", "reposts", "comments", "likes")}
        posts.append(SamplePost(key=raw["key"], channel=raw["channel"], phase=phase, title=raw.get("title"),
                                text=raw["text"], author=raw["author"], metrics=metrics,
                                expected=raw.get("expected", ""), published_at=when.replace(microsecond=0)))
    return sorted(posts, key=lambda p: p.published_at)
