"""kind = "html" and kind = "json" sources, end to end over a real local server, and Chinese relative dates."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from collectors import FeedSource, ParseError, collect_feed
from collectors.dates import parse_datetime
from collectors.fetcher import make_client
from listener.config import ConfigError, load_config
from tests.fault_server import FaultServer, Reply

NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai

FORUM = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>栖云乳业吧</title></head><body>
<ul class="threads">
 <li class="thread" data-tid="9001"><a class="t" href="/p/9001?share_from=app#reply">栖云牛奶喝出异物</a>
   <span class="author">吃瓜网友</span><span class="time">3小时前</span>
   <div class="body">今天早上打开一盒，里面有黑色颗粒 &amp; 异味</div></li>
 <li class="thread" data-tid="9002"><a class="t" href="p/9002">客服回复太慢了</a>
   <span class="author">老用户</span><span class="time">昨天 08:00</span>
   <div class="body">等了三天没人理</div></li>
 <li class="thread" data-tid="9003"><a class="t" href="https://other.example/x/9003">栖云新品试喝</a>
   <span class="author">小王</span><time datetime="2026-11-20T09:15:00+08:00">11月20日</time>
   <div class="body">口感不错</div></li>
</ul></body></html>"""

SELECT = {"item": "li.thread", "title": "a.t", "link": "a.t", "text": "div.body", "time": ".time, time",
          "author": ".author", "id": "@data-tid"}

API = {"ok": 1, "data": {"cards": [
    {"mblog": {"id": "4900001", "bid": "Pz1a", "text": "栖云牛奶<b>召回</b>了吗？", "created_at": 1763776800000,
               "user": {"id": 1234, "screen_name": "消费者A", "followers_count": "1.2万"},
               "reposts_count": 35, "comments_count": "10万+", "attitudes_count": 7}},
    {"mblog": {"id": "4900002", "bid": "Pz1b", "text": "今天又买了一箱", "created_at": "刚刚",
               "user": {"id": 5678, "screen_name": "消费者B", "followers_count": 12},
               "reposts_count": 0, "comments_count": 1, "attitudes_count": 2}},
    {"card_type": 11},
]}}
FIELDS = {"items": "data.cards", "id": "mblog.id", "text": "mblog.text", "url": "https://m.weibo.cn/{mblog.user.id}/{mblog.bid}",
          "time": "mblog.created_at", "author": "mblog.user.screen_name", "followers": "mblog.user.followers_count",
          "reposts": "mblog.reposts_count", "comments": "mblog.comments_count", "likes": "mblog.attitudes_count"}


def collect(source: FeedSource):
    async def run():
        async with make_client() as client:
            return await collect_feed(client, source, now=NOW)
    return asyncio.run(run())


def test_html_listing_in_gbk_with_selectors() -> None:
    with FaultServer() as server:
        server.routes["/forum"] = Reply(FORUM.encode("gbk"), headers={"Content-Type": "text/html"})
        result = collect(FeedSource("tieba", f"{server.url}/forum", kind="html", mapping=SELECT))
        base = server.url
    assert result.error is None, result.error
    first, second, third = result.items
    assert first.title == "栖云牛奶喝出异物" and first.author == "吃瓜网友" and first.guid == "9001"
    assert first.text == "今天早上打开一盒，里面有黑色颗粒 & 异味"
    assert first.url == f"{base}/p/9001?share_from=app#reply"
    assert first.published_at == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 3小时前
    assert second.url == f"{base}/p/9002" and second.published_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    assert third.url == "https://other.example/x/9003"
    assert third.published_at == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)  # <time datetime> beats the text


def test_html_selector_that_matches_nothing_is_a_clear_error() -> None:
    with FaultServer() as server:
        server.routes["/forum"] = Reply(FORUM.encode("gbk"), headers={"Content-Type": "text/html"})
        result = collect(FeedSource("tieba", f"{server.url}/forum", kind="html", mapping={"item": "div.post"}))
    assert result.error and result.error.startswith("parse: ") and "matched nothing" in result.error
    assert result.state.consecutive_failures == 1


def test_json_api_with_field_paths_templates_and_chinese_counts() -> None:
    with FaultServer() as server:
        server.routes["/api"] = Reply(json.dumps(API, ensure_ascii=False).encode(),
                                      headers={"Content-Type": "application/json"})
        result = collect(FeedSource("weibo-api", f"{server.url}/api", kind="json", mapping=FIELDS))
    assert result.error is None, result.error
    assert len(result.items) == 2  # the card with no post in it (an ad, a divider) is skipped
    first, second = result.items
    assert first.url == "https://m.weibo.cn/1234/Pz1a" and first.guid == "4900001"
    assert first.text == "栖云牛奶<b>召回</b>了吗？" and first.author == "消费者A"
    assert first.published_at == datetime.fromtimestamp(1763776800, UTC)
    assert first.metrics == {"followers": 12_000, "reposts": 35, "comments": 100_000, "likes": 7}
    assert second.published_at == NOW and second.metrics["followers"] == 12


def test_json_items_path_that_is_not_a_list_is_a_parse_error() -> None:
    from collectors.jsonsource import parse_json_api

    with pytest.raises(ParseError, match=r"fields\.items 'data\.list' is not a list"):
        parse_json_api(API, {**FIELDS, "items": "data.list"}, feed="w", base_url="", fetched_at=NOW, tz=UTC)


def test_config_checks_selectors_and_field_paths(write_config) -> None:
    base = '[[feeds]]\nname = "x"\nurl = "http://127.0.0.1:1/x"\n'
    ok = load_config(write_config(base + 'kind = "html"\nselect = { item = "li.thread", time = "time@datetime" }\n'))
    assert ok.feeds[0].kind == "html" and ok.feeds[0].mapping == {"item": "li.thread", "time": "time@datetime"}
    ok = load_config(write_config(base + 'kind = "json"\nfields = { items = "data", text = "t" }\n'))
    assert ok.feeds[0].mapping == {"items": "data", "text": "t"}
    for body, message in [
        ('kind = "html"\nselect = { item = "li[" }\n', r"feeds\[0\]\.select\.item: 'li\[' is not a CSS selector"),
        ('kind = "html"\nselect = { title = "h2" }\n', r"feeds\[0\]\.select\.item: "),
        ('kind = "html"\nselect = { item = "li", colour = "x" }\n', r"feeds\[0\]\.select\.colour: unknown field"),
        ('kind = "json"\nfields = { items = "data" }\n', r"feeds\[0\]\.fields\.text: "),
        ('select = { item = "li" }\n', r"feeds\[0\]\.select: only for kind"),
        ('kind = "rss"\n', r"feeds\[0\]\.kind: 'rss' is not one of feed, html, json"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_config(write_config(base + body))


@pytest.mark.parametrize(("text", "expected"), [
    ("刚刚", NOW),
    ("3小时前", datetime(2026, 11, 22, 1, 0, tzinfo=UTC)),
    ("３小时前", datetime(2026, 11, 22, 1, 0, tzinfo=UTC)),
    ("5分钟前", datetime(2026, 11, 22, 3, 55, tzinfo=UTC)),
    ("5 分钟前", datetime(2026, 11, 22, 3, 55, tzinfo=UTC)),
    ("30秒前", datetime(2026, 11, 22, 3, 59, 30, tzinfo=UTC)),
    ("半小时前", datetime(2026, 11, 22, 3, 30, tzinfo=UTC)),
    ("2天前", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("今天 09:30", datetime(2026, 11, 22, 1, 30, tzinfo=UTC)),
    ("昨天 08:00", datetime(2026, 11, 21, 0, 0, tzinfo=UTC)),
    ("昨天08:00", datetime(2026, 11, 21, 0, 0, tzinfo=UTC)),
    ("前天 23:59", datetime(2026, 11, 20, 15, 59, tzinfo=UTC)),
    ("11月22日", datetime(2026, 11, 21, 16, 0, tzinfo=UTC)),
    ("11月22日 10:30", datetime(2026, 11, 22, 2, 30, tzinfo=UTC)),
    ("11-20 10:30", datetime(2026, 11, 20, 2, 30, tzinfo=UTC)),
    ("2026年11月22日 10:30:15", datetime(2026, 11, 22, 2, 30, 15, tzinfo=UTC)),
    ("2026/11/22 10:00", datetime(2026, 11, 22, 2, 0, tzinfo=UTC)),
    ("2026-11-22 10:00:00 +0800", datetime(2026, 11, 22, 2, 0, tzinfo=UTC)),
    ("2026-11-22", datetime(2026, 11, 21, 16, 0, tzinfo=UTC)),
    ("Sun, 22 Nov 2026 10:00:00 GMT", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
    ("1763776800", datetime.fromtimestamp(1763776800, UTC)),
    ("", None), ("昨天下雨了", None), ("13月40日", None),
])
def test_chinese_relative_and_absolute_dates_with_an_injected_clock(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text, now=NOW) == expected


def test_a_month_and_day_later_than_today_is_last_year() -> None:
    new_year = datetime(2027, 1, 2, 4, 0, tzinfo=UTC)
    assert parse_datetime("12月31日 23:00", now=new_year) == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    assert parse_datetime("1月1日", now=new_year) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_the_readme_examples_load(write_config) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### HTML and JSON sources", 1)[1]
    example = section.split("```toml", 1)[1].split("```", 1)[0]
    config = load_config(write_config(example))
    assert [(f.kind, f.mapping["id"]) for f in config.feeds] == [("html", "@data-tid"), ("json", "mblog.id")]


def test_cli_parse_reads_a_saved_page_as_its_configured_feed(write_config, tmp_path) -> None:
    import subprocess
    import sys

    select = ", ".join(f'{k} = "{v}"' for k, v in SELECT.items())
    config = write_config(f'[[feeds]]\nname = "tieba"\nurl = "http://127.0.0.1:1/f"\nkind = "html"\n'
                          f"select = {{ {select} }}\n")
    page = tmp_path / "forum.html"
    page.write_bytes(FORUM.encode("gbk"))
    done = subprocess.run([sys.executable, "-m", "listener", "parse", str(page), "--feed", "tieba", "--jsonl",
                           "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["title"] for r in rows] == ["栖云牛奶喝出异物", "客服回复太慢了", "栖云新品试喝"]
    assert rows[2]["published_at"] == "2026-11-20T01:15:00Z" and rows[0]["author"] == "吃瓜网友"
    missing = subprocess.run([sys.executable, "-m", "listener", "parse", str(page), "--feed", "nope",
                              "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no feed named 'nope'" in missing.stderr
