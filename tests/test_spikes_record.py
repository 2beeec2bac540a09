"""The burst record: a lone burst no bigger than the brand's recent biggest is routine, a bigger one is news."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from alerts.baseline import BaselineState
from alerts.batch import BatchDetector
from alerts.evaluate import BucketCount, evaluate_brand
from alerts.incidents import IncidentSettings
from alerts.series import detect_series
from alerts.spikes import DetectorSettings, SpikeDetector
from tests.sampling import poisson

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=10)
DAY = 144
DETECTOR = DetectorSettings(bucket_seconds=600, warmup_seconds=86400, min_count=5)
NO_COOLDOWN = IncidentSettings(resolve_after_buckets=6, open_horizon_seconds=3600, cooldown_seconds=0)



def steady(days: int, seed: int = 21) -> list[float]:
    rng = random.Random(seed)
    return [float(poisson(rng, 10.0)) for _ in range(days * DAY)]


def points(values: list[float]) -> list[tuple[datetime, float, str]]:
    return [((START + i * BUCKET).replace(tzinfo=None), v, str(i)) for i, v in enumerate(values)]


def burst(values: list[float], at: int, shape: list[float]) -> list[float]:
    out = list(values)
    out[at:at + len(shape)] = shape
    return out


def pages(values: list[float], detector: DetectorSettings = DETECTOR) -> list[int]:
    return [int(a["timestamp"]) for a in detect_series(points(values), detector, NO_COOLDOWN)]


BIG = [600.0, 150.0, 60.0, 30.0]  # 60x the usual for one bucket, then a decay
SMALLER = [250.0, 90.0, 50.0, 30.0, 25.0, 20.0]  # 25x: a lone burst on its own, with a longer tail


def test_a_burst_no_bigger_than_the_brands_recent_record_is_routine_but_a_bigger_one_pages() -> None:
    first, again, bigger = 3 * DAY, 4 * DAY, 5 * DAY
    values = burst(burst(steady(6), first, BIG), again, SMALLER)
    assert pages(burst(steady(6), again, SMALLER)) == [again]  # alone, the smaller burst is news
    assert pages(values) == [first]  # after a bigger one the day before it is routine, tail included
    assert pages(values, replace(DETECTOR, record_relax_per_day=None)) == [first, again]  # without the record
    values = burst(values, bigger, [2000.0, 300.0])
    assert pages(values) == [first, bigger]  # a new record is news


def test_the_routine_burst_stays_elevated_and_learns_only_a_trickle() -> None:
    values = burst(burst(steady(5), 3 * DAY, BIG), 4 * DAY, SMALLER)
    detector = SpikeDetector(DETECTOR)
    verdicts = [detector.update(when, v) for when, v, _ in points(values)]
    routine = verdicts[4 * DAY]
    assert routine.routine and routine.elevated and not routine.anomalous  # keeps an open incident open
    assert all(v.routine for v in verdicts[4 * DAY: 4 * DAY + len(SMALLER)])  # its tail is the same burst
    assert not verdicts[4 * DAY + DAY // 2].routine  # half a day later it is over
    expected_after = detector.expected(START + 5 * DAY * BUCKET - BUCKET)
    assert expected_after < 14  # the brand's usual 10 a bucket was not raised by the routine burst


def test_the_record_relaxes_so_a_brand_that_calmed_down_is_paged_again() -> None:
    fast = replace(DETECTOR, record_relax_per_day=1.0)  # a day's relaxing takes log(e) off the record
    values = burst(steady(8), 3 * DAY, BIG)
    soon = burst(values, 3 * DAY + 30, SMALLER)  # 5 hours later: routine
    later = burst(values, 6 * DAY, SMALLER)  # 3 days later the record has relaxed below 25x: news
    assert pages(soon, fast) == [3 * DAY]
    assert pages(later, fast) == [3 * DAY, 6 * DAY]


def test_a_sustained_rise_after_a_routine_burst_still_pages_within_routine_max() -> None:
    """The record silences lone bursts and their echo, not a story: a rise that stays up pages, at the
    latest `routine_max_seconds` after the routine burst."""
    at = 4 * DAY
    values = burst(steady(6), 3 * DAY, BIG)
    rise = burst(values, at, SMALLER + [40.0] * 8 * 6)  # a routine burst, then 8 hours at 4x
    got = pages(rise)
    limit = at + DETECTOR.routine_max_seconds // DETECTOR.bucket_seconds
    assert got[0] == 3 * DAY and len(got) == 2 and at < got[1] <= limit


def test_a_step_is_not_a_burst_and_a_running_story_is_never_made_routine() -> None:
    """A burst decays; volume that holds at the burst's level is a step. Its first bucket looks like any
    burst (routine below the record), its second one pages, and from then on the story runs: hour 24 of the
    crisis still pages though no bucket beats the record the brand set two days before."""
    detector = SpikeDetector(DETECTOR)
    values = burst(steady(4), 2 * DAY, [3000.0])  # a record of 300x
    rng = random.Random(11)
    values += [float(poisson(rng, 150.0)) for _ in range(DAY)]  # a day at 15x
    verdicts = [detector.update(when, v) for when, v, _ in points(values)]
    crisis = verdicts[4 * DAY:]
    assert crisis[0].routine and not crisis[0].anomalous
    assert all(v.anomalous and not v.routine for v in crisis[1:])
    assert pages(values) == [2 * DAY, 4 * DAY + 1]


def test_a_restart_mid_routine_burst_gives_the_same_verdicts() -> None:
    values = burst(burst(steady(5), 3 * DAY, BIG), 4 * DAY, SMALLER)
    whole = SpikeDetector(DETECTOR)
    expected = [whole.update(when, v) for when, v, _ in points(values)]
    first = SpikeDetector(DETECTOR)
    split = 4 * DAY + 2  # inside the routine burst's aftermath
    got = [first.update(when, v) for when, v, _ in points(values)[:split]]
    assert first.state.routine_left > 0
    saved = json.dumps(first.state.to_dict())
    second = SpikeDetector(DETECTOR, BaselineState.from_dict(json.loads(saved)))
    got += [second.update(when, v) for when, v, _ in points(values)[split:]]
    assert got == expected


def test_batch_detector_keeps_the_same_record_and_routine() -> None:
    brands = 4
    columns = [burst(burst(steady(5, seed=b), 3 * DAY, BIG), 4 * DAY + 7 * b, SMALLER) for b in range(brands)]
    columns[3] = steady(5, seed=3)  # one brand without bursts
    counts = np.array(columns).T
    batch = BatchDetector(DETECTOR, brands)
    singles = [SpikeDetector(DETECTOR) for _ in range(brands)]
    routine_seen = False
    for t in range(counts.shape[0]):
        when = START + t * BUCKET
        anomalous, _, _ = batch.update(when, counts[t])
        verdicts = [d.update(when, counts[t, b]) for b, d in enumerate(singles)]
        assert anomalous.tolist() == [v.anomalous for v in verdicts]
        assert batch.routine_left.tolist() == [d.state.routine_left for d in singles]
        routine_seen = routine_seen or any(v.routine for v in verdicts)
    assert np.allclose(batch.record, [d.state.record for d in singles])
    assert routine_seen


def test_the_live_job_treats_a_routine_burst_as_listener_detect_does() -> None:
    values = burst(burst(steady(5), 3 * DAY, BIG), 4 * DAY, SMALLER)
    end = 4 * DAY + 2  # the routine burst and one bucket of its tail are closed
    buckets = [BucketCount(START + i * BUCKET, int(v), 3 * int(v) + 1) for i, v in enumerate(values[:end])]
    now = START + end * BUCKET + timedelta(minutes=1)
    cursor = START + (4 * DAY - 1) * BUCKET  # everything before the routine burst was already handled
    settings = IncidentSettings(resolve_after_buckets=6, open_horizon_seconds=3600)
    routine = evaluate_brand("b", buckets, incident=None, cursor=cursor, now=now, detector=DETECTOR,
                             settings=settings)
    assert routine.event is None and routine.incident is None
    news = evaluate_brand("b", buckets, incident=None, cursor=cursor, now=now,
                          detector=replace(DETECTOR, record_relax_per_day=None), settings=settings)
    assert news.event == "incident.opened"
