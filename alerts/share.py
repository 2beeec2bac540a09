"""Negative share and total volume as detector inputs, beside the negative count (`alerts.spikes`).

Why share: "volume steady, suddenly most of it is angry" is a crisis that a count test can miss on a
big brand (its negatives were already many, their rise is within the count's noise). The brand's usual
share is learned as a slow average of negatives over volume; a bucket (or the sustained window) whose k
negatives out of n are far in the binomial tail of that share pages, but only with at least
`min_negative` negatives and a share at least `min_rise` above the usual one, so a tiny brand's
3-of-4 blip and ordinary wobble stay quiet. Mentions are not independent draws (one story, many
voices), which is why the tail is demanding (1e-6) and the absolute rise is required as well.

Why volume does not page: a surge of all mentions with a normal share is a launch, a promotion or a
viral positive story; if its negatives rise too, the count test already pages. So volume is tracked
(its own seasonal baseline, `alerts.baseline`) and reported as context: volume vs expected.

Memory is constant: two running sums, a ring of the last window's (k, n) and one `BaselineState`.
Anomalous buckets teach the share only a trickle (`anomalous_rate`), so a crisis cannot become normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime

from alerts.baseline import Baseline, BaselineState, Rates
from alerts.spikes import DetectorSettings, SpikeDetector, Verdict, normal_tail
from alerts.types import severity_rank

ELEVATED_P = 0.01  # an open incident is not quiet while a bucket's share is this far in the tail


@dataclass(frozen=True)
class ShareSettings:
    enabled: bool = True
    span_seconds: int = 7 * 86400  # the usual share is an average over about this long
    min_negative: int = 10  # never page on share below this many negatives (in the bucket or the window)
    min_rise: float = 0.25  # the share must be at least this much above the usual one (0.25 = 25 points)
    p_value: float = 1e-6  # binomial tail of k negatives out of n against the usual share
    min_volume: int = 200  # mentions the brand must have been seen with before its share means anything


@dataclass
class ShareState:
    """What the share and volume models remember about one brand; plain numbers, JSON-serialisable."""

    negative: float = 0.0  # running average of negatives per bucket
    volume: float = 0.0  # running average of mentions per bucket
    seen: int = 0  # buckets learned
    seen_volume: float = 0.0  # mentions learned (for warm-up)
    recent: list[list[float]] = field(default_factory=list)  # [k, n] of the last window-1 buckets
    volume_baseline: BaselineState = field(default_factory=BaselineState)

    def to_dict(self) -> dict:
        base = self.volume_baseline
        return {"negative": self.negative, "volume": self.volume, "seen": self.seen, "seen_volume": self.seen_volume,
                "recent": [list(r) for r in self.recent],
                "volume_baseline": {k: list(v) if isinstance(v, list) else v for k, v in vars(base).items()}}

    @classmethod
    def from_dict(cls, data: dict) -> ShareState:
        recent = [[float(k), float(n)] for k, n in data["recent"]]
        return cls(float(data["negative"]), float(data["volume"]), int(data["seen"]), float(data["seen_volume"]),
                   recent, BaselineState.from_dict(dict(data["volume_baseline"])))


@dataclass(frozen=True)
class ShareVerdict:
    share: float  # this bucket's negatives / volume
    usual_share: float  # the learned share before this bucket
    p_value: float  # the smaller binomial tail of the bucket and window tests (1 when not tested)
    severity: str | None
    elevated: bool  # share still clearly above the usual: an open incident is not quiet yet
    expected_volume: float


def binomial_tail(k: float, n: float, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed upwards from k in log space (exact for tiny tails)."""
    n_int, k_int = round(n), math.ceil(k)
    if k_int <= 0:
        return 1.0
    if k_int > n_int:
        return 0.0
    p = min(max(p, 1e-9), 1 - 1e-9)
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n_int + 1)
    total = 0.0
    for i in range(k_int, n_int + 1):
        term = math.exp(base - math.lgamma(i + 1) - math.lgamma(n_int - i + 1) + i * log_p + (n_int - i) * log_q)
        total += term
        if i > n_int * p and term < total * 1e-12:
            break
    return min(1.0, total)


class ShareDetector:
    """Feed (negative, volume) per bucket in time order, with the same clock as the `SpikeDetector`."""

    def __init__(self, detector: DetectorSettings, settings: ShareSettings, state: ShareState | None = None):
        self.detector = detector
        self.settings = settings
        self.state = state or ShareState()
        self.window = max(1, round(detector.window_seconds / detector.bucket_seconds))
        self.alpha = 2.0 / (max(1.0, settings.span_seconds / detector.bucket_seconds) + 1.0)
        rates = Rates.for_spans(detector.bucket_seconds, detector.level_seconds, detector.baseline_seconds,
                                detector.anomalous_rate)
        self.volume = Baseline(rates, self.window, self.state.volume_baseline, detector.window_clip)

    @property
    def usual_share(self) -> float:
        s = self.state
        return s.negative / s.volume if s.volume > 0 else 0.0

    @property
    def warm(self) -> bool:
        s = self.state
        return (s.seen * self.detector.bucket_seconds >= self.detector.warmup_seconds
                and s.seen_volume >= self.settings.min_volume)

    def _after_gap(self, bucket_start: datetime) -> bool:
        last = self.state.volume_baseline.last_bucket
        return last is not None and bucket_start.timestamp() - last > 1.5 * self.detector.bucket_seconds

    def judge(self, bucket_start: datetime, negative: float, volume: float) -> ShareVerdict:
        """No learning; a partial bucket's share is judged as it stands (k and n both still grow)."""
        cfg = self.settings
        usual = self.usual_share
        expected_volume = max(0.0, math.expm1(self.volume.expected_log(bucket_start)))
        share = negative / volume if volume > 0 else 0.0
        if not (cfg.enabled and self.warm and volume > 0):
            return ShareVerdict(round(share, 4), round(usual, 4), 1.0, None, False, round(expected_volume, 2))
        # Elevated: this bucket alone is still clearly angrier than usual (a few posts either way are not).
        one_tail = binomial_tail(negative, volume, usual) if share - usual >= cfg.min_rise / 2 else 1.0
        elevated = one_tail < ELEVATED_P
        tails = [one_tail] if negative >= cfg.min_negative and share - usual >= cfg.min_rise else []
        # The window catches a rise no single bucket proves, but only while this bucket is still up too
        # (else the window's memory of a spike would keep a calmed incident open for hours).
        recent = self.state.recent[-(self.window - 1):] if elevated and not self._after_gap(bucket_start) else []
        if recent:
            k = negative + sum(r[0] for r in recent)
            n = volume + sum(r[1] for r in recent)
            if k >= cfg.min_negative and k / n - usual >= cfg.min_rise:
                tails.append(binomial_tail(k, n, usual))
        p_value = min(tails, default=1.0)
        severity = None
        if p_value < cfg.p_value:
            severity = "critical" if p_value < cfg.p_value ** 2 and share - usual >= 2 * cfg.min_rise else "warning"
        return ShareVerdict(round(share, 4), round(usual, 4), p_value, severity, elevated, round(expected_volume, 2))

    def update(self, bucket_start: datetime, negative: float, volume: float, *, anomalous: bool) -> None:
        """Learn a closed bucket: an anomalous one (by count or share) only at `anomalous_rate`."""
        s = self.state
        if self._after_gap(bucket_start):
            self.volume.forget_recent()
            s.recent = []
        rate = max(self.alpha, 1.0 / (s.seen + 1)) * (self.detector.anomalous_rate if anomalous else 1.0)
        s.negative += rate * (max(negative, 0.0) - s.negative)
        s.volume += rate * (max(volume, 0.0) - s.volume)
        s.seen += 1
        s.seen_volume += max(volume, 0.0)
        if self.window > 1:
            s.recent = [*s.recent, [float(negative), float(volume)]][-(self.window - 1):]
        self.volume.learn(bucket_start, math.log1p(max(volume, 0.0)), anomalous=anomalous)


def combine(count: Verdict, share: ShareVerdict) -> Verdict:
    """The bucket's verdict: the count test's, raised to the share test's severity when that is higher."""
    if severity_rank(share.severity) <= severity_rank(count.severity):
        return count if count.elevated or not share.elevated else replace(count, elevated=True)
    score = max(count.score, _z(share.p_value))
    return replace(count, severity=share.severity, p_value=min(count.p_value, share.p_value), score=round(score, 3),
                   elevated=True)


def _z(p_value: float) -> float:
    """The normal z of a one-sided tail, for a score comparable with the count test's (bisection)."""
    lo, hi = 0.0, 40.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if normal_tail(mid) > p_value else (lo, mid)
    return lo


class BrandDetector:
    """The count test (`SpikeDetector`) and the share test side by side, learning from one combined verdict."""

    def __init__(self, detector: DetectorSettings, share: ShareSettings, count_state: BaselineState | None = None,
                 share_state: ShareState | None = None):
        self.spike = SpikeDetector(detector, count_state)
        self.share = ShareDetector(detector, share, share_state)

    def judge(self, start: datetime, negative: float, volume: float,
              weight: float = 1.0) -> tuple[Verdict, ShareVerdict]:
        share = self.share.judge(start, negative, volume)
        return combine(self.spike.judge(start, negative, weight), share), share

    def update(self, start: datetime, negative: float, volume: float,
               weight: float = 1.0) -> tuple[Verdict, ShareVerdict]:
        """Judge a closed bucket, then learn it in both models.

        The count model learns through `SpikeDetector.update` (its own verdict sets its learning rate, and its
        steps are clipped, so a share-only anomaly moves it by at most a few scales); the share model learns
        an anomaly by either test only a trickle."""
        count = self.spike.update(start, negative, weight)
        share = self.share.judge(start, negative, volume)
        verdict = combine(count, share)
        self.share.update(start, negative, volume, anomalous=verdict.anomalous)
        return verdict, share
