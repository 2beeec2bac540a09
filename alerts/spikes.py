"""A streaming negative-spike detector: one bucket at a time, no look-ahead, constant memory per brand.

Baseline: an exponentially weighted mean and variance of the bucket count, blended with an hour-of-day
profile so the daily rhythm (quiet nights, busy evenings) is expected rather than alarming.
Threshold: the upper tail of a negative binomial (a Poisson whose rate itself varies: the usual model
for overdispersed social-media counts) at the baseline's mean and variance; plus `min_count`.
Anomalous buckets feed the baseline only up to its own expectation, so a long crisis never becomes
the new normal.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DetectorSettings:
    bucket_seconds: int = 600
    baseline_seconds: int = 7 * 86400
    warmup_seconds: int = 86400
    min_count: int = 5
    warning_p: float = 1e-4
    critical_p: float = 1e-8
    floor_rate_per_day: float = 1.0  # a quiet brand is still expected to have about one negative post a day


@dataclass
class DetectorState:
    """Everything the detector remembers about one series; JSON-serialisable so it survives restarts."""

    buckets_seen: int = 0
    mean: float = 0.0
    var: float = 0.0
    hourly_mean: list[float] = field(default_factory=lambda: [0.0] * 24)
    hourly_seen: list[int] = field(default_factory=lambda: [0] * 24)
    last_bucket: float | None = None  # epoch seconds of the last bucket fed

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DetectorState:
        return cls(**data)


@dataclass(frozen=True)
class Verdict:
    bucket_start: datetime
    count: float
    expected: float
    p_value: float
    severity: str | None  # None, "warning" or "critical"
    warm: bool

    @property
    def anomalous(self) -> bool:
        return self.severity is not None


def negative_binomial_tail(k: float, mean: float, var: float) -> float:
    """P(X >= k) for a count with this mean and variance (Poisson when var <= mean)."""
    if k <= 0:
        return 1.0
    k = math.ceil(k)
    mean = max(mean, 1e-9)
    if var <= mean * 1.0001:
        def log_pmf(i: int) -> float:
            return -mean + i * math.log(mean) - math.lgamma(i + 1)
    else:
        r = mean * mean / (var - mean)
        p = mean / (r + mean)

        def log_pmf(i: int) -> float:
            return math.lgamma(i + r) - math.lgamma(r) - math.lgamma(i + 1) + r * math.log1p(-p) + i * math.log(p)
    if k <= mean:
        below = sum(math.exp(log_pmf(i)) for i in range(k))
        return max(0.0, 1.0 - below)
    total, i = 0.0, k
    while True:
        term = math.exp(log_pmf(i))
        total += term
        i += 1
        if term < total * 1e-12 or i > k + 10_000:
            return min(1.0, total)


class SpikeDetector:
    """Feed bucket counts in time order; each call says whether that bucket is a spike."""

    def __init__(self, settings: DetectorSettings, state: DetectorState | None = None):
        self.settings = settings
        self.state = state or DetectorState()
        span = max(1.0, settings.baseline_seconds / settings.bucket_seconds)
        self._alpha = 2.0 / (span + 1.0)
        self._hourly_alpha = min(1.0, 2.0 / (span / 24.0 + 1.0))
        self._floor = settings.floor_rate_per_day * settings.bucket_seconds / 86400

    @property
    def warm(self) -> bool:
        return self.state.buckets_seen * self.settings.bucket_seconds >= self.settings.warmup_seconds

    def expected(self, bucket_start: datetime) -> tuple[float, float]:
        """Mean and variance the baseline expects for this bucket."""
        s = self.state
        hour = bucket_start.hour
        mean = s.mean
        if s.hourly_seen[hour] * self.settings.bucket_seconds >= 3 * 3600:
            mean = 0.5 * (s.mean + s.hourly_mean[hour])
        mean = max(mean, self._floor)
        var = max(s.var, mean)
        return mean, var

    def judge(self, bucket_start: datetime, count: float) -> Verdict:
        """The verdict for a bucket (closed or still filling) without learning from it."""
        mean, var = self.expected(bucket_start)
        p_value = negative_binomial_tail(count, mean, var)
        severity = None
        if self.warm and count >= self.settings.min_count:
            if p_value < self.settings.critical_p and count >= 2 * self.settings.min_count:
                severity = "critical"
            elif p_value < self.settings.warning_p:
                severity = "warning"
        return Verdict(bucket_start, count, round(mean, 4), p_value, severity, self.warm)

    def update(self, bucket_start: datetime, count: float) -> Verdict:
        """Judge a closed bucket, then learn from it (an anomaly only up to what was expected)."""
        verdict = self.judge(bucket_start, count)
        learned = min(count, verdict.expected) if verdict.anomalous else count
        s = self.state
        if s.buckets_seen == 0:
            s.mean, s.var = learned, 0.0
        else:
            delta = learned - s.mean
            s.mean += self._alpha * delta
            s.var = (1 - self._alpha) * (s.var + self._alpha * delta * delta)
        hour = bucket_start.hour
        if s.hourly_seen[hour] == 0:
            s.hourly_mean[hour] = learned
        else:
            s.hourly_mean[hour] += self._hourly_alpha * (learned - s.hourly_mean[hour])
        s.hourly_seen[hour] += 1
        s.buckets_seen += 1
        s.last_bucket = bucket_start.timestamp()
        return verdict
