"""Spike detection and incidents with an injected clock: no look-ahead, one incident per spike."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from alerts.baseline import poisson_log_sd
from alerts.channels.webhook import sign, verify
from alerts.evaluate import BucketCount, evaluate_brand
from alerts.incidents import IncidentSettings
from alerts.spikes import DetectorSettings, SpikeDetector, normal_tail

START = datetime(2026, 11, 15, 0, 0, tzinfo=UTC)
BUCKET = timedelta(minutes=10)
DETECTOR = DetectorSettings(bucket_seconds=600, baseline_seconds=7 * 86400, warmup_seconds=86400, min_count=5)
INCIDENTS = IncidentSettings(resolve_after_buckets=6, open_horizon_seconds=3600)


def quiet_series(buckets: int, seed: int = 1, rate: float = 0.4) -> list[BucketCount]:
    rng = random.Random(seed)
    out = []
    for i in range(buckets):
        # Poisson by counting exponential gaps, so the test needs no numpy.
        count, t = 0, rng.expovariate(1.0)
        while t < rate:
            count += 1
            t += rng.expovariate(1.0)
        out.append(BucketCount(START + i * BUCKET, count, count * 3 + 2))
    return out


def with_spike(series: list[BucketCount], at: int, counts: list[int]) -> list[BucketCount]:
    out = list(series)
    for offset, count in enumerate(counts):
        b = out[at + offset]
        out[at + offset] = BucketCount(b.start, count, count + b.volume)
    return out


def test_tail_probability_and_noise_floor_are_sane() -> None:
    assert abs(normal_tail(0.0) - 0.5) < 1e-12
    assert abs(normal_tail(1.6449) - 0.05) < 1e-4
    assert normal_tail(8.0) < 1e-14
    # counting noise in log space is largest around one mention per bucket and shrinks for big counts
    assert poisson_log_sd(1.0) > poisson_log_sd(100.0) > poisson_log_sd(10_000.0) > 0


def test_quiet_week_never_alerts() -> None:
    detector = SpikeDetector(DETECTOR)
    verdicts = [detector.update(b.start, b.negative) for b in quiet_series(7 * 144)]
    assert not any(v.anomalous for v in verdicts)


def test_spike_is_caught_and_does_not_become_the_new_normal() -> None:
    series = with_spike(quiet_series(5 * 144), 4 * 144, [40] * 36)  # six hours of crisis
    detector = SpikeDetector(DETECTOR)
    verdicts = [detector.update(b.start, b.negative) for b in series]
    crisis = verdicts[4 * 144: 4 * 144 + 36]
    assert all(v.anomalous for v in crisis)  # the sixth hour is still a spike, not the baseline
    assert crisis[-1].expected < 2
    assert not any(v.anomalous for v in verdicts[: 4 * 144])


def test_no_alert_during_warmup() -> None:
    series = with_spike(quiet_series(60), 50, [50])
    detector = SpikeDetector(DETECTOR)
    assert not any(detector.update(b.start, b.negative).anomalous for b in series)


def test_one_incident_per_spike_whatever_the_reruns() -> None:
    series = with_spike(quiet_series(3 * 144), 3 * 144 - 4, [12, 14, 15, 13])
    now = series[-1].start + BUCKET + timedelta(seconds=1)
    first = evaluate_brand("b", series, incident=None, cursor=None, now=now, detector=DETECTOR, settings=INCIDENTS)
    assert first.event == "incident.opened" and first.incident is not None
    assert first.incident.negative == 54 and first.incident.brand == "b"
    again = evaluate_brand("b", series, incident=first.incident, cursor=first.cursor, now=now + timedelta(seconds=30),
                           detector=DETECTOR, settings=INCIDENTS)
    assert again.event is None
    assert again.incident.incident_id == first.incident.incident_id
    # Restart from scratch with the stored incident but no cursor: still no second alert.
    restarted = evaluate_brand("b", series, incident=first.incident, cursor=None, now=now, detector=DETECTOR,
                               settings=INCIDENTS)
    assert restarted.event is None


def test_escalation_only_on_material_growth_then_resolution() -> None:
    base = quiet_series(3 * 144 + 10)  # ten quiet buckets after the spike's last
    series = with_spike(base, 3 * 144 - 10, [14, 16])
    now = series[3 * 144 - 8].start
    opened = evaluate_brand("b", series[: 3 * 144 - 8], incident=None, cursor=None, now=now, detector=DETECTOR,
                            settings=INCIDENTS)
    assert opened.event == "incident.opened"
    grown = with_spike(series, 3 * 144 - 8, [10, 30, 40])
    now2 = grown[3 * 144 - 5].start
    escalated = evaluate_brand("b", grown[: 3 * 144 - 5], incident=opened.incident, cursor=opened.cursor, now=now2,
                               detector=DETECTOR, settings=INCIDENTS)
    assert escalated.event == "incident.escalated"
    assert escalated.incident.severity == "critical"
    now3 = grown[-1].start + BUCKET
    resolved = evaluate_brand("b", grown, incident=escalated.incident, cursor=escalated.cursor, now=now3,
                              detector=DETECTOR, settings=INCIDENTS)
    assert resolved.event == "incident.resolved" and resolved.incident.status == "resolved"


def test_backfilled_old_spike_is_history_not_an_alert() -> None:
    series = with_spike(quiet_series(3 * 144), 2 * 144, [30, 30, 30])  # a day ago
    now = series[-1].start + BUCKET
    result = evaluate_brand("b", series, incident=None, cursor=None, now=now, detector=DETECTOR, settings=INCIDENTS)
    assert result.event is None and result.incident is None


def test_partial_bucket_fires_early_once_decisive() -> None:
    series = quiet_series(2 * 144)
    last = series[-1]
    now = last.start + timedelta(minutes=3)  # three minutes into the current bucket
    series[-1] = BucketCount(last.start, 25, 30)
    result = evaluate_brand("b", series, incident=None, cursor=None, now=now, detector=DETECTOR, settings=INCIDENTS)
    assert result.event == "incident.opened"


def test_webhook_signature_round_trip_and_replay_window() -> None:
    body = b'{"event":"test"}'
    signature = sign("k", "1700000000", body)
    assert signature.startswith("sha256=")
    assert verify("k", "1700000000", body, signature, now=1700000010)
    assert not verify("k", "1700000000", body + b" ", signature, now=1700000010)
    assert not verify("other", "1700000000", body, signature, now=1700000010)
    assert not verify("k", "1700000000", body, signature, now=1700009999)  # stale: a replay


def test_resolution_and_a_new_spike_in_one_run_are_two_incidents() -> None:
    series = with_spike(quiet_series(3 * 144 + 30), 3 * 144 - 2, [20, 20])
    first_now = series[3 * 144].start + timedelta(seconds=1)
    opened = evaluate_brand("b", series[: 3 * 144 + 1], incident=None, cursor=None, now=first_now,
                            detector=DETECTOR, settings=INCIDENTS)
    assert opened.event == "incident.opened"
    # The daemon was down; when it comes back the first spike has ended and a second one is under way.
    later = with_spike(series, 3 * 144 + 25, [25, 25, 25])
    now = later[-1].start + BUCKET
    resolved = evaluate_brand("b", later, incident=opened.incident, cursor=opened.cursor, now=now,
                              detector=DETECTOR, settings=INCIDENTS)
    assert resolved.event == "incident.resolved"
    assert resolved.incident.incident_id == opened.incident.incident_id
    reopened = evaluate_brand("b", later, incident=resolved.incident, cursor=resolved.cursor, now=now,
                              detector=DETECTOR, settings=INCIDENTS)
    assert reopened.event == "incident.opened"
    assert reopened.incident.incident_id != opened.incident.incident_id
