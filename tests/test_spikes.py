"""The spike detector and incident lifecycle under rhythm, gaps, long crises, restarts and arbitrary input."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.baseline import BaselineState
from alerts.evaluate import BucketCount, evaluate_brand
from alerts.incidents import IncidentSettings
from alerts.series import detect_series
from alerts.spikes import DetectorSettings, SpikeDetector
from alerts.types import severity_rank
from listener.store import Store
from tests.sampling import poisson

START = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=10)
DETECTOR = DetectorSettings(bucket_seconds=600, warmup_seconds=86400, min_count=5)
WARM = 144  # buckets in the one-day warm-up
INCIDENTS = IncidentSettings(resolve_after_buckets=6, open_horizon_seconds=3600)



def daily_rate(when: datetime) -> float:
    """Quiet nights (about 1 a bucket), busy evenings (about 25): a 25-fold daily rhythm."""
    return 1.0 + 24.0 * max(0.0, math.sin(math.pi * (when.hour + when.minute / 60 - 6) / 18)) ** 2


def rhythmic(days: int, seed: int = 3) -> list[BucketCount]:
    rng = random.Random(seed)
    out = []
    for i in range(days * 144):
        when = START + i * BUCKET
        n = poisson(rng, daily_rate(when))
        out.append(BucketCount(when, n, 3 * n + 1))
    return out


def test_daily_rhythm_is_expected_but_a_night_burst_is_not() -> None:
    series = rhythmic(8)
    detector = SpikeDetector(DETECTOR)
    verdicts = [detector.update(b.start, b.negative) for b in series[: 7 * 144]]
    assert not any(v.anomalous for v in verdicts[144:])  # a week of busy evenings never pages anyone
    evening = detector.expected(START + timedelta(days=7, hours=19))
    night = detector.expected(START + timedelta(days=7, hours=3))
    assert evening > 5 * night  # the baseline learned the rhythm
    # The evening's normal volume at 3 a.m., for an hour, is a spike.
    burst = [detector.update(START + timedelta(days=7, hours=3) + k * BUCKET, 24) for k in range(6)]
    assert any(v.anomalous for v in burst)


def test_gap_in_a_series_neither_alerts_nor_blinds_the_detector() -> None:
    rng = random.Random(5)
    points = []
    for i in range(4 * 144):
        if 2 * 144 <= i < 2 * 144 + 36:
            continue  # six hours with no rows at all (collector down)
        when = START + i * BUCKET
        points.append((when.replace(tzinfo=None), float(poisson(rng, 8.0)), when.isoformat()))
    assert list(detect_series(points, DETECTOR, INCIDENTS)) == []
    spike_at = START + 4 * 144 * BUCKET
    points += [((spike_at + k * BUCKET).replace(tzinfo=None), 90.0, (spike_at + k * BUCKET).isoformat())
               for k in range(3)]
    alerts = list(detect_series(points, DETECTOR, INCIDENTS))
    assert [a["event"] for a in alerts][:1] == ["opened"]
    # ten times the usual volume: caught in its first or second bucket (a lone bucket needs 7.5 scales)
    assert alerts[0]["timestamp"] in (spike_at.isoformat(), (spike_at + BUCKET).isoformat())


def test_quiet_brand_ignores_a_few_posts_but_not_a_pile() -> None:
    rng = random.Random(9)
    detector = SpikeDetector(DETECTOR)
    for i in range(3 * 144):
        detector.update(START + i * BUCKET, poisson(rng, 0.05))
    at = START + 3 * 144 * BUCKET
    assert not detector.judge(at, 3).anomalous  # below min_count: never a page
    assert detector.judge(at, 12).anomalous


def test_day_long_crisis_does_not_become_the_new_normal() -> None:
    rng = random.Random(11)
    detector = SpikeDetector(DETECTOR)
    for i in range(4 * 144):
        detector.update(START + i * BUCKET, poisson(rng, 20.0))
    before = detector.expected(START + 4 * 144 * BUCKET)
    crisis = [detector.update(START + (4 * 144 + k) * BUCKET, poisson(rng, 120.0)) for k in range(144)]
    assert all(v.anomalous for v in crisis[6:])  # hour 24 of the crisis is still a crisis
    assert detector.expected(START + 5 * 144 * BUCKET) < 1.5 * before


def test_detector_state_survives_a_restart_exactly() -> None:
    series = rhythmic(3, seed=8)
    continuous = SpikeDetector(DETECTOR)
    expected = [continuous.update(b.start, b.negative) for b in series]
    first = SpikeDetector(DETECTOR)
    got = [first.update(b.start, b.negative) for b in series[:300]]
    saved = json.dumps(first.state.to_dict())  # what a store would keep
    second = SpikeDetector(DETECTOR, BaselineState.from_dict(json.loads(saved)))
    got += [second.update(b.start, b.negative) for b in series[300:]]
    assert got == expected


def replay(series: list[BucketCount], store: Store | None = None, restart_at: set[int] | None = None,
           growth: list[int] | None = None) -> list[tuple[str, str, str]]:
    """Run detection once a bucket (now = a minute into the next), like the daemon: (event, id, severity)."""
    incident, cursor, events = None, None, []
    for i in range(WARM, len(series)):  # nothing can alert before the warm-up is over
        now = series[i].start + timedelta(minutes=1)
        window = series[max(0, i - WARM - 30): i + 1]
        if store is not None and restart_at and i in restart_at:
            incident, cursor = store.active_incident("b"), store.detector_cursor("b")  # a fresh process
        result = evaluate_brand("b", window, incident=incident, cursor=cursor, now=now, detector=DETECTOR,
                                settings=INCIDENTS)
        if result.incident is not None and result.changed:
            incident = result.incident
            if store is not None:
                store.save_incident(incident)
        cursor = result.cursor
        if store is not None:
            store.save_detector_cursor("b", cursor, now)
        if incident is not None and not incident.is_active:
            incident = None
        if result.event:
            events.append((result.event, result.incident.incident_id, result.incident.severity))
    return events


def spiky(counts: list[int], seed: int = 2) -> list[BucketCount]:
    rng = random.Random(seed)
    base = [poisson(rng, 0.5) for _ in range(WARM + 10)]
    return [BucketCount(START + i * BUCKET, n, n * 2 + 1) for i, n in enumerate(base + counts)]


def test_restart_mid_incident_with_stored_state_sends_nothing_twice(tmp_path) -> None:
    crisis = [15, 25, 30, 30, 28, 30, 26] + [0] * 12
    series = spiky(crisis)
    store = Store(tmp_path / "listener.db")
    start = WARM + 10
    restarted = replay(series, store=store, restart_at={start + 2, start + 3, start + 9})
    store.close()
    assert [(e, sev) for e, _, sev in restarted] == [(e, sev) for e, _, sev in replay(series)]
    names = [e for e, _, _ in restarted]
    assert names[0] == "incident.opened" and names[-1] == "incident.resolved"
    assert names.count("incident.opened") == 1 and len({i for _, i, _ in restarted}) == 1


def test_escalation_only_on_material_growth_and_a_resolution_notice() -> None:
    for crisis in ([20, 22, 24, 21, 23, 22], [12, 13, 12, 13, 12], [9, 60, 200, 400]):
        events = replay(spiky(crisis + [0] * 10))
        names = [e for e, _, _ in events]
        assert names[0] == "incident.opened" and names[-1] == "incident.resolved"  # a resolution notice
        assert names.count("incident.opened") == 1 and names.count("incident.resolved") == 1
        # a re-notification only when the negatives doubled since the last one (or it turned critical)
        doublings = math.floor(math.log2(sum(crisis) / crisis[0])) if crisis[0] else 0
        assert names.count("incident.escalated") <= doublings + 1


def test_steady_small_overshoot_does_not_re_notify() -> None:
    events = replay(spiky([30] + [2] * 30 + [0] * 10))
    assert [e for e, _, _ in events] == ["incident.opened", "incident.resolved"]


counts = st.lists(st.one_of(st.integers(0, 2), st.integers(0, 400)), min_size=10, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tail=counts, seed=st.integers(0, 1000))
def test_no_input_alerts_twice_for_one_incident(tail: list[int], seed: int) -> None:
    events = replay(spiky(tail, seed))
    seen: dict[str, list[tuple[str, str]]] = {}
    for event, incident_id, severity in events:
        seen.setdefault(incident_id, []).append((event, severity))
    for history in seen.values():
        names = [e for e, _ in history]
        assert names.count("incident.opened") == 1 and names[0] == "incident.opened"
        assert names.count("incident.resolved") <= 1
        if "incident.resolved" in names:
            assert names[-1] == "incident.resolved"
    # incidents never overlap: the next one opens only after the previous resolved
    open_now = None
    for event, incident_id, _ in events:
        if event == "incident.opened":
            assert open_now is None
            open_now = incident_id
        elif event == "incident.resolved":
            assert open_now == incident_id
            open_now = None


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=300))
def test_detect_series_never_repeats_an_episode(values: list[float]) -> None:
    points = [((START + i * BUCKET).replace(tzinfo=None), v, str(i)) for i, v in enumerate(values)]
    alerts = list(detect_series(points, replace(DETECTOR, warmup_seconds=3600), INCIDENTS))
    last_rank, peak = 0, 0.0
    for alert in alerts:
        rank = severity_rank(alert["severity"])
        if alert["event"] == "opened":
            last_rank, peak = rank, alert["value"]
        else:
            # escalation only when it got worse and materially bigger than anything alerted on
            assert alert["event"] == "escalated" and rank > last_rank
            assert alert["value"] >= INCIDENTS.growth_factor * peak
            last_rank, peak = rank, max(peak, alert["value"])


def steady_points(days: int, seed: int = 21) -> list[tuple[datetime, float, str]]:
    rng = random.Random(seed)
    return [((START + i * BUCKET).replace(tzinfo=None), float(poisson(rng, 10.0)), str(i)) for i in range(days * 144)]


def with_burst(points: list[tuple[datetime, float, str]], at: int, values: list[float]):
    out = list(points)
    for k, value in enumerate(values):
        when, _, label = out[at + k]
        out[at + k] = (when, value, label)
    return out


def test_a_flare_within_the_cooldown_is_the_same_story_but_a_later_one_is_news() -> None:
    points = steady_points(6)
    first, again = 3 * 144, 3 * 144 + 30  # again: 5 hours after the first
    later = again + 2 * 144  # over a day after the flare ended (the sustained-rise window keeps it 3 h)
    points = with_burst(points, first, [120.0] * 3)
    points = with_burst(points, again, [120.0] * 3)  # resolved after an hour of quiet, then flares again
    no_cooldown = replace(INCIDENTS, cooldown_seconds=0)
    no_record = replace(DETECTOR, record_relax_per_day=None)
    assert [a["timestamp"] for a in detect_series(points, no_record, no_cooldown)] == [str(first), str(again)]
    assert [a["timestamp"] for a in detect_series(points, no_record, INCIDENTS)] == [str(first)]
    # the burst record alone: the same flare's first bucket is routine for the brand, but the flare holds
    # (a step, not a lone burst), so it pages one bucket later; the cooldown keeps it the same story
    assert [a["timestamp"] for a in detect_series(points, DETECTOR, no_cooldown)] == [str(first), str(again + 1)]
    assert [a["timestamp"] for a in detect_series(points, DETECTOR, INCIDENTS)] == [str(first)]
    points = with_burst(points, later, [120.0] * 3)  # a new story
    alerts = list(detect_series(points, DETECTOR, INCIDENTS))
    assert [(a["timestamp"], a["event"]) for a in alerts] == [(str(first), "opened"), (str(later), "opened")]


def test_a_much_worse_flare_within_the_cooldown_still_escalates() -> None:
    points = with_burst(steady_points(5), 3 * 144, [60.0] * 3)
    points = with_burst(points, 3 * 144 + 30, [4000.0])  # critical and far more than twice the first peak
    alerts = list(detect_series(points, DETECTOR, INCIDENTS))
    assert [(a["event"], a["severity"]) for a in alerts] == [("opened", "warning"), ("escalated", "critical")]


def test_live_cooldown_needs_the_previous_incident_and_lets_a_much_worse_spike_through() -> None:
    rng = random.Random(4)
    buckets = [BucketCount(START + i * BUCKET, poisson(rng, 10.0), 40) for i in range(3 * 144 + 1)]
    spike_at = buckets[-3].start
    buckets[-3:] = [BucketCount(b.start, 120, 150) for b in buckets[-3:]]
    now = buckets[-1].start + BUCKET + timedelta(minutes=1)
    base = evaluate_brand("b", buckets, incident=None, cursor=None, now=now, detector=DETECTOR, settings=INCIDENTS)
    assert base.event == "incident.opened"
    previous = replace(base.incident, status="resolved", resolved_at=spike_at - timedelta(hours=3),
                       severity="warning", peak_bucket_negative=100)
    cooled = evaluate_brand("b", buckets, incident=None, cursor=None, now=now, detector=DETECTOR,
                            settings=INCIDENTS, previous=previous)
    assert cooled.event is None and cooled.incident is None  # the same story three hours later: no page
    long_ago = replace(previous, resolved_at=spike_at - timedelta(days=2))
    assert evaluate_brand("b", buckets, incident=None, cursor=None, now=now, detector=DETECTOR,
                          settings=INCIDENTS, previous=long_ago).event == "incident.opened"
    buckets[-3:] = [BucketCount(b.start, 4000, 4100) for b in buckets[-3:]]  # critical, 40x the old peak: news
    worse = evaluate_brand("b", buckets, incident=None, cursor=None, now=now, detector=DETECTOR,
                           settings=INCIDENTS, previous=previous)
    assert worse.event == "incident.opened" and worse.incident.severity == "critical"


def test_weight_makes_far_reaching_posts_count_and_defaults_to_plain_counts() -> None:
    rng = random.Random(6)
    plain, weighted = SpikeDetector(DETECTOR), SpikeDetector(DETECTOR)
    for i in range(3 * 144):
        n = poisson(rng, 10.0)
        assert plain.update(START + i * BUCKET, n) == weighted.update(START + i * BUCKET, n, 1.0)
    at = START + 3 * 144 * BUCKET
    assert not plain.judge(at, 16).anomalous  # 16 where 10 is usual: noise
    assert plain.judge(at, 16, weight=8.0).anomalous  # the same 16 posts, each reaching 8x the usual audience
    assert not plain.judge(at, 3, weight=100.0).anomalous  # min_count still counts mentions, not reach


def test_the_echo_of_a_rise_keeps_an_incident_open_but_never_opens_one() -> None:
    """After a rise, the 3-hour mean stays high while the volume is already back: that echo is no news."""
    points = steady_points(4)
    at = 3 * 144
    points = with_burst(points, at, [60.0] * 6)  # an hour at 6x: the sustained-rise test is high for hours
    detector = SpikeDetector(DETECTOR)
    for when, value, _ in points[:at + 6]:
        detector.update(when, value)
    when = points[at + 6][0]
    expected = detector.expected(when)
    above = detector.judge(when, math.ceil(expected * 1.3))  # a little above the baseline: the rise goes on
    below = detector.judge(when, math.floor(expected))  # back at the baseline
    assert above.anomalous and above.score >= DETECTOR.warning_z
    assert not below.anomalous and below.elevated  # not quiet either: an open incident stays open
    no_cooldown = replace(INCIDENTS, cooldown_seconds=0)
    alerts = list(detect_series(points, DETECTOR, no_cooldown))
    assert len(alerts) == 1 and at <= int(alerts[0]["timestamp"]) < at + 6  # one page, however the echo flickers


def test_a_sustained_rise_must_persist_not_just_lift_the_three_hour_mean() -> None:
    """Every fourth bucket at 3x for three hours lifts the window's mean past its bar, but in between the
    volume is normal: the CUSUM of the bucket z-scores never builds up, so nobody is paged. Volume that
    stays doubled does build it up and pages."""
    at, base = 4 * 144, steady_points(6)
    no_cooldown = replace(INCIDENTS, cooldown_seconds=0)
    without_cusum = replace(DETECTOR, cusum_drift=-1e9)  # every bucket adds: the bare 3-hour-mean test
    sparse = with_burst(base, at, [30.0 if k % 4 == 0 else base[at + k][1] for k in range(36)])
    assert [a["timestamp"] for a in detect_series(sparse, without_cusum, no_cooldown)]  # the mean alone pages
    assert list(detect_series(sparse, DETECTOR, no_cooldown)) == []
    doubled = with_burst(base, at, [2 * base[at + k][1] for k in range(36)])
    alerts = list(detect_series(doubled, DETECTOR, no_cooldown))
    assert len(alerts) == 1 and at <= int(alerts[0]["timestamp"]) < at + 36
