"""Charts as inline SVG rendered on the server: no JavaScript, no build step, readable without a network.

Every text that enters the SVG goes through `escape`; today only numbers and dates do, but a label
that someday carries a brand name must not be able to open a tag.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from markupsafe import Markup, escape

from alerts.digest_chart import nice_ceiling

NAMES = {"volume": "全部", "negative": "负面"}
COLORS = {"negative": "#d83931", "neutral": "#a6abb3", "positive": "#2ea121", "volume": "#bacefd"}


def _frame(width: int, height: int, label: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}"'
        f' xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def _axis(height: int, top: int, left: int, width: int, peak: int) -> list[str]:
    out = []
    for fraction in (0, 0.5, 1):
        y = top + (height - top) * (1 - fraction)
        out.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e6eb"/>')
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="#8f959e">'
                   f'{escape(round(peak * fraction))}</text>')
    return out


def trend_chart(days: list[dict[str, Any]], *, label: str = "7 日情感趋势") -> Markup:
    """Stacked bars per day (negative at the bottom, then neutral, positive) with the day under each bar."""
    width, height, top, left, base = 360, 150, 18, 34, 120  # room above the tallest bar for its total
    peak = nice_ceiling(max((d["volume"] for d in days), default=0))  # round gridlines: 60 and 30, not 55 and 28
    step = (width - left) / max(1, len(days))
    body = _axis(base, top, left, width, peak)
    for i, day in enumerate(days):
        x = left + i * step + step * 0.15
        y = base
        for key in ("negative", "neutral", "positive"):
            h = (base - top) * day[key] / peak
            if h > 0:
                y -= h
                body.append(f'<rect class="bar bar-{key}" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}"'
                            f' height="{h:.1f}" fill="{COLORS[key]}"><title>{escape(day["day"])} {key}'
                            f' {escape(day[key])}</title></rect>')
        body.append(f'<text x="{x + step * 0.35:.1f}" y="{base + 14}" font-size="10" text-anchor="middle"'
                    f' fill="#646a73">{escape(day["day"][5:])}</text>')
        body.append(f'<text x="{x + step * 0.35:.1f}" y="{max(10, y - 3):.1f}" font-size="10"'
                    f' text-anchor="middle" fill="#1f2329">{escape(day["volume"])}</text>')
    return _frame(width, height, label, body)


def timeline_chart(buckets: list[Any], *, window_start: datetime, window_end: datetime, tz: tzinfo,
                   label: str = "事件时间线") -> Markup:
    """Volume and negative mentions per bucket; the incident's window shaded."""
    width, height, top, left, base = 720, 190, 10, 34, 160
    peak = nice_ceiling(max((b.volume for b in buckets), default=0))
    step = (width - left) / max(1, len(buckets))
    body = _axis(base, top, left, width, peak)
    for i, b in enumerate(buckets):
        x = left + i * step
        if window_start <= b.start < window_end:
            body.append(f'<rect class="window" x="{x:.1f}" y="{top}" width="{step:.1f}" height="{base - top}"'
                        f' fill="#fff1e6"/>')
        when = b.start.astimezone(tz).strftime("%m-%d %H:%M")
        for key, value in (("volume", b.volume), ("negative", b.negative)):
            h = (base - top) * value / peak
            if h > 0:
                body.append(f'<rect class="bar bar-{key}" x="{x + step * 0.1:.1f}" y="{base - h:.1f}"'
                            f' width="{max(1.0, step * 0.8):.1f}" height="{h:.1f}" fill="{COLORS[key]}">'
                            f'<title>{escape(when)} {NAMES[key]} {escape(value)}</title></rect>')
    ticks = max(1, len(buckets) // 6)
    for i in range(0, len(buckets), ticks):
        x = left + i * step
        if x > width - 62.0:  # a label this close to the edge would run off it or onto its neighbour
            continue
        body.append(f'<text x="{x:.1f}" y="{base + 16}" font-size="10" fill="#646a73">'
                    f'{escape(buckets[i].start.astimezone(tz).strftime("%m-%d %H:%M"))}</text>')
    return _frame(width, height, label, body)
