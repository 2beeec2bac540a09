"""The optional long-horizon test (`DetectorSettings.long_*`): off by default, the same in the batch detector."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from alerts.batch import BatchDetector
from alerts.spikes import DetectorSettings, SpikeDetector
from tests.sampling import poisson

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=10)
DAY = 144
DETECTOR = DetectorSettings(bucket_seconds=600, warmup_seconds=86400, min_count=5)


def day_rate(t: int, size: float) -> float:
    hour = (START + t * BUCKET).hour
    return size * (0.4 + 1.2 * math.sin(math.pi * hour / 24) ** 2)


def test_the_long_horizon_test_is_off_by_default() -> None:
    assert DetectorSettings().long_seconds is None
    detector = SpikeDetector(DETECTOR)
    rng = random.Random(2)
    for t in range(3 * DAY):
        detector.update(START + t * BUCKET, float(poisson(rng, day_rate(t, 10.0))))
    assert detector.state.long == 0.0


@pytest.mark.parametrize(("kind", "learns"), [("ewma", False), ("cusum", False), ("scaled", False), ("ewma", True)])
def test_batch_and_per_brand_detectors_agree_with_the_long_horizon_test(kind: str, learns: bool) -> None:
    settings = replace(DETECTOR, long_seconds=6 * 3600, long_kind=kind, long_clip=3.0, long_drift=0.5,
                       long_bar={"ewma": 0.6, "cusum": 20.0, "scaled": 3.0}[kind], long_learns=learns)
    rng = random.Random(5)
    brands, steps = 6, 4 * DAY
    sizes = [0.5, 3, 10, 30, 100, 10]
    counts = np.zeros((steps, brands))
    for b in range(brands):
        for t in range(steps):
            rate = day_rate(t, sizes[b])
            if 3 * DAY + 6 <= t < 3 * DAY + 42 and b % 2 == 0:
                rate *= 2.5  # a moderate six-hour rise in every other brand
            counts[t, b] = poisson(rng, rate)
    batch = BatchDetector(settings, brands)
    singles = [SpikeDetector(settings) for _ in range(brands)]
    for t in range(steps):
        when = START + t * BUCKET
        anomalous, _, _ = batch.update(when, counts[t])
        assert anomalous.tolist() == [d.update(when, counts[t, b]).anomalous for b, d in enumerate(singles)]
    assert np.allclose(batch.long, [d.state.long for d in singles])
    assert np.allclose(batch.long_mad, [d.state.long_mad for d in singles])
    assert np.allclose(batch.cusum, [d.state.cusum for d in singles])


def test_a_slow_burn_rise_trips_the_long_test_where_the_default_does_not() -> None:
    """What the test is for (not shipped, see bench/README.md): 1.5x held for 16 hours on a brand of about ten
    posts a bucket, which the 3-hour test never pages (2x and more it does, with or without the long test)."""
    rng = random.Random(8)
    rise = range(3 * DAY + 36, 3 * DAY + 132)
    counts = [float(poisson(rng, day_rate(t, 10.0) * (1.5 if t in rise else 1.0))) for t in range(5 * DAY)]
    long = replace(DETECTOR, long_seconds=24 * 3600, long_clip=1.5, long_bar=0.5)
    flags = {}
    for name, settings in (("default", DETECTOR), ("long", long)):
        detector = SpikeDetector(settings)
        flags[name] = [detector.update(START + t * BUCKET, c).anomalous for t, c in enumerate(counts)]
    assert not any(flags["default"]) and not any(flags["long"][:rise.start])
    assert sum(flags["long"][rise.start:rise.stop]) >= 10
