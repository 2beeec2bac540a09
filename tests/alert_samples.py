"""Alert payloads built by the real payload code from realistic and hostile mentions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from alerts.evidence import fold_reposts
from alerts.payload import incident_payload
from alerts.playbook import choose_playbook, load_playbooks
from alerts.types import Incident
from analyzers import Mention
from analyzers.types import Signal

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HOSTILE_TITLE = "紧急\r\n通知<script>alert(1)</script> @all [点我](http://evil.example/x)"
HOSTILE_TEXT = ("**喝了栖云牛奶孩子住院** `code` @所有人 <img src=x onerror=alert(1)> # 标题\n> 引用 "
                "联系我13812345678 邮箱victim.name@example.com 身份证110105199003071234 <!channel> <@U123> ~删除~")


def mention(i: int, *, title: str, text: str, url: str | None, author: str = "用户", reach: int = 100,
            simhash: int = 0) -> Mention:
    return Mention(
        mention_id=f"m{i}", feed="weibo-search", url=url, title=title, text=text, clean_text=text,
        author=author, published_at=NOW - timedelta(minutes=i), fetched_at=NOW, brands=(), sentiment=0.05,
        label="negative", keywords=("住院", "变质"), signals=(Signal("product_safety", ("住院",), 3.0),),
        metrics={"followers": reach}, simhash=simhash or (i * 0x9E3779B97F4A7C15) & (2**64 - 1),
    )


def hostile_mentions() -> list[Mention]:
    return [
        mention(1, title=HOSTILE_TITLE, text=HOSTILE_TEXT, url="https://weibo.example/p/1?a=(1)&b=2",
                author="<b>攻击者</b>@all", reach=5000, simhash=0xFFFF0000FFFF0000),
        mention(2, title="转发", text=HOSTILE_TEXT, url="https://weibo.example/p/2", reach=10,
                simhash=0xFFFF0000FFFF0001),  # a repost of the first: folded
        mention(3, title="恶意链接", text="点这里", url="javascript:alert(document.cookie)", reach=800),
    ]


def incident(severity: str = "critical") -> Incident:
    return Incident(incident_id="inc-1", brand="栖云乳业", status="open", severity=severity, opened_at=NOW,
                    updated_at=NOW, window_start=NOW - timedelta(minutes=10), window_end=NOW, negative=42,
                    baseline=3.5, volume=60)


def hostile_payload(event: str = "incident.opened", severity: str = "critical") -> dict:
    mentions = hostile_mentions()
    playbook = choose_playbook(load_playbooks(), Counter({"product_safety": 9.0}))
    return incident_payload(event, incident(severity), posts=fold_reposts(mentions), keywords=["住院", "<变质>"],
                            signals=["product_safety"], playbook=playbook,
                            incident_url="http://127.0.0.1:8080/incidents/inc-1", sent_at=NOW)
