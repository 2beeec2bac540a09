"""A streaming spike detector: one bucket at a time, no look-ahead, constant memory per series.

Baseline (`alerts.baseline`): level + hour-of-day + day-of-week in log1p space, robust to bursts.
Threshold: a robust z-score of the bucket against that baseline, and of the mean over the last few
buckets (a sustained rise that no single bucket proves), both against their own measured noise and
never below counting (Poisson) noise; plus `min_count`. The sustained test counts only while the bucket
itself is above the baseline: a window mean still high after the volume fell back is the echo of a
rise, not news (on NAB realTweets those echoes were false alarms). And it needs persistence: a one-sided
CUSUM of the bucket z-scores must also reach its bar, so a few clipped bursts on a modest plateau that
lift the 3-hour mean do not pass for a sustained rise. Two severities: warning and critical.
Lone bursts are measured against the brand's own record: a burst (one bucket, or a quiet brand's pile of
posts) that is no bigger, against the hour's usual volume, than the biggest the brand had lately is routine
for that brand, and so is its echo in the sustained test for the next few hours; the record relaxes a little
every day, so a brand that calms down is soon paged for smaller bursts again.
Mention counts are far burstier than Poisson, so a textbook Poisson tail pages a PR team every day;
the measured scales keep the false alarms rare while a real crisis still stands out by many scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from alerts.baseline import Baseline, BaselineState, Rates

DetectorState = BaselineState


@dataclass(frozen=True)
class DetectorSettings:
    bucket_seconds: int = 600
    baseline_seconds: int = 7 * 86400  # span of the hour-of-day profile
    warmup_seconds: int = 86400
    min_count: int = 5
    level_seconds: int = 3 * 86400  # span of the level: how fast a lasting change of volume is accepted
    window_seconds: int = 3 * 3600  # the sustained-rise test looks at the mean over this long
    window_clip: float = 6.0  # each bucket adds at most this many scales to the window's mean
    warning_z: float = 3.0  # the window's mean must stand this many scales above the baseline
    # ... and the rise must be persistent: a CUSUM of the one-bucket z (less this drift) reaches the bar.
    # Bar = 2 x (window_clip - drift): two buckets at the clip suffice, so a 10x crisis pages by its second
    # bucket (a bar of 15 scored a little better on the dev series but needs a third bucket).
    cusum_drift: float = 1.0
    cusum_bar: float = 10.0
    one_bucket_discount: float = 2.5  # or one bucket this many times that (lone bursts are common noise)
    quiet_z: float = 2.0  # an incident counts a bucket as quiet only below this many scales
    critical_z: float = 9.0  # one bucket this many scales above the baseline is critical
    quiet_expected: float = 2.0  # below this expected count, a bucket may also fire on its Poisson tail
    quiet_p: float = 1e-12  # (log-space scales cannot resolve one post from three; counting noise can)
    anomalous_rate: float = 0.05  # an anomalous bucket teaches the baseline at this fraction of the rate
    # A lone burst pages only if it beats the brand's burst record: the largest log(count / expected) seen,
    # relaxing by this much a day (0.03: a burst 2.5x smaller than the record pages again after a month).
    # Why: some brands burst to 20-60x their usual every few days (NAB realTweets AAPL); the first is news,
    # the next ones of the same size are the brand's normal. None switches the record off.
    record_relax_per_day: float | None = 0.03
    # A routine burst keeps the brand quiet until it has been calm (below `quiet_z`, the 3-hour test below its
    # bar) for `window_seconds`, and for at most this long after the burst: its decay lifts the 3-hour mean.
    routine_max_seconds: int = 6 * 3600
    routine_step_ratio: float = 1.5  # a later bucket within this factor of the routine burst: a step, not a burst


@dataclass(frozen=True)
class Verdict:
    bucket_start: datetime
    count: float
    expected: float  # the count the baseline expected for this bucket
    p_value: float  # one-sided normal tail of `score`
    severity: str | None  # None, "warning" or "critical"
    warm: bool
    score: float = 0.0  # the larger z of the bucket test and the window test
    elevated: bool = False  # still clearly above the baseline: an open incident is not quiet yet
    routine: bool = False  # a burst no bigger than the brand's recent record, or its echo: elevated, no page

    @property
    def anomalous(self) -> bool:
        return self.severity is not None


def normal_tail(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def poisson_tail(k: float, mean: float) -> float:
    """P(X >= k) for a Poisson X: summed from k upwards, so tiny tails stay exact."""
    k = math.ceil(k)
    if k <= 0:
        return 1.0
    mean = max(mean, 1e-9)
    if k <= mean:
        return max(0.0, 1.0 - sum(math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(k)))
    total, i = 0.0, k
    while True:
        term = math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1))
        total += term
        i += 1
        if term < total * 1e-12 or term == 0.0 or i > k + 10_000:
            return min(1.0, total)


class SpikeDetector:
    """Feed bucket counts in time order; each call says whether that bucket is a spike."""

    def __init__(self, settings: DetectorSettings, state: BaselineState | None = None):
        self.settings = settings
        self.window_buckets = max(1, round(settings.window_seconds / settings.bucket_seconds))
        rates = Rates.for_spans(settings.bucket_seconds, settings.level_seconds, settings.baseline_seconds,
                                settings.anomalous_rate)
        self.baseline = Baseline(rates, self.window_buckets, state, settings.window_clip, settings.cusum_drift)
        self.routine_quiet = self.window_buckets  # calm buckets that end a routine burst's aftermath
        self.routine_max = max(1, round(settings.routine_max_seconds / settings.bucket_seconds))

    @property
    def state(self) -> BaselineState:
        return self.baseline.state

    @property
    def warm(self) -> bool:
        return self.state.buckets_seen * self.settings.bucket_seconds >= self.settings.warmup_seconds

    def expected(self, bucket_start: datetime) -> float:
        """The count the baseline expects for this bucket."""
        return max(0.0, math.expm1(self.baseline.expected_log(bucket_start)))

    def _after_gap(self, bucket_start: datetime) -> bool:
        last = self.state.last_bucket
        return last is not None and bucket_start.timestamp() - last > 1.5 * self.settings.bucket_seconds

    def record(self, bucket_start: datetime) -> float:
        """The brand's burst record (log of count over expected) as of this bucket, relaxed since it was set."""
        st, relax = self.state, self.settings.record_relax_per_day
        if relax is None or st.last_bucket is None:
            return st.record
        return st.record - relax * max(0.0, bucket_start.timestamp() - st.last_bucket) / 86400.0

    def judge(self, bucket_start: datetime, count: float, weight: float = 1.0) -> Verdict:
        """The verdict for a bucket (closed or still filling) without learning from it.

        A partial bucket is judged against the whole bucket's expectation: its count can only grow, so
        a partial count that is already decisive fires now instead of at the bucket's end.
        `weight` is the bucket's mean weight per mention (reach, crisis signals; 1 = ordinary): the model
        follows `count * weight`, so buckets of unusually far-reaching or alarming posts weigh more while
        the brand's usual reach is learned as its normal. `min_count` still counts mentions.
        """
        return self._judge(bucket_start, count, weight)[0]

    def _judge(self, bucket_start: datetime, count: float,
               weight: float) -> tuple[Verdict, float, tuple[int, int, float]]:
        """The verdict, this bucket's residual, and the routine state after it (`_routine`)."""
        s = self.settings
        value = max(count, 0.0) * max(weight, 0.0)
        y = math.log1p(value)
        expected_log = self.baseline.expected_log(bucket_start)
        expected = max(0.0, math.expm1(expected_log))
        one_sd, window_sd = self.baseline.scales(expected)
        residual = y - expected_log
        z_one = residual / one_sd
        z_window = 0.0
        echo = False  # the window mean is still high but this bucket is not: keeps an incident open, opens none
        after_gap = self._after_gap(bucket_start)
        if self.window_buckets > 1 and not after_gap:
            z_window = self.baseline.window_mean(residual, one_sd) / window_sd
            z_window = min(z_window, self.baseline.cusum_next(residual, one_sd) / s.cusum_bar * s.warning_z)
            if residual <= 0:
                echo, z_window = z_window >= s.warning_z and count >= s.min_count, 0.0
        severity = None
        score = max(z_one / s.one_bucket_discount, z_window)
        quiet_tail = poisson_tail(value, expected) if expected < s.quiet_expected else 1.0
        if count >= s.min_count and quiet_tail < s.quiet_p:
            score = max(score, s.warning_z)  # a quiet brand's burst is decisive on counts alone
        lone = count >= s.min_count and (z_one / s.one_bucket_discount >= s.warning_z or quiet_tail < s.quiet_p)
        busy = z_one >= s.quiet_z or echo or z_window >= s.warning_z
        left, age, peak = self._routine(bucket_start, residual, lone, busy, after_gap)
        if left:
            score = 0.0  # the brand's routine burst or its echo: no page
        if self.warm and count >= s.min_count and score >= s.warning_z:
            critical = z_one >= s.critical_z or quiet_tail < s.quiet_p ** 2
            critical = critical and count >= 2 * s.min_count
            severity = "critical" if critical else "warning"
        verdict = Verdict(bucket_start, count, round(expected, 4), normal_tail(score), severity, self.warm,
                          round(score, 3), z_one >= s.quiet_z or echo or left > 0, left > 0)
        return verdict, residual, (left, age, peak)

    def _routine(self, bucket_start: datetime, residual: float, lone: bool, busy: bool,
                 after_gap: bool) -> tuple[int, int, float]:
        """(buckets of routine aftermath left after this one, buckets since the routine burst, its size).

        A lone burst that beats the record is news and ends any routine. One that does not is routine, unless
        the bucket before it was already anomalous: the record never silences a story that is already running.
        A burst decays; volume that holds within `routine_step_ratio` of the burst's size is a step, not a
        burst, and is judged as before. Otherwise the routine lasts until `routine_quiet` calm buckets (`busy`
        false) passed, and at most `routine_max` buckets after the burst, so a rise that follows a routine
        burst is paged at most that much later. After a gap in the series nothing before it counts.
        """
        s, st = self.settings, self.state
        if s.record_relax_per_day is None or (lone and residual >= self.record(bucket_start)):
            return 0, 0, 0.0
        left, age, alarm_run = (0, 0, 0) if after_gap else (st.routine_left, st.routine_age, st.alarm_run)
        if left > 0 and age + 1 < self.routine_max:
            if residual >= st.routine_peak - math.log(s.routine_step_ratio):
                return 0, 0, 0.0  # it holds: a step, not a burst
            return (self.routine_quiet if busy else left - 1), age + 1, st.routine_peak
        if lone and alarm_run == 0:
            return self.routine_quiet, 0, residual
        return 0, 0, 0.0

    def update(self, bucket_start: datetime, count: float, weight: float = 1.0) -> Verdict:
        """Judge a closed bucket, then learn from it (an anomaly only a little)."""
        verdict, residual, routine = self._judge(bucket_start, count, weight)
        st = self.state
        if self.settings.record_relax_per_day is not None:
            record = self.record(bucket_start)
            st.record = max(record, residual) if self.warm else record
            st.routine_left, st.routine_age, st.routine_peak = routine
            st.alarm_run = st.alarm_run + 1 if verdict.anomalous else 0
        if self._after_gap(bucket_start):
            self.baseline.forget_recent()
        value = max(count, 0.0) * max(weight, 0.0)
        # a routine burst teaches the baseline only a trickle too: a crisis that starts below the record
        # must not become the brand's normal while it is routine
        self.baseline.learn(bucket_start, math.log1p(value), anomalous=verdict.anomalous or verdict.routine)
        return verdict
