"""What one bucket counts: voices (a near-duplicate wave is one), optionally weighted by reach and signals.

Why voices: a complaint reposted 500 times is one person's complaint with 500x reach, not 500 complaints;
counted as 500 it drowns every real rise and lets a copy-paste campaign page the PR team at will.
Why optional weights: a post read by a million matters more than one read by ten, and a food-safety
accusation more than a grumble; but weights make counts less comparable to history, so they are off
unless a team asks for them (`detector.weight_reach`, `detector.weight_signals`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.evaluate import BucketCount, bucket_floor

WEIGHT_CAP = 5.0  # a voice counts at most this much, however far it travelled (reach 10,000 and up)
DEDUP_WINDOW = timedelta(hours=24)  # copies this long after a wave's latest post start a new voice


@dataclass(frozen=True)
class CountSettings:
    """How the live detection job counts a bucket, and how long a bucket stays open to late posts."""

    fold_reposts: bool = True
    weight_reach: bool = False
    weight_signals: bool = False
    settle_seconds: int = 3600

    @property
    def weighted(self) -> bool:
        return self.weight_reach or self.weight_signals


@dataclass(frozen=True)
class VoiceRow:
    """One voice's first post in a bucket, as the store reads it."""

    published_ts: int
    negative: bool
    reach: int  # summed over the voice's copies
    signal_weight: float  # the heaviest crisis-signal category it raises (0 if none)


def voice_weight(row: VoiceRow, settings: CountSettings) -> float:
    """1 by default; 1 + log10(1 + reach), capped, with `weight_reach`; times the signal's weight with
    `weight_signals` (categories are weighted 1-3 in config/lexicons/signals.toml)."""
    weight = 1.0
    if settings.weight_reach:
        weight = min(WEIGHT_CAP, 1.0 + math.log10(1.0 + max(0, row.reach)))
    if settings.weight_signals and row.signal_weight > 1.0:
        weight *= row.signal_weight
    return weight


def weighted_buckets(rows: Iterable[VoiceRow], *, since: datetime, until: datetime, bucket_seconds: int,
                     settings: CountSettings) -> list[BucketCount]:
    """Consecutive buckets from since's bucket to until's, oldest first, each the sum of its voices' weights."""
    start = bucket_floor(since, bucket_seconds)
    sums: dict[int, list[float]] = {}
    for row in rows:
        key = row.published_ts - row.published_ts % bucket_seconds
        entry = sums.setdefault(key, [0.0, 0.0])
        weight = voice_weight(row, settings)
        entry[1] += weight
        if row.negative:
            entry[0] += weight
    out = []
    cursor = start
    span = timedelta(seconds=bucket_seconds)
    while cursor <= until:
        negative, volume = sums.get(int(cursor.timestamp()), (0.0, 0.0))
        out.append(BucketCount(start=cursor, negative=round(negative, 2), volume=round(volume, 2)))
        cursor += span
    return out
