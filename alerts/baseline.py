"""A seasonal, robust baseline of a count series in log space, learned one bucket at a time.

Why log space: mention volume is multiplicative (a busy evening is "three times the night", a crisis
"ten times the usual"), its noise grows with the level, and its bursts are heavy-tailed; in log1p space
an additive model (level + hour-of-day + day-of-week) with a robust scale fits all brand sizes.
Why robust: every update is clipped at a few scales (a Huber step), and buckets judged anomalous teach
the baseline only a trickle, so a crisis cannot raise its own baseline nor inflate the noise estimate.
Memory is constant: 24 + 7 offsets, a level, two scales, a CUSUM, a short ring of recent residuals, and the
spike detector's burst record (two floats and three counters).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

SD_PER_MAD = 1.2533  # E|X| = sd * sqrt(2 / pi) for a normal X
CLIP = 2.5  # Huber clip of every learning step, in scales


@dataclass
class BaselineState:
    """Everything the baseline remembers about one series; JSON-serialisable so it survives restarts."""

    buckets_seen: int = 0
    level: float = 0.0
    hourly: list[float] = field(default_factory=lambda: [0.0] * 24)
    hourly_seen: list[int] = field(default_factory=lambda: [0] * 24)
    weekly: list[float] = field(default_factory=lambda: [0.0] * 7)
    mad: float = 0.0  # mean absolute residual of one bucket
    mad_window: float = 0.0  # mean absolute value of the mean residual over the recent window
    recent: list[float] = field(default_factory=list)  # residuals of the last `window` buckets
    last_bucket: float | None = None  # epoch seconds of the last bucket learned
    cusum: float = 0.0  # one-sided CUSUM of the clipped one-bucket z (see `Baseline.cusum_next`)
    record: float = 0.0  # the burst record, log(count / expected), as of `last_bucket` (`alerts.spikes`)
    routine_left: int = 0  # calm buckets still needed to end a routine burst's aftermath
    routine_age: int = 0  # buckets since that routine burst
    routine_peak: float = 0.0  # that burst's log(count / expected)
    alarm_run: int = 0  # consecutive anomalous buckets up to the last one

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BaselineState:
        return cls(**data)


def poisson_log_sd(mean_count: float) -> float:
    """The sd of log1p(X) for a Poisson X (delta method): counting noise alone, the scale's floor."""
    return math.sqrt(max(mean_count, 0.05)) / (1.0 + mean_count)


@dataclass(frozen=True)
class Rates:
    """Learning rates per bucket, derived from the spans in the settings."""

    level: float
    hourly: float
    weekly: float
    scale: float
    anomalous: float  # multiplier on every rate while a bucket is anomalous

    @classmethod
    def for_spans(cls, bucket_seconds: int, level_seconds: float, season_seconds: float,
                  anomalous: float) -> Rates:
        per_hour = max(1.0, 3600.0 / bucket_seconds)
        level_span = max(1.0, level_seconds / bucket_seconds)
        season_days = max(1.0, season_seconds / 86400.0)
        return cls(
            level=2.0 / (level_span + 1.0),
            hourly=2.0 / (season_days * per_hour + 1.0),
            weekly=2.0 / (4 * 24 * per_hour + 1.0),  # a span of four of that weekday
            scale=2.0 / (max(level_span, 3 * 86400 / bucket_seconds) + 1.0),
            anomalous=anomalous,
        )


class Baseline:
    """Expected log1p(count) for a bucket, and its noise scale."""

    def __init__(self, rates: Rates, window: int, state: BaselineState | None = None, window_clip: float = 6.0,
                 cusum_drift: float = 1.0):
        self.rates = rates
        self.window = max(1, window)
        self.window_clip = window_clip
        self.cusum_drift = cusum_drift
        self.state = state or BaselineState()

    def expected_log(self, when: datetime) -> float:
        s = self.state
        return s.level + s.hourly[when.hour] + s.weekly[when.weekday()]

    def scales(self, expected_count: float) -> tuple[float, float]:
        """Noise sd of one bucket's residual and of the window's mean residual (never below Poisson noise)."""
        floor = poisson_log_sd(expected_count)
        one = max(SD_PER_MAD * self.state.mad, floor)
        window = max(SD_PER_MAD * self.state.mad_window, floor / math.sqrt(self.window))
        return one, window

    def window_mean(self, residual: float, one_sd: float) -> float:
        """Mean residual over the recent window if this bucket's residual were appended.

        Each residual is clipped at `window_clip` scales, so one burst cannot pass for a sustained rise.
        """
        recent = self.state.recent[-(self.window - 1):] if self.window > 1 else []
        limit = self.window_clip * one_sd
        return (sum(recent) + max(-limit, min(limit, residual))) / (len(recent) + 1)

    def cusum_next(self, residual: float, one_sd: float) -> float:
        """The CUSUM if this bucket were appended: how far the buckets above `cusum_drift` scales have
        accumulated since the series was last at its baseline. A persistent rise keeps adding to it; a
        3-hour mean lifted by a few clipped bursts between normal buckets does not (each adds at most
        `window_clip` and every normal bucket takes `cusum_drift` away)."""
        z = max(-self.window_clip, min(self.window_clip, residual / one_sd))
        return max(0.0, self.state.cusum + z - self.cusum_drift)

    def forget_recent(self) -> None:
        """After a gap the recent window is stale: start it again."""
        self.state.recent = []
        self.state.cusum = 0.0
        self.state.routine_left = self.state.routine_age = self.state.alarm_run = 0

    def learn(self, when: datetime, y: float, *, anomalous: bool) -> None:
        s = self.state
        rates = self.rates
        slow = rates.anomalous if anomalous else 1.0
        hour, day = when.hour, when.weekday()
        if s.buckets_seen == 0:
            s.level = y
        expected = self.expected_log(when)
        one, window_sd = self.scales(math.expm1(max(expected, 0.0)))
        residual = y - expected
        mean_residual = self.window_mean(residual, one)
        s.cusum = self.cusum_next(residual, one)
        step = max(-CLIP * one, min(CLIP * one, residual))
        # A running mean until the span is reached, then exponential: a new brand learns its rhythm in a day.
        s.level += max(rates.level, 1.0 / (s.buckets_seen + 1)) * slow * step
        s.hourly[hour] += max(rates.hourly, 1.0 / (s.hourly_seen[hour] + 2)) * slow * step
        s.hourly_seen[hour] += 1
        s.weekly[day] += rates.weekly * slow * step
        if s.buckets_seen == 0:
            s.mad = abs(residual)
        else:
            s.mad += rates.scale * slow * (min(abs(residual), CLIP * one) - s.mad)
        s.mad_window += rates.scale * slow * (min(abs(mean_residual), CLIP * window_sd) - s.mad_window)
        limit = self.window_clip * one
        s.recent = [*s.recent, max(-limit, min(limit, residual))][-self.window:]
        s.buckets_seen += 1
        s.last_bucket = when.timestamp()

