"""Throughput and memory: 10,000 brands x one year of 10-minute buckets through the spike detector.

Synthetic but realistic counts: each brand has its own size (log-normal, median 2 negatives a bucket),
a daily rhythm (quiet nights, busy evenings), a weekly one, Poisson noise, and a few injected
incidents. The year runs through `alerts.batch.BatchDetector` (all brands, one numpy step a bucket).
Baseline in the same run: the per-brand `SpikeDetector` (plain Python) on a sample of brands, scaled
to the same work; the sample also checks that both give the same verdicts.

Run: `.venv/bin/python bench/detector_bench.py [--brands 10000] [--days 365]` (about a minute or two).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.batch import BatchDetector
from alerts.spikes import DetectorSettings, SpikeDetector

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=10)


def rhythm(when: datetime) -> float:
    hour = when.hour + when.minute / 60
    daily = 0.25 + 1.5 * max(0.0, math.sin(math.pi * (hour - 6) / 18)) ** 2
    return daily * (0.7 if when.weekday() >= 5 else 1.0)


def counts_for(rng: np.random.Generator, sizes: np.ndarray, when: datetime, boost: np.ndarray) -> np.ndarray:
    return rng.poisson(sizes * rhythm(when) * boost).astype(float)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brands", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sample", type=int, default=20, help="brands also run through SpikeDetector")
    args = parser.parse_args(argv)
    settings = DetectorSettings()
    steps = args.days * 144
    rng = np.random.default_rng(7)
    sizes = np.exp(rng.normal(math.log(2.0), 1.0, args.brands))
    # incidents: about one a brand a quarter, two hours at eight times the usual volume
    incident_starts = rng.integers(144, steps, size=(args.brands, max(1, args.days // 90)))
    detector = BatchDetector(settings, args.brands)
    sample = [SpikeDetector(settings) for _ in range(min(args.sample, args.brands))]
    sample_counts = np.zeros((steps, len(sample)))
    batch_flags = np.zeros((steps, len(sample)), dtype=bool)
    alerts = 0
    boost = np.ones(args.brands)
    started = time.perf_counter()
    for step in tqdm(range(steps), desc="buckets", unit="bucket", file=sys.stderr, mininterval=2):
        when = START + step * BUCKET
        boost[:] = 1.0
        boost[((incident_starts <= step) & (step < incident_starts + 12)).any(axis=1)] = 8.0
        counts = counts_for(rng, sizes, when, boost)
        anomalous, _, _ = detector.update(when, counts)
        alerts += int(anomalous.sum())
        sample_counts[step] = counts[: len(sample)]
        batch_flags[step] = anomalous[: len(sample)]
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    agree = 0
    for j, spike in enumerate(sample):
        for step in range(steps):
            verdict = spike.update(START + step * BUCKET, sample_counts[step, j])
            agree += verdict.anomalous == batch_flags[step, j]
    scalar_seconds = time.perf_counter() - started
    scalar_per_bucket = scalar_seconds / (steps * len(sample))
    scalar_estimate = scalar_per_bucket * steps * args.brands
    state_json = len(json.dumps(sample[0].state.to_dict()))
    figures = {
        "bench": "detector_throughput", "brands": args.brands, "days": args.days, "buckets": steps * args.brands,
        "seconds": round(batch_seconds, 1), "buckets_per_s": round(steps * args.brands / batch_seconds),
        "state_bytes_per_brand": round(detector.nbytes() / args.brands), "state_json_bytes_per_brand": state_json,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "anomalous_buckets": alerts,
        "baseline": "SpikeDetector per brand (plain Python), measured on a sample",
        "baseline_us_per_bucket": round(scalar_per_bucket * 1e6, 2),
        "baseline_seconds_estimated": round(scalar_estimate), "ratio": round(scalar_estimate / batch_seconds, 1),
        "sample_verdict_agreement": round(agree / (steps * len(sample)), 6),
    }
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
