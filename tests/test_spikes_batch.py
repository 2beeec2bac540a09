"""The many-brands detector (numpy) must be the same model as the per-brand one, bucket by bucket."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np

from alerts.batch import BatchDetector
from alerts.spikes import DetectorSettings, SpikeDetector

START = datetime(2026, 11, 16, tzinfo=UTC)
BUCKET = timedelta(minutes=10)


def test_batch_and_per_brand_detectors_agree() -> None:
    settings = DetectorSettings()
    rng = random.Random(1)
    brands, steps = 12, 4 * 144
    sizes = [0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 300, 1000, 3]
    counts = np.zeros((steps, brands))
    for b in range(brands):
        for t in range(steps):
            hour = (START + t * BUCKET).hour
            rate = sizes[b] * (0.3 + 1.4 * math.sin(math.pi * hour / 24) ** 2)
            if 3 * 144 + 10 <= t < 3 * 144 + 20 and b % 3 == 0:
                rate *= 12  # an incident in every third brand
            counts[t, b] = np.random.default_rng(rng.randrange(10**9)).poisson(rate)
    batch = BatchDetector(settings, brands)
    singles = [SpikeDetector(settings) for _ in range(brands)]
    flags_batch, flags_single, expected_diff = [], [], 0.0
    for t in range(steps):
        when = START + t * BUCKET
        anomalous, _, expected = batch.update(when, counts[t])
        verdicts = [d.update(when, counts[t, b]) for b, d in enumerate(singles)]
        flags_batch.append(anomalous.tolist())
        flags_single.append([v.anomalous for v in verdicts])
        expected_diff = max(expected_diff, max(abs(v.expected - e) / (1 + e) for v, e in zip(verdicts, expected,
                                                                                                 strict=True)))
    assert flags_batch == flags_single
    assert expected_diff < 1e-3  # the single detector rounds its expectation to 4 decimals
    assert np.allclose(batch.cusum, [d.state.cusum for d in singles])  # the persistence state too
    assert any(any(row) for row in flags_batch[3 * 144:])  # the incidents were seen by both


def test_batch_and_per_brand_detectors_agree_with_weights() -> None:
    settings = DetectorSettings()
    rng = np.random.default_rng(3)
    brands, steps = 6, 3 * 144
    counts = rng.poisson([0.3, 2, 8, 30, 100, 5], size=(steps, brands)).astype(float)
    weights = rng.lognormal(0.0, 0.3, size=(steps, brands))
    weights[2 * 144 + 5: 2 * 144 + 8, ::2] = 9.0  # far-reaching posts in every other brand
    batch = BatchDetector(settings, brands)
    singles = [SpikeDetector(settings) for _ in range(brands)]
    flags_batch, flags_single = [], []
    for t in range(steps):
        when = START + t * BUCKET
        anomalous, _, _ = batch.update(when, counts[t], weights[t])
        flags_batch.append(anomalous.tolist())
        flags_single.append([d.update(when, counts[t, b], weights[t, b]).anomalous for b, d in enumerate(singles)])
    assert flags_batch == flags_single
    assert any(any(row) for row in flags_batch[2 * 144:])
