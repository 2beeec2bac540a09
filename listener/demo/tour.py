"""`listener demo`: the whole pipeline on bundled sample posts, offline, in well under a minute.

Prints what happened in Chinese on stderr (what the PR team received, where the digest is) and ends
with one JSON line on stdout: {"mentions", "incidents", "alerts_sent", "digest"}.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.playbook import load_playbooks
from analyzers import Analyzer
from listener.clock import utcnow
from listener.collection import collect_round
from listener.config import Config, load_config
from listener.delivery import deliver_due
from listener.demo import feeds
from listener.demo.samples import SamplePost, load_sample_data, schedule
from listener.demo.servers import WebhookReceiver, feed_server
from listener.detection import detect
from listener.digests import build_digests
from listener.store import Store

SECRET_ENV = "LISTENER_DEMO_WEBHOOK_SECRET"
ROUTES = {
    "/weibo/keyword/qiyun.json": ("weibo", "微博关键词：栖云乳业", feeds.json_feed, "application/feed+json"),
    "/zhihu/search/qiyun": ("zhihu", "知乎搜索：栖云乳业", feeds.atom, "application/atom+xml; charset=utf-8"),
    "/bilibili/search/qiyun": ("bilibili", "B站搜索：栖云乳业", feeds.rss, "application/rss+xml; charset=utf-8"),
    "/news/qiyun": ("news", "新闻：栖云乳业", feeds.rss, "application/rss+xml; charset=utf-8"),
}
OFFICIAL_ROUTE = "/weibo/user/qiyun-official"


def _routes(posts: list[SamplePost]) -> dict[str, Any]:
    def render(channel: str | None, title: str, make: Any, content_type: str, official: bool) -> Any:
        def body() -> tuple[bytes, str]:
            now = datetime.now(UTC)
            chosen = [p for p in posts if p.published_at <= now and (p.phase == "official") == official
                      and (channel is None or p.channel == channel)]
            return make(chosen, title=title, link=feeds.BASE), content_type
        return body

    routes = {path: render(ch, title, make, ctype, False) for path, (ch, title, make, ctype) in ROUTES.items()}
    routes[OFFICIAL_ROUTE] = render(None, "栖云乳业官方微博", feeds.rss, "application/rss+xml; charset=utf-8", True)
    return routes


def write_config(workdir: Path, feed_base: str, hook_url: str, brand: dict[str, Any]) -> Path:
    def toml_list(values: list[str]) -> str:
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"

    feed_tables = "".join(
        f'\n[[feeds]]\nname = "{name}"\nurl = "{feed_base}{path}"\ninterval = "5m"\n'
        for path, name in [(p, r[0]) for p, r in ROUTES.items()]
    )
    text = f"""# listener demo configuration, written by `listener demo`
timezone = "Asia/Shanghai"

[store]
path = "listener.db"

[[brands]]
name = {json.dumps(brand["name"], ensure_ascii=False)}
aliases = {toml_list(brand["aliases"])}
exclude = {toml_list(brand["exclude"])}
{feed_tables}
[[feeds]]
name = "official"
url = "{feed_base}{OFFICIAL_ROUTE}"
interval = "5m"
official = true
brand = {json.dumps(brand["name"], ensure_ascii=False)}

[detector]
bucket = "10m"
baseline = "7d"
min_count = 3          # the demo's sample is small; production default is 5
warmup = "1d"

[[channels]]
name = "pr-team"
type = "webhook"
url = "{hook_url}"
secret = "${{{SECRET_ENV}}}"

[digest]
at = "08:30"

[web]
listen = "127.0.0.1:8080"
"""
    path = workdir / "listener.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _say(quiet: bool, text: str = "") -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def run_demo(workdir: Path | None = None, *, quiet: bool = False) -> int:
    started = time.monotonic()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="listener-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = load_sample_data()
    now = utcnow()
    posts = schedule(data, now)
    secret = secrets.token_hex(16)
    os.environ[SECRET_ENV] = secret  # the config reads it as ${LISTENER_DEMO_WEBHOOK_SECRET}, never stores it

    _say(quiet, "listener 演示 · 离线运行：本地样例源 → 采集 → 分析 → 突增检测 → 预警 → 日报")
    _say(quiet, f"工作目录 workdir: {workdir}")
    with feed_server(_routes(posts)) as server, WebhookReceiver(secret=secret) as hook:
        config = load_config(write_config(workdir, server.url, f"{hook.url}/hook", data["brand"]))
        store = Store(config.store_path)
        _say(quiet, f"样例源 {len(config.feeds)} 个，在 {server.url} 提供；"
                    f"PR 团队的 webhook 接收端在 {hook.url}/hook\n")
        _say(quiet, "加载分词与情感模型 loading models…")
        analyzer = Analyzer(config.brands, config.sentiment)
        reports = asyncio.run(collect_round(config, store, analyzer, utcnow, progress=not quiet))
        new_total = sum(r.new for r in reports)
        for r in reports:
            error = f"，错误：{r.error}" if r.error else ""
            _say(quiet, f"  采集 {r.feed:<10} 条目 {r.items:>3}，新提及 {r.new:>3}{error}")
        events = detect(store, config, load_playbooks(), utcnow())
        delivery = deliver_due(store, config, utcnow())
        today = utcnow().astimezone(config.timezone).date()
        digests = build_digests(store, config, today, utcnow())
        _report(quiet, store, config, hook, events, delivery.sent, digests)

        # A restart re-fetches the same feeds: nothing new may be stored, nobody may be paged twice.
        again = asyncio.run(collect_round(config, store, analyzer, utcnow))
        events_again = detect(store, config, load_playbooks(), utcnow())
        second = deliver_due(store, config, utcnow())
        _say(quiet, f"\n重复采集一轮（模拟重启）：新提及 {sum(r.new for r in again)} 条，"
                    f"新预警 {len(events_again)} 个，新推送 {second.sent} 条 — 不重复存储，不重复告警。")
        mentions = store.count_mentions()
        incidents = len(store.incidents())
        alerts_sent = len(hook.received)
        store.close()
    _say(quiet, f"用时 {time.monotonic() - started:.1f} 秒。")
    print(json.dumps({"mentions": mentions, "incidents": incidents, "alerts_sent": alerts_sent,
                      "digest": str(digests[0].html) if digests else None}, ensure_ascii=False), flush=True)
    return 0 if new_total and incidents and alerts_sent else 1


def _report(quiet: bool, store: Store, config: Config, hook: WebhookReceiver, events: list, sent: int,
            digests: list) -> None:
    if quiet:
        return
    stored = store.mentions(limit=None)
    labels = Counter(m.label for m in stored if not m.official)
    _say(quiet, f"\n存储提及 {len(stored)} 条（负面 {labels['negative']}，中性 {labels['neutral']}，"
                f"正面 {labels['positive']}）；不相关的帖子（如“栖云路”“栖云山”）已排除。")
    for event in events:
        i = event.incident
        level = "严重 critical" if i.severity == "critical" else "警告 warning"
        _say(quiet, f"\n⚠ 检测到负面突增：{i.brand} · {level}")
        _say(quiet, f"  窗口 {i.window_start.astimezone(config.timezone):%m-%d %H:%M} 起，负面 {i.negative} 条，"
                    f"基线预期 {i.baseline:.1f} 条，总声量 {i.volume}，负面占比 {i.negative_share:.0%}")
    _say(quiet, f"\n已推送 {sent} 条通知。PR 团队在 webhook 收到（签名已校验）：")
    for delivery in hook.received:
        p = delivery["payload"]
        if p.get("event", "").startswith("incident."):
            _say(quiet, f"  事件 {p['event']} · 品牌 {p['brand']} · 级别 {p['severity']} · "
                        f"负面 {p['counts']['negative']} / 基线 {p['counts']['baseline']}")
            _say(quiet, f"  投诉关键词：{'、'.join(p['keywords'][:8])}")
            _say(quiet, f"  危机信号：{'、'.join(p['signals']) or '无'}")
            _say(quiet, "  证据（按影响力，相似转发已合并）：")
            for post in p["posts"][:3]:
                _say(quiet, f"    · {post['author']}（影响力 {post['reach']}，相似 {post['reposts_folded']}）："
                            f"{post['text'][:60]}")
            playbook = p["playbook"]
            _say(quiet, f"  应对建议：{playbook['title']}")
            for step in playbook["steps"][:4]:
                _say(quiet, f"    ✓ {step}")
            for avoid in playbook["avoid"][:3]:
                _say(quiet, f"    ✗ {avoid}")
    for d in digests:
        _say(quiet, f"\n今日舆情日报（{d.brand}，{d.day}）：{d.html}")
        _say(quiet, f"  提及 {d.volume} 条，负面 {d.negative} 条；Markdown 版 {d.markdown}")
    _say(quiet, f"\n网页看板 dashboard：listener serve --config {config.path}  → http://127.0.0.1:8080/")
