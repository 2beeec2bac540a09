"""The digest job: build each brand's daily digest from the store, archive it, queue it for channels."""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from alerts.channels import ChannelSpec
from alerts.digest import DayCounts, build_digest, render_html, render_markdown, render_text
from alerts.digest_chart import hourly_png
from alerts.digest_email import chart_cid, digest_subject
from alerts.types import Notification
from listener.config import Config
from listener.responses import incident_response
from listener.routing import notifications_for
from listener.store import Store
from listener.store.codec import ts

log = logging.getLogger("listener.digest")


@dataclass(frozen=True)
class DigestFiles:
    brand: str
    day: str
    html: Path
    markdown: Path
    json: Path
    volume: int
    negative: int
    text: Path | None = None


def day_bounds(day: date, config: Config) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=config.timezone)
    return start, start + timedelta(days=1)


def _safe_name(brand: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in brand)


def mail_channel(config: Config, brand: str) -> ChannelSpec | None:
    """The email channel whose SMTP server carries the digest to `[digest].to`: the first one for the brand."""
    return next((c for c in config.channels if c.type == "email" and (not c.brands or brand in c.brands)), None)


def digest_notifications(config: Config, payload: dict, *, now: datetime, brand: str) -> list[Notification]:
    """Channels subscribed to `digest` get it as usual; `[digest].to` gets it by e-mail through `mail_channel`.

    When that channel also subscribes to `digest`, its own `to` and `[digest].to` share one message, so
    nobody on both lists receives the digest twice.
    """
    routed = notifications_for(config, "digest", payload, now=now, brand=brand)
    if not config.digest.to:
        return routed
    spec = mail_channel(config, brand)
    if spec is None:
        log.warning("digest for %s: digest.to is set but no email channel ([[channels]] type = \"email\") "
                    "serves this brand; not mailed", brand)
        return routed
    recipients = list(dict.fromkeys(config.digest.to))
    mine = next((n for n in routed if n.channel == spec.name), None)
    if mine is not None:
        recipients = list(dict.fromkeys([*spec.options.get("to", ()), *recipients]))
        routed.remove(mine)
    mail = Notification(delivery_id=mine.delivery_id if mine else uuid.uuid4().hex, channel=spec.name,
                        event="digest", payload={**payload, "recipients": recipients}, created_at=now)
    return [*routed, mail]


def build_digests(store: Store, config: Config, day: date, now: datetime, *, brands: list[str] | None = None,
                  send: bool = False) -> list[DigestFiles]:
    out = []
    config.digest.dir.mkdir(parents=True, exist_ok=True)
    for spec in config.brands:
        if brands and spec.name not in brands:
            continue
        start, end = day_bounds(day, config)
        mentions = [m for m in store.mentions(brand=spec.name, since=start, until=end, limit=None) if not m.official]
        previous = DayCounts(**store.daily_counts(spec.name, since=start - timedelta(days=1), until=start))
        week = store.daily_counts(spec.name, since=start - timedelta(days=7), until=start)
        week_average = DayCounts(**{k: round(v / 7) for k, v in week.items()})
        incidents = [i for i in store.incidents(brand=spec.name, since=start) if i.opened_at < end]
        responses = {i.incident_id: incident_response(store, i, bucket_seconds=config.detector.bucket_seconds,
                                                      now=now).summary() for i in incidents}
        warnings = [f"{row['feed']}: 连续失败 {row['consecutive_failures']} 次（{row['last_error']}）"
                    for row in store.feed_rows() if (row["consecutive_failures"] or 0) > 0]
        baseline = store.keyword_counts(spec.name, since=start - timedelta(days=7), until=start)
        digest = build_digest(spec.name, day, mentions, previous=previous, week_average=week_average,
                              incidents=incidents, tz=config.timezone, generated_at=now, feed_warnings=warnings,
                              baseline_keywords=baseline, baseline_days=7, responses=responses)
        stem = config.digest.dir / f"{day.isoformat()}-{_safe_name(spec.name)}"
        html, markdown, json_text = render_html(digest), render_markdown(digest), digest.to_json()
        files = DigestFiles(spec.name, day.isoformat(), stem.with_suffix(".html"), stem.with_suffix(".md"),
                            stem.with_suffix(".json"), digest.counts.volume, digest.counts.negative,
                            text=stem.with_suffix(".txt"))
        text = render_text(digest)
        files.text.write_text(text, encoding="utf-8")
        files.html.write_text(html, encoding="utf-8")
        files.markdown.write_text(markdown, encoding="utf-8")
        files.json.write_text(json_text, encoding="utf-8")
        store.save_digest(brand=spec.name, day=day.isoformat(), html_path=str(files.html), markdown=markdown,
                          json_text=json_text, now=now)
        if send:
            cid = chart_cid(day.isoformat())
            payload = {"event": "digest", "brand": spec.name, "day": day.isoformat(), "markdown": markdown,
                       "counts": {"volume": digest.counts.volume, "negative": digest.counts.negative,
                                  "neutral": digest.counts.neutral, "positive": digest.counts.positive,
                                  "negative_share": digest.counts.negative_share},
                       "keywords": digest.keywords, "rising_keywords": digest.rising, "sent_at": ts(now),
                       # For mail channels: a multipart email needs the text, the HTML (its chart at
                       # cid:<chart_cid>) and the PNG to attach inline under that Content-ID.
                       "subject": digest_subject(digest), "text": text,
                       "html": render_html(digest, chart_src=f"cid:{cid}"), "chart_cid": cid,
                       "chart_png": base64.b64encode(hourly_png(digest.hourly)).decode("ascii")}
            with store.transaction() as conn:
                for notification in digest_notifications(config, payload, now=now, brand=spec.name):
                    store.enqueue(notification, conn)
        out.append(files)
    return out
