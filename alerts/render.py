"""One alert, rendered for people: the neutral message every channel formats in its own markup.

The payload (see DESIGN.md) is the single source; this module turns it into Chinese labels and lines
(brand, severity, window, counts against baseline, evidence posts, keywords, signals, playbook, link),
so email, DingTalk, Feishu, WeCom and Slack all say the same thing. Nothing here escapes: each channel's
renderer escapes for its own markup, because what is inert in HTML is not inert in markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from alerts.evidence import safe_url

SEVERITY_LABELS = {"critical": "严重", "warning": "警告", "notice": "提示"}
EVENT_LABELS = {
    "incident.opened": "负面声量突增", "incident.escalated": "事件升级", "incident.resolved": "事件已平息",
    "feed.unhealthy": "采集源异常", "feed.recovered": "采集源已恢复",
    "digest": "每日舆情摘要", "test": "通道测试", "delivery.failed": "告警未能送达",
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class RenderedPost:
    title: str
    excerpt: str
    source: str
    author: str
    reach: int
    reposts_folded: int
    url: str | None
    published: str
    reach_total: int = 0  # the voice's reach with every folded copy

    @property
    def folded_note(self) -> str:
        """"，另有 N 条相同转发（合计触达 M）" for a folded wave, else ""."""
        if not self.reposts_folded:
            return ""
        total = f"（合计触达 {self.reach_total}）" if self.reach_total > self.reach else ""
        return f"，另有 {self.reposts_folded} 条相同转发{total}"


@dataclass(frozen=True)
class Message:
    event: str
    severity: str
    headline: str  # one line, e.g. "【严重】栖云乳业：负面声量突增"
    facts: list[tuple[str, str]] = field(default_factory=list)
    posts: list[RenderedPost] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    playbook: dict[str, Any] | None = None
    body: str = ""  # free text for test, feed and digest notices
    link: str | None = None
    delivery_id: str = ""

    @property
    def urgent(self) -> bool:
        return self.severity == "critical" and self.event in ("incident.opened", "incident.escalated")


@lru_cache(maxsize=1)
def signal_labels() -> dict[str, str]:
    from analyzers.signals import load_categories

    try:
        return {c.name: c.label for c in load_categories()}
    except Exception:  # a broken lexicon must not stop an alert; names are shown instead
        return {}


def one_line(text: Any, limit: int = 200) -> str:
    """Flatten whitespace (a title with newlines must not break the layout) and cut to length."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def local_time(iso: str | None, tz: ZoneInfo = SHANGHAI) -> str:
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(tz).strftime("%m-%d %H:%M")
    except ValueError:
        return one_line(iso, 40)


def severity_of(payload: dict[str, Any]) -> str:
    event = str(payload.get("event", ""))
    if event.startswith("feed.") or event in ("digest", "test"):
        return "notice"  # collector health and digests are a lower-severity stream than incidents
    return payload.get("severity") if payload.get("severity") in SEVERITY_LABELS else "warning"


def build_message(payload: dict[str, Any], *, delivery_id: str = "", tz: ZoneInfo = SHANGHAI) -> Message:
    event = str(payload.get("event", "test"))
    severity = severity_of(payload)
    subject = one_line(payload.get("brand") or payload.get("feed") or payload.get("channel") or "listener", 60)
    headline = f"【{SEVERITY_LABELS[severity]}】{subject}：{EVENT_LABELS.get(event, one_line(event, 40))}"
    common = {"event": event, "severity": severity, "headline": headline, "delivery_id": delivery_id,
              "link": safe_url(payload.get("url"))}
    if event.startswith("incident."):
        return _incident(payload, common, tz)
    if event.startswith("feed."):
        return _feed(payload, common, tz)
    if event == "delivery.failed":
        failed_event = str(payload.get("failed_event"))
        facts = [("未送达的通道", one_line(payload.get("channel"), 60)),
                 ("原通知", EVENT_LABELS.get(failed_event, one_line(failed_event, 40))),
                 ("事件编号", one_line(payload.get("incident_id"), 60)), ("错误", one_line(payload.get("error"), 200))]
        return Message(**common, facts=facts,
                       body="该通道多次重试后仍未收到这条告警，请尽快检查通道配置，并确认相关同事已知情。")
    if event == "digest":
        counts = payload.get("counts") or {}
        facts = [("日期", one_line(payload.get("day"), 20)), ("声量", str(counts.get("volume", 0))),
                 ("负面", f"{counts.get('negative', 0)}（{_percent(counts.get('negative_share'))}）"),
                 ("正面", str(counts.get("positive", 0)))]
        return Message(**common, facts=facts, keywords=[one_line(k, 30) for k in payload.get("keywords") or []][:10],
                       body="完整日报见仪表盘或归档的 HTML 日报。")
    return Message(**common, body=one_line(payload.get("text") or "listener 测试消息：通道配置正确。", 500))


def _percent(value: Any) -> str:
    try:
        return f"{float(value):.0%}"
    except (TypeError, ValueError):
        return "—"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _usual_share(counts: dict[str, Any]) -> str:
    """"（平时约 10%）": the brand's learned share, so "35%" reads as a jump, not a level."""
    usual = counts.get("baseline_share")
    return f"（平时约 {_percent(usual)}）" if _number(usual) else ""


def _expected_volume(counts: dict[str, Any]) -> str:
    """"（预期约 190，约 1.1 倍）": a surge of all mentions is context for the negatives, not an alarm."""
    expected = counts.get("expected_volume")
    if not _number(expected):
        return ""
    volume = counts.get("volume")
    ratio = f"，约 {volume / expected:.1f} 倍" if _number(volume) and expected >= 1 else ""
    return f"（预期约 {round(expected)}{ratio}）"


def _incident(payload: dict[str, Any], common: dict[str, Any], tz: ZoneInfo) -> Message:
    counts = payload.get("counts") or {}
    window = payload.get("window") or {}
    baseline = counts.get("baseline") or 0
    ratio = f"，约为基线的 {counts.get('negative', 0) / baseline:.1f} 倍" if baseline else ""
    facts = [
        ("品牌", one_line(payload.get("brand"), 60)),
        ("级别", SEVERITY_LABELS.get(common["severity"], "警告")),
        ("时间窗", f"{local_time(window.get('start'), tz)} – {local_time(window.get('end'), tz)}"),
        ("负面帖数", f"{counts.get('negative', 0)}（基线 {baseline}{ratio}）"),
        ("负面占比", f"{_percent(counts.get('negative_share'))}{_usual_share(counts)}"),
        ("总声量", f"{counts.get('volume', 0)}{_expected_volume(counts)}"),
    ]
    if _number(counts.get("reach_total")):
        facts.append(("负面总触达", f"{int(counts['reach_total'])}（各条负面声音及其转发的阅读/互动之和）"))
    response = payload.get("response")
    if isinstance(response, dict) and response.get("summary"):
        facts.append(("回应时钟", one_line(response["summary"], 120)))
    if payload.get("event") == "incident.resolved":
        facts.append(("状态", "负面声量已回落到基线附近，事件自动解除；请继续跟进已承诺的整改和回访。"))
    posts = [RenderedPost(
        title=one_line(p.get("title"), 80), excerpt=one_line(p.get("text"), 140), source=one_line(p.get("feed"), 40),
        author=one_line(p.get("author") or "匿名", 40), reach=int(p.get("reach") or 0),
        reposts_folded=int(p.get("reposts_folded") or 0), url=safe_url(p.get("url")),
        published=local_time(p.get("published_at"), tz), reach_total=int(p.get("reach_total") or 0),
    ) for p in (payload.get("posts") or []) if isinstance(p, dict)]
    labels = signal_labels()
    signals = [labels.get(str(s), one_line(s, 30)) for s in payload.get("signals") or []]
    playbook = payload.get("playbook") if payload.get("event") != "incident.resolved" else None
    keywords = [one_line(k, 30) for k in payload.get("keywords") or []]
    return Message(**common, facts=facts, posts=posts, keywords=keywords, signals=signals,
                   playbook=playbook if isinstance(playbook, dict) else None)


def _feed(payload: dict[str, Any], common: dict[str, Any], tz: ZoneInfo) -> Message:
    event = common["event"]
    facts = [("采集源", one_line(payload.get("feed"), 60))]
    if payload.get("brand"):
        facts.append(("品牌", one_line(payload.get("brand"), 60)))
    facts.append(("上次成功", local_time(payload.get("last_success_at"), tz)))
    if event == "feed.unhealthy" and payload.get("reason") == "silent":
        facts.append(("最近新内容", local_time(payload.get("last_item_at"), tz)))
        facts.append(("平时节奏", one_line(payload.get("rhythm"), 60)))
        body = ("该采集源能访问，但远超平时节奏没有新内容（常见于 RSSHub 路由被反爬或 Cookie 过期）。"
                "请检查源是否正常：没有告警不代表平静。")
    elif event == "feed.unhealthy":
        facts.append(("连续失败", f"{payload.get('consecutive_failures', 0)} 次"))
        facts.append(("错误", one_line(payload.get("error"), 200)))
        body = ("该采集源持续失败（可能是反爬封禁、Cookie 过期或路由失效）。"
                "在恢复前，这部分舆情处于盲区：没有告警不代表平静。")
    else:
        body = "该采集源已恢复正常采集。"
    return Message(**common, facts=facts, body=body)
