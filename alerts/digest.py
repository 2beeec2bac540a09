"""The daily digest: how a brand was talked about on one day, against the day before and the week.

Built from plain inputs (the day's mentions, earlier daily counts, incidents), rendered to HTML
(Jinja2, autoescaped: mention text is attacker-controlled), Markdown and JSON.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from alerts.digest_chart import hourly_png
from alerts.evidence import excerpt, fold_reposts, safe_url, top_keywords
from alerts.payload import iso
from alerts.types import Incident
from analyzers import Mention

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class DayCounts:
    volume: int = 0
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def negative_share(self) -> float:
        return round(self.negative / self.volume, 4) if self.volume else 0.0


@dataclass(frozen=True)
class DigestPost:
    title: str
    excerpt: str
    url: str | None
    author: str | None
    feed: str
    published_at: str | None
    reach: int
    reposts_folded: int
    sentiment: float
    label: str


@dataclass(frozen=True)
class Digest:
    brand: str
    day: str
    generated_at: str  # UTC, ISO 8601
    generated_local: str  # the same moment in the digest's zone, for people
    timezone: str
    counts: DayCounts
    previous: DayCounts
    week_average: DayCounts
    hourly: list[dict[str, int]]  # 24 entries: volume, negative, positive
    keywords: list[str]
    top_negative: list[DigestPost]
    top_positive: list[DigestPost]
    incidents: list[dict[str, Any]]
    feed_warnings: list[str] = field(default_factory=list)
    rising: list[dict[str, Any]] = field(default_factory=list)  # keyword, count, baseline (per day), ratio

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("counts", "previous", "week_average"):
            data[key]["negative_share"] = getattr(self, key).negative_share
        return json.dumps(data, ensure_ascii=False, indent=2)


def count_labels(mentions: list[Mention]) -> DayCounts:
    labels = Counter(m.label for m in mentions)
    return DayCounts(volume=len(mentions), negative=labels["negative"], neutral=labels["neutral"],
                     positive=labels["positive"])


def _posts(mentions: list[Mention], tz: tzinfo, limit: int = 5) -> list[DigestPost]:
    return [
        DigestPost(
            title=p.mention.title, excerpt=excerpt(p.mention.text, 160), url=safe_url(p.mention.url),
            author=p.mention.author, feed=p.mention.feed,
            published_at=p.mention.published_at.astimezone(tz).strftime("%m-%d %H:%M"),
            reach=p.mention.reach, reposts_folded=p.reposts_folded, sentiment=p.mention.sentiment,
            label=p.mention.label,
        )
        for p in fold_reposts(mentions)[:limit]
    ]


def rising_keywords(mentions: list[Mention], baseline: Counter[str], baseline_days: int,
                    top: int = 8) -> list[dict[str, Any]]:
    """Keywords used today clearly more than on an average baseline day (at least twice, in 3+ posts).

    Add-one smoothing keeps a word never seen before from dividing by zero or outranking a word that
    truly tripled; ranking by ratio times today's count favours words that are both new and loud.
    """
    today: Counter[str] = Counter()
    for mention in mentions:
        today.update(set(mention.keywords))
    out = []
    for word, count in today.items():
        per_day = baseline.get(word, 0) / max(1, baseline_days)
        ratio = (count + 1) / (per_day + 1)
        if count >= 3 and ratio >= 2:
            out.append({"keyword": word, "count": count, "baseline": round(per_day, 1), "ratio": round(ratio, 1)})
    out.sort(key=lambda r: (r["ratio"] * r["count"], r["count"]), reverse=True)
    return out[:top]


def build_digest(
    brand: str, day: date, mentions: list[Mention], *, previous: DayCounts, week_average: DayCounts,
    incidents: list[Incident], tz: tzinfo, generated_at: datetime, feed_warnings: list[str] | None = None,
    baseline_keywords: Counter[str] | None = None, baseline_days: int = 7,
    responses: dict[str, str] | None = None,
) -> Digest:
    """`responses`: incident id -> the response clock's one-line summary (黄金4小时), when known."""
    hourly = [{"volume": 0, "negative": 0, "positive": 0} for _ in range(24)]
    for mention in mentions:
        slot = hourly[mention.published_at.astimezone(tz).hour]
        slot["volume"] += 1
        if mention.label in ("negative", "positive"):
            slot[mention.label] += 1
    return Digest(
        brand=brand, day=day.isoformat(), generated_at=iso(generated_at) or "",
        generated_local=generated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), timezone=str(tz),
        counts=count_labels(mentions), previous=previous, week_average=week_average, hourly=hourly,
        keywords=top_keywords(mentions, 12),
        top_negative=_posts([m for m in mentions if m.label == "negative"], tz),
        top_positive=_posts([m for m in mentions if m.label == "positive"], tz),
        incidents=[
            {"incident_id": i.incident_id, "severity": i.severity, "status": i.status,
             "opened_at": i.opened_at.astimezone(tz).strftime("%m-%d %H:%M"), "negative": i.negative,
             "baseline": round(i.baseline, 1), "volume": i.volume,
             "response": (responses or {}).get(i.incident_id, "")}
            for i in incidents
        ],
        feed_warnings=feed_warnings or [],
        rising=rising_keywords(mentions, baseline_keywords or Counter(), baseline_days),
    )


_env = Environment(loader=PackageLoader("alerts", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)


def _change(now: float, before: float) -> str:
    if before == 0:
        return "新增" if now else "持平"
    delta = (now - before) / before * 100
    return f"{delta:+.0f}%"


def chart_data_uri(digest: Digest) -> str:
    return "data:image/png;base64," + base64.b64encode(hourly_png(digest.hourly)).decode("ascii")


def _peak_hour(digest: Digest) -> int | None:
    peak = max(range(24), key=lambda h: digest.hourly[h]["volume"])
    return peak if digest.hourly[peak]["volume"] else None


def render_html(digest: Digest, *, chart_src: str | None = None) -> str:
    """The HTML digest; `chart_src` is `cid:…` in an email, else the chart is embedded as a data: URI."""
    return _env.get_template("digest.html").render(d=digest, change=_change, chart_src=chart_src or
                                                   chart_data_uri(digest), peak_hour=_peak_hour(digest),
                                                   share=_share)


def render_markdown(digest: Digest) -> str:
    return _env.get_template("digest.md").render(d=digest, change=_change)


def render_text(digest: Digest) -> str:
    """The plain-text part of the email: readable in any client, and what spam filters like to see."""
    return _env.get_template("digest.txt").render(d=digest, change=_change, peak_hour=_peak_hour(digest),
                                                  share=_share)


def _share(part: float, whole: float) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def markdown_escape(text: str | None) -> str:  # registered below as the `md` template filter
    """Neutralise Markdown and HTML in mention text before it goes into a chat message."""
    if not text:
        return ""
    out = []
    for char in text.replace("\n", " "):
        if char in "<>":
            out.append("＜" if char == "<" else "＞")  # chat renderers differ on escapes; full-width is never markup
        else:
            out.append("\\" + char if char in "\\`*_{}[]()#+!|~" else char)
    return "".join(out)


_env.filters["md"] = markdown_escape
