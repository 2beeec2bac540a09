"""The negative-share test (`alerts.share`): "volume steady, suddenly most of it is angry" pages, noise does not."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.evaluate import BucketCount, evaluate_brand
from alerts.incidents import IncidentSettings
from alerts.share import BrandDetector, ShareSettings, binomial_tail
from alerts.spikes import DetectorSettings, SpikeDetector
from alerts.stream import StateError, decode, encode, evaluate_stream, fingerprint

START = datetime(2026, 11, 16, tzinfo=UTC)
SPAN = timedelta(minutes=10)
DETECTOR = DetectorSettings()
INCIDENTS = IncidentSettings()


def series(volume: float, share: float, *, days: int = 3, spike_share: float | None = None, spike_buckets: int = 6,
           calm_hours: int = 4, seed: int = 3, surge: float = 1.0) -> tuple[list[BucketCount], datetime]:
    """`days` of steady buckets (volume ~ Poisson, negatives ~ Binomial), then a spike, then calm."""
    rng = random.Random(seed)
    out = []
    normal = days * 144
    for i in range(normal + spike_buckets + calm_hours * 6):
        spiking = normal <= i < normal + spike_buckets
        n = max(0, round(rng.gauss(volume * (surge if spiking else 1.0), (volume * surge) ** 0.5)))
        p = spike_share if spiking and spike_share is not None else share
        k = sum(rng.random() < p for _ in range(n))
        out.append(BucketCount(START + i * SPAN, k, n))
    return out, START + normal * SPAN


def replay(buckets: list[BucketCount], share: ShareSettings | None = None):
    now = buckets[-1].start + SPAN
    return evaluate_brand("b", buckets, incident=None, cursor=None, now=now, detector=DETECTOR, settings=INCIDENTS,
                          share=share)


def first_anomaly(buckets: list[BucketCount], share: ShareSettings) -> datetime | None:
    model = BrandDetector(DETECTOR, share)
    for b in buckets:
        verdict, _ = model.update(b.start, b.negative, b.volume)
        if verdict.anomalous:
            return b.start
    return None


def test_binomial_tail_is_exact_on_small_cases() -> None:
    assert binomial_tail(2, 2, 0.5) == 0.25
    assert abs(binomial_tail(1, 3, 0.5) - 0.875) < 1e-12
    assert binomial_tail(0, 5, 0.1) == 1.0 and binomial_tail(6, 5, 0.1) == 0.0
    assert 0 < binomial_tail(90, 200, 0.1) < 1e-30  # far tails do not underflow to zero too early


def test_a_share_spike_with_flat_volume_opens_at_once_where_the_count_alone_is_not_decisive() -> None:
    buckets, spike_at = series(200, 0.1, spike_share=0.4)
    assert first_anomaly(buckets, ShareSettings()) == spike_at
    off = first_anomaly(buckets, ShareSettings(enabled=False))
    assert off is None or off > spike_at  # the count test needs more buckets (or never sees it)
    count_only = SpikeDetector(DETECTOR)
    verdicts = [count_only.update(b.start, b.negative) for b in buckets]
    assert not verdicts[buckets.index(next(b for b in buckets if b.start == spike_at))].anomalous
    result = replay(buckets[: buckets.index(next(b for b in buckets if b.start == spike_at)) + 1])
    assert result.incident is not None and result.event == "incident.opened"
    assert result.incident.window_start == spike_at
    assert abs(result.figures["baseline_share"] - 0.1) < 0.02 and result.figures["expected_volume"] > 150


def test_a_share_blip_on_a_tiny_brand_does_not_page() -> None:
    buckets, spike_at = series(3, 0.15, spike_share=1.0, spike_buckets=1)
    spike = next(b for b in buckets if b.start == spike_at)
    assert spike.negative == spike.volume and spike.negative < 10  # all angry, but a handful
    result = replay(buckets)
    assert result.incident is None
    # and on a mid-size brand a 3-point wobble of the share does not either, however long the history
    wobble, _ = series(200, 0.10, spike_share=0.13, spike_buckets=30)
    assert replay(wobble).incident is None


def test_a_volume_surge_with_a_normal_share_is_context_not_a_share_alert() -> None:
    buckets, surge_at = series(200, 0.1, surge=4.0, spike_buckets=3)
    model = BrandDetector(DETECTOR, ShareSettings())
    seen = []
    for b in buckets:
        _, share = model.update(b.start, b.negative, b.volume)
        if b.start == surge_at:
            seen.append(share)
    assert seen[0].severity is None and not seen[0].elevated  # the share says nothing
    assert buckets[432].volume > 3 * seen[0].expected_volume  # but the volume vs expected is reported


def test_a_restart_mid_incident_keeps_the_share_state_and_alerts_once() -> None:
    buckets, spike_at = series(200, 0.1, spike_share=0.4, spike_buckets=12)
    print_ = fingerprint(DETECTOR, None, ShareSettings())
    memory, incident, cursor, events, ids, starts = None, None, None, [], set(), set()
    reference = BrandDetector(DETECTOR, ShareSettings())
    for i, bucket in enumerate(buckets):
        now = bucket.start + SPAN
        reference.update(bucket.start, bucket.negative, bucket.volume)
        fresh = buckets[i:] if memory else buckets[: i + 1]
        evaluation, memory = evaluate_stream("b", memory, fresh[:1] if memory else fresh, incident=incident,
                                             cursor=cursor, now=now, detector=DETECTOR, settings=INCIDENTS)
        memory = decode(encode(memory, print_), print_)  # every run is a restart: the state goes through JSON
        assert memory.share == reference.share.state, bucket.start
        if evaluation.incident is not None and evaluation.changed:
            incident = evaluation.incident
            ids.add(incident.incident_id)
            starts.add(incident.window_start)
        cursor = evaluation.cursor
        if evaluation.event:
            events.append(evaluation.event)
        if incident is not None and not incident.is_active:
            incident = None
    assert starts == {spike_at}
    assert len(ids) == 1 and events[0] == "incident.opened" and events[-1] == "incident.resolved"
    assert events.count("incident.opened") == 1 and events.count("incident.resolved") == 1


def test_a_state_of_the_previous_model_or_other_share_settings_is_rebuilt() -> None:
    buckets, _ = series(50, 0.1, days=1)
    _, memory = evaluate_stream("b", None, buckets, incident=None, cursor=None, now=buckets[-1].start + SPAN,
                                detector=DETECTOR, settings=INCIDENTS)
    text = encode(memory, fingerprint(DETECTOR, None, ShareSettings()))
    other = fingerprint(DETECTOR, None, replace(ShareSettings(), min_rise=0.4))
    for bad_print in (other, "0" * 16):
        try:
            decode(text, bad_print)
        except StateError as exc:
            assert "changed" in str(exc)
        else:
            raise AssertionError("a state of other settings was accepted")
