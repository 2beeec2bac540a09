"""The response clock: how long the brand took to answer a negative wave, and what the answer did.

Chinese crisis practice holds the brand to the "黄金4小时" (golden four hours) from the first wave to a
public response. The first post of an official feed (`official = true`) at or after the wave's start is
the response. Before/after compares negative mentions per hour and the negative share in equal spans
either side of the response bucket (which is left out: it holds both reactions to the wave and to the
answer). Waves fade on their own, so "calmed" means "fell faster than it rose", not proof of cause.
Pure: the caller passes the posts, the per-bucket counts and the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

GOLDEN_MINUTES = 240  # 黄金4小时
MAX_COMPARE_MINUTES = 6 * 60  # compare at most six hours either side
CALMED_BELOW, FUEL_ABOVE = 0.7, 1.3  # after/before ratio of negative mentions per hour
FUEL_SHARE_RISE = 0.10  # or the negative share rose by ten points
VERDICT_LABELS = {"calmed": "回应后降温", "fuel": "回应后升温（火上浇油）", "flat": "回应后基本持平",
                  "too_early": "回应刚发出，观察中"}


class Bucket(Protocol):
    start: datetime
    negative: int
    volume: int


@dataclass(frozen=True)
class OfficialPost:
    mention_id: str
    published_at: datetime
    url: str | None
    title: str
    text: str


@dataclass(frozen=True)
class Span:
    """Counts over [start, end): public mentions only (the brand's own posts never count)."""

    start: datetime
    end: datetime
    negative: int
    volume: int

    @property
    def hours(self) -> float:
        return max((self.end - self.start).total_seconds() / 3600, 1e-9)

    @property
    def negative_per_hour(self) -> float:
        return self.negative / self.hours

    @property
    def negative_share(self) -> float:
        return self.negative / self.volume if self.volume else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"start": _iso(self.start), "end": _iso(self.end), "negative": self.negative, "volume": self.volume,
                "negative_per_hour": round(self.negative_per_hour, 2), "negative_share": round(self.negative_share, 4)}


@dataclass(frozen=True)
class ResponseClock:
    status: str  # responded | running (no response yet) | unanswered (resolved with none)
    wave_at: datetime
    minutes: float  # wave to response, or to now while the clock runs
    norm_minutes: int
    response: OfficialPost | None = None
    before: Span | None = None
    after: Span | None = None
    verdict: str | None = None  # calmed | fuel | flat | too_early

    @property
    def within_norm(self) -> bool:
        return self.minutes <= self.norm_minutes

    @property
    def negative_rate_change(self) -> float | None:
        """After/before negative mentions per hour, minus one (-0.5: halved)."""
        if not (self.before and self.after) or self.before.negative_per_hour == 0:
            return None
        return self.after.negative_per_hour / self.before.negative_per_hour - 1

    @property
    def volume_change(self) -> float | None:
        if not (self.before and self.after) or self.before.volume == 0:
            return None
        return (self.after.volume / self.after.hours) / (self.before.volume / self.before.hours) - 1

    @property
    def negative_share_change(self) -> float | None:
        if not (self.before and self.after):
            return None
        return self.after.negative_share - self.before.negative_share

    def summary(self) -> str:
        """One line in Chinese for alerts, the digest and the incident page."""
        hours = f"{int(self.minutes // 60)}小时{int(self.minutes % 60)}分"
        if self.status == "running":
            left = self.norm_minutes - self.minutes
            tail = f"距黄金4小时还剩{int(left // 60)}小时{int(left % 60)}分" if left > 0 else "已超过黄金4小时"
            return f"尚未发布官方回应：负面首波起已过{hours}，{tail}"
        if self.status == "unanswered":
            return f"事件结束前没有官方回应（持续{hours}）"
        norm = "在黄金4小时内" if self.within_norm else "超过黄金4小时"
        line = f"官方回应用时{hours}（{norm}）"
        if self.verdict:
            line += f"；{VERDICT_LABELS[self.verdict]}"
        if self.negative_rate_change is not None and self.verdict != "too_early":
            line += f"，负面每小时{self.negative_rate_change:+.0%}"
        if self.negative_share_change is not None and self.verdict != "too_early":
            line += f"，负面占比{self.negative_share_change * 100:+.0f}个百分点"
        return line

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "status": self.status, "wave_at": _iso(self.wave_at), "minutes": round(self.minutes, 1),
            "norm_minutes": self.norm_minutes, "within_norm": self.within_norm,
            "response": None if self.response is None else {
                "mention_id": self.response.mention_id, "published_at": _iso(self.response.published_at),
                "url": self.response.url, "title": self.response.title, "text": self.response.text[:280]},
            "before": self.before.as_dict() if self.before else None,
            "after": self.after.as_dict() if self.after else None,
            "verdict": self.verdict, "negative_rate_change": rounded(self.negative_rate_change),
            "volume_change": rounded(self.volume_change), "negative_share_change": rounded(self.negative_share_change),
            "summary": self.summary(),
        }


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when.utcoffset() == timedelta(0) else when.isoformat()


def _floor(when: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(int(when.timestamp()) // seconds * seconds, when.tzinfo)


def _span(buckets: Sequence[Bucket], start: datetime, end: datetime) -> Span:
    inside = [b for b in buckets if start <= b.start < end]
    return Span(start, end, sum(b.negative for b in inside), sum(b.volume for b in inside))


def _verdict(before: Span, after: Span) -> str:
    if before.negative_per_hour == 0:
        return "fuel" if after.negative > 0 else "flat"
    ratio = after.negative_per_hour / before.negative_per_hour
    if ratio >= FUEL_ABOVE or after.negative_share - before.negative_share >= FUEL_SHARE_RISE:
        return "fuel"
    return "calmed" if ratio <= CALMED_BELOW else "flat"


def response_clock(*, wave_at: datetime, now: datetime, official_posts: Sequence[OfficialPost],
                   buckets: Sequence[Bucket], bucket_seconds: int, until: datetime | None = None,
                   norm_minutes: int = GOLDEN_MINUTES) -> ResponseClock:
    """The clock for one incident. `wave_at`: start of its first negative bucket; `until`: when it resolved
    (posts after it answer nothing); `buckets`: public counts per bucket around the wave, any order."""
    end = min(until, now) if until else now
    posts = sorted((p for p in official_posts if wave_at <= p.published_at <= end), key=lambda p: p.published_at)
    if not posts:
        return ResponseClock(status="running" if until is None else "unanswered", wave_at=wave_at,
                             minutes=max(0.0, (end - wave_at).total_seconds() / 60), norm_minutes=norm_minutes)
    response = posts[0]
    minutes = (response.published_at - wave_at).total_seconds() / 60
    step = timedelta(seconds=bucket_seconds)
    response_bucket = _floor(response.published_at, bucket_seconds)
    wave_bucket = _floor(wave_at, bucket_seconds)
    length = min(max(response_bucket - wave_bucket, step), timedelta(minutes=MAX_COMPARE_MINUTES))
    if response_bucket > wave_bucket:
        before = _span(buckets, response_bucket - length, response_bucket)
    else:  # answered inside the first bucket of the wave: that bucket is the "before"
        before = _span(buckets, wave_bucket, wave_bucket + step)
    after_start = response_bucket + step
    closed_until = _floor(now, bucket_seconds)  # only buckets that have ended
    after_end = min(after_start + length, closed_until)
    if after_end <= after_start:
        return ResponseClock(status="responded", wave_at=wave_at, minutes=minutes, norm_minutes=norm_minutes,
                             response=response, before=before, verdict="too_early")
    after = _span(buckets, after_start, after_end)
    return ResponseClock(status="responded", wave_at=wave_at, minutes=minutes, norm_minutes=norm_minutes,
                         response=response, before=before, after=after, verdict=_verdict(before, after))
