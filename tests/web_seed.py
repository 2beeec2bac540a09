"""A seeded store for the dashboard and digest tests: eight days of two brands, an incident, a hostile post."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerts.types import Incident
from analyzers import BrandMatch, Mention, Signal
from collectors import FeedState
from listener.config import Config, load_config
from listener.store import Store

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
BRAND, OTHER = "栖云乳业", "北岭茶饮"
HOSTILE = '栖云牛奶<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>喝了胃疼'
INCIDENT_ID = "inc-栖云-1"

NEGATIVE = ["栖云牛奶喝完拉肚子，客服一直推脱", "栖云乳业的酸奶变质了，发霉结块", "投诉栖云牛奶包装漏液，退款难",
            "栖云乳业门店态度差，再也不买", "栖云牛奶有异味，孩子喝了呕吐"]
POSITIVE = ["栖云乳业新品口感很好，推荐", "栖云牛奶早餐必备，味道香浓", "栖云乳业客服处理很快，点赞"]
NEUTRAL = ["栖云乳业今天发布了三季度报告", "路过栖云牛奶的新门店"]


def config_text(store: Path, web: str = "") -> str:
    return textwrap.dedent(f"""
        [store]
        path = "{store}"

        [[brands]]
        name = "{BRAND}"
        aliases = ["栖云牛奶"]

        [[brands]]
        name = "{OTHER}"

        [[feeds]]
        name = "weibo"
        url = "http://127.0.0.1:9/weibo"

        [[feeds]]
        name = "news"
        url = "http://127.0.0.1:9/news"

        [[feeds]]
        name = "official"
        url = "http://127.0.0.1:9/official"
        official = true
        brand = "{BRAND}"
        """) + textwrap.dedent(web)


def mention(n: int, text: str, label: str, when: datetime, *, brand: str = BRAND, feed: str = "weibo",
            reposts: int = 0, simhash: int | None = None, official: bool = False) -> Mention:
    sentiment = {"negative": 0.1, "neutral": 0.5, "positive": 0.9}[label]
    return Mention(mention_id=f"m{n}", feed=feed, url=f"https://weibo.example/{n}", title="", text=text,
                   clean_text=text, author=f"用户{n % 17}", published_at=when, fetched_at=when,
                   brands=(BrandMatch(brand),), sentiment=sentiment, label=label,
                   keywords=tuple(w for w in ("拉肚子", "变质", "客服", "退款", "口感", "异味") if w in text),
                   signals=(Signal("food_safety", ("拉肚子",), 2.0),) if "拉肚子" in text else (),
                   metrics={"followers": 100 + n * 7 % 900, "reposts": reposts},
                   simhash=simhash or (n * 2654435761) % 2**63, official=official)


def seed(config: Config) -> dict[str, int]:
    """Eight days of history ending at NOW, a negative burst this morning, and the incident it opened."""
    mentions = []
    n = 0
    for day in range(8, -1, -1):
        for hour in range(0, 24, 2):
            when = NOW - timedelta(days=day, hours=hour) - timedelta(minutes=7)
            if when > NOW:
                continue
            for text, label in ((NEGATIVE[n % 5], "negative"), (POSITIVE[n % 3], "positive"),
                                (NEUTRAL[n % 2], "neutral"), (POSITIVE[(n + 1) % 3], "positive")):
                n += 1
                mentions.append(mention(n, f"{text} #{n}", label, when, feed="weibo" if n % 3 else "news"))
            n += 1
            mentions.append(mention(n, f"北岭茶饮奶茶不错 #{n}", "positive", when, brand=OTHER, feed="news"))
    burst_start = NOW - timedelta(hours=2)
    for i in range(30):
        n += 1
        # One widely reposted complaint: the same text many times, folded in evidence.
        text, simhash = ("栖云牛奶喝了拉肚子，客服说是我们自己的问题！", 0xABCDEF) if i % 3 == 0 else \
            (f"{NEGATIVE[i % 5]}，第{i}位网友", None)
        mentions.append(mention(n, text, "negative", burst_start + timedelta(minutes=3 * i), reposts=90 - i,
                                simhash=simhash))
    n += 1
    mentions.append(mention(n, HOSTILE, "negative", NOW - timedelta(minutes=30), reposts=400))
    n += 1
    mentions.append(mention(n, "关于消费者反馈的说明：我们已封存同批次产品并送检。", "neutral",
                            NOW - timedelta(minutes=20), feed="official", official=True))
    store = Store(config.store_path)
    try:
        store.save_mentions(mentions)
        store.save_incident(Incident(
            incident_id=INCIDENT_ID, brand=BRAND, status="open", severity="critical", opened_at=burst_start,
            updated_at=NOW, window_start=burst_start, window_end=NOW, negative=31, baseline=2.5, volume=34,
            peak_bucket_negative=6))
        for feed, failures in (("weibo", 0), ("news", 3)):
            store.save_feed_state(FeedState(feed=feed, last_success_at=NOW - timedelta(minutes=5),
                                            consecutive_failures=failures,
                                            last_error="fetch: HTTP 503" if failures else None),
                                  url=f"http://127.0.0.1:9/{feed}", items_seen=40, new_mentions=10, now=NOW)
    finally:
        store.close()
    return {"mentions": len(mentions)}


DIGEST_NOW = NOW + timedelta(hours=20, minutes=30)  # 08:30 the next morning in Shanghai: the digest job's hour


def seed_rest_of_day(config: Config) -> int:
    """The afternoon and evening after NOW in the same rhythm, plus the burst's tail: the seed day becomes a
    full day, as the digest sent the next morning sees it."""
    mentions = []
    for step in range(1, 13):  # 12:53 … 23:53 local
        when = NOW + timedelta(hours=step) - timedelta(minutes=7)
        for k, (text, label) in enumerate(((NEGATIVE[step % 5], "negative"), (POSITIVE[step % 3], "positive"),
                                           (NEUTRAL[step % 2], "neutral"))):
            mentions.append(mention(10_000 + step * 10 + k, f"{text} ·午后{step}", label, when,
                                    feed="weibo" if k else "news"))
        if step <= 3:  # the complaint keeps being reposted for a few hours, fading
            for r in range(6 - 2 * step + 2):
                mentions.append(mention(10_500 + step * 10 + r, f"{NEGATIVE[r % 5]}，跟帖{step}-{r}", "negative",
                                        when + timedelta(minutes=5 * r), reposts=20 - r))
        mentions.append(mention(10_900 + step, f"北岭茶饮新品排队 ·{step}", "positive" if step % 4 else "negative",
                                when, brand=OTHER, feed="news"))
    store = Store(config.store_path)
    try:
        store.save_mentions(mentions)
    finally:
        store.close()
    return len(mentions)


def seeded_config(tmp_path: Path, web: str = "[web]\nlisten = \"127.0.0.1:8080\"\n") -> Config:
    path = tmp_path / "listener.toml"
    path.write_text(config_text(tmp_path / "listener.db", web), encoding="utf-8")
    config = load_config(path)
    seed(config)
    return config
