"""The detection run from persisted detector state: only the buckets since the last run, not a week's replay.

Why: replaying a brand's 7 days through `SpikeDetector` every minute costs ~0.1 s a brand, so thousands of
brands cannot be watched. The baseline is a constant-size state (`BaselineState`); keeping it between runs
makes a run cost a few buckets. Same verdicts as the replay (`alerts.evaluate.evaluate_brand`, a test
checks it run for run), because a bucket is learned once and in the same order either way.

Settling: a bucket is learned into the stored state only once it closed `settle` ago. Until then each run
recounts it from the store and re-learns it on a copy, so a post fetched late (a feed polled every 5 or
30 minutes, a collector catching up) is counted in its own bucket exactly as a replay would count it. A
post for a bucket that settled before it arrived is not learned (the baseline is a slow average: one
late post moves it by a fraction of a post); a rebuild from history would include it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.baseline import BaselineState
from alerts.evaluate import BucketCount, Evaluation, act_on_bucket, window_figures
from alerts.incidents import IncidentSettings, mark_notified, notification_due
from alerts.share import BrandDetector, ShareSettings, ShareState, ShareVerdict
from alerts.spikes import DetectorSettings, Verdict
from alerts.types import Incident

MODEL_VERSION = 4  # bump when a stored state would mean something else to alerts.baseline / spikes / share


class StateError(ValueError):
    """A stored detector state that cannot be used: corrupt, or from another model or settings."""


@dataclass(frozen=True)
class WindowTotals:
    """The active incident's counts over its settled buckets, so a run need not recount the whole window."""

    incident_id: str
    negative: float = 0
    baseline: float = 0.0
    volume: float = 0
    peak: float = 0
    last_start: datetime | None = None  # start of the last settled bucket counted
    expected_volume: float = 0.0  # what the volume baseline expected over the window
    usual_share: float | None = None  # the brand's learned negative share when the window began

    def plus(self, bucket: BucketCount, verdict: Verdict, share: ShareVerdict) -> WindowTotals:
        return replace(self, negative=self.negative + bucket.negative, baseline=self.baseline + verdict.expected,
                       volume=self.volume + bucket.volume, peak=max(self.peak, bucket.negative),
                       last_start=bucket.start, expected_volume=self.expected_volume + share.expected_volume,
                       usual_share=share.usual_share if self.usual_share is None else self.usual_share)


@dataclass(frozen=True)
class DetectorMemory:
    """What a brand's detector keeps between runs."""

    baseline: BaselineState
    through: datetime | None  # start of the last bucket learned into `baseline`
    totals: WindowTotals | None = None
    share: ShareState | None = None  # the share and volume models (`alerts.share`), learned with `baseline`


def fingerprint(detector: DetectorSettings, counting: Any = None, share: ShareSettings | None = None) -> str:
    """Model version + every setting that shapes the state: a change means the state must be rebuilt."""
    text = json.dumps([MODEL_VERSION, asdict(detector), repr(counting), asdict(share or ShareSettings())],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _epoch(when: datetime | None) -> float | None:
    return when.timestamp() if when else None


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StateError(f"not a time: {value!r}")
    return datetime.fromtimestamp(value, UTC)


def encode(memory: DetectorMemory, print_: str) -> str:
    totals = memory.totals
    return json.dumps({
        "fingerprint": print_, "baseline": _plain(memory.baseline), "through": _epoch(memory.through),
        "totals": None if totals is None else {**asdict(totals), "last_start": _epoch(totals.last_start)},
        "share": (memory.share or ShareState()).to_dict(),
    }, separators=(",", ":"))


def decode(text: str | None, print_: str) -> DetectorMemory:
    """The stored state, or StateError saying in a few words why it cannot be used."""
    if not text:
        raise StateError("no stored state")
    try:
        data = json.loads(text)
    except ValueError:
        raise StateError("stored state is not JSON") from None
    if not isinstance(data, dict):
        raise StateError("stored state is not an object")
    if data.get("fingerprint") != print_:
        raise StateError("model version or detector settings changed")
    try:
        baseline = BaselineState.from_dict(data["baseline"])
        _check(baseline)
        totals = data.get("totals")
        if totals is not None:
            totals = WindowTotals(**{**totals, "last_start": _when(totals.get("last_start"))})
            for value in (totals.negative, totals.baseline, totals.volume, totals.peak, totals.expected_volume):
                _number(value)
            if totals.usual_share is not None:
                _number(totals.usual_share)
        share = ShareState.from_dict(data["share"])
        _check(share.volume_baseline)
        numbers = (share.negative, share.volume, share.seen, share.seen_volume, *(x for r in share.recent for x in r))
        for value in numbers:
            _number(value)
        return DetectorMemory(baseline, _when(data.get("through")), totals, share)
    except StateError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise StateError(f"stored state is malformed ({type(exc).__name__}: {exc})") from None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StateError(f"not a finite number: {value!r}")
    return value


def _check(s: BaselineState) -> None:
    if len(s.hourly) != 24 or len(s.hourly_seen) != 24 or len(s.weekly) != 7:
        raise StateError("stored state has the wrong shape")
    for value in (s.buckets_seen, s.level, s.mad, s.mad_window, s.cusum, s.record, s.routine_left, s.routine_age,
                  s.alarm_run, *s.hourly, *s.hourly_seen, *s.weekly, *s.recent):
        _number(value)
    if s.last_bucket is not None:
        _number(s.last_bucket)


def _plain(state: BaselineState) -> dict:
    """`state.to_dict()` for a flat state of numbers and lists, without asdict's deep copy (10x faster,
    and a run does little else); anything nested goes through `to_dict` itself."""
    data = {f.name: getattr(state, f.name) for f in fields(state)}
    if all(isinstance(v, int | float | list | None) for v in data.values()):
        return {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
    return state.to_dict()


def _copy(state: BaselineState) -> BaselineState:
    return BaselineState.from_dict(_plain(state))


def _copy_share(state: ShareState) -> ShareState:
    return replace(state, recent=[list(r) for r in state.recent], volume_baseline=_copy(state.volume_baseline))


def evaluate_stream(
    brand: str, memory: DetectorMemory | None, buckets: list[BucketCount], *, incident: Incident | None,
    cursor: datetime | None, now: datetime, detector: DetectorSettings, settings: IncidentSettings,
    settle_seconds: int = 0, previous: Incident | None = None, share: ShareSettings | None = None,
) -> tuple[Evaluation, DetectorMemory]:
    """`evaluate_brand` from a stored state: `buckets` follow `memory.through` (all history if no memory).

    Returns the evaluation and the state to store with it (in the same transaction as the incident).
    `previous` is the brand's last resolved incident, for the cooldown (`alerts.incidents.cooling`).
    """
    state = _copy(memory.baseline) if memory else None
    share_state = _copy_share(memory.share) if memory and memory.share else None
    spike = BrandDetector(detector, share or ShareSettings(), state, share_state)
    span = timedelta(seconds=detector.bucket_seconds)
    settled_end = now - timedelta(seconds=settle_seconds)
    verdicts: list[Verdict] = []
    shares: list[ShareVerdict] = []
    active = incident if incident and incident.is_active else None
    original = active
    new_cursor = cursor
    through = memory.through if memory else None
    snapshot: BaselineState | None = None  # the state as of the last settled bucket
    share_snapshot: ShareState | None = None
    for bucket in buckets:
        closed = bucket.start + span <= now
        settled = bucket.start + span <= settled_end
        if snapshot is None and not (closed and settled):
            snapshot = _copy(spike.spike.state)  # buckets from here are only learned on a copy, until they settle
            share_snapshot = _copy_share(spike.share.state)
        verdict, share_verdict = (spike.update(bucket.start, bucket.negative, bucket.volume) if closed
                                  else spike.judge(bucket.start, bucket.negative, bucket.volume))
        if closed and snapshot is None:
            through = bucket.start
        verdicts.append(verdict)
        shares.append(share_verdict)
        active, acted = act_on_bucket(brand, active, verdict, closed=closed, cursor=cursor, now=now,
                                      bucket_seconds=detector.bucket_seconds, settings=settings, previous=previous)
        if not acted:
            continue
        if closed:
            new_cursor = bucket.start
        if active is not None and active.status == "resolved":
            break  # report the resolution first; a later spike opens a new incident on the next run
    if snapshot is None:
        snapshot, share_snapshot = spike.spike.state, spike.share.state
    carried = memory.totals if memory else None
    if active is None:
        return (Evaluation(None, None, new_cursor, verdicts, False),
                DetectorMemory(snapshot, through, None, share_snapshot))
    if carried is None or carried.incident_id != active.incident_id:
        carried = WindowTotals(active.incident_id)
    active, totals, shown = _with_totals(active, carried, buckets, verdicts, shares, span, now, through)
    event = notification_due(active, settings)
    if event:
        active = mark_notified(active)
    kept = totals if active.is_active else None
    evaluation = Evaluation(active, event, new_cursor, verdicts, active != original or event is not None,
                            window_figures(shown.usual_share, shown.expected_volume))
    return evaluation, DetectorMemory(snapshot, through, kept, share_snapshot)


def _with_totals(incident: Incident, carried: WindowTotals, buckets: list[BucketCount], verdicts: list[Verdict],
                 shares: list[ShareVerdict], span: timedelta, now: datetime,
                 through: datetime | None) -> tuple[Incident, WindowTotals, WindowTotals]:
    """As `evaluate._with_totals`, but the settled part of the window comes from `carried`.

    Returns the incident, the settled totals to store and the totals shown now (settled + unsettled)."""
    end = incident.resolved_at or now
    inside = [(b, v, s) for b, v, s in zip(buckets[: len(verdicts)], verdicts, shares, strict=True)
              if incident.window_start <= b.start < end]
    settled = carried
    shown = carried
    for bucket, verdict, share in inside:
        if through is not None and bucket.start <= through:
            settled = settled.plus(bucket, verdict, share)
        shown = shown.plus(bucket, verdict, share)
    if shown.last_start is None:
        return incident, settled, shown
    last_end = min(shown.last_start + span, now)
    return replace(
        incident,
        window_end=max(incident.window_end, last_end),
        negative=_tidy(shown.negative),
        baseline=round(shown.baseline, 2),
        volume=_tidy(shown.volume),
        peak_bucket_negative=_tidy(shown.peak),
    ), settled, shown


def _tidy(value: float) -> float:
    """Whole counts stay whole; weighted counts keep two decimals."""
    return int(value) if float(value).is_integer() else round(value, 2)
