"""The CLI contracts: JSON lines with the documented keys, from real documents and a real local feed server."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import FEEDS


def cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "listener", *args], input=stdin, capture_output=True, text=True,
                          timeout=180, cwd=cwd)


def lines(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_parse_jsonl_contract() -> None:
    records = lines(cli("parse", str(FEEDS / "zhihu-daily.rss.xml"), "--jsonl"))
    assert len(records) == 4
    assert set(records[0]) == {"id", "url", "title", "text", "author", "published_at"}
    assert records[0]["published_at"] == "2026-08-22T18:20:18Z"


def test_parse_of_a_non_feed_is_one_line_error() -> None:
    result = cli("parse", str(FEEDS / "rssparser-html-document-moved.rss"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "parse:" in result.stderr


def test_analyze_jsonl_contract() -> None:
    stdin = "\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in
                      enumerate(["这家的牛奶喝了拉肚子，客服还踢皮球", "早餐喝牛奶，今天也元气满满"])) + "\nnot json\n"
    result = cli("analyze", "--jsonl", stdin=stdin)
    records = lines(result)
    assert [r["id"] for r in records] == [0, 1]
    assert set(records[0]) == {"id", "sentiment", "label", "keywords", "signals"}
    assert all(0 <= r["sentiment"] <= 1 and r["label"] in ("negative", "neutral", "positive") for r in records)
    assert "product_safety" in records[0]["signals"]
    assert "line 3" in result.stderr  # the bad line is reported, the good ones are answered


def test_detect_streams_one_alert_per_spike(tmp_path: Path) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = ["timestamp,value"]
    for i in range(3 * 288):  # three days of 5-minute buckets
        value = 40 if 2 * 288 + 100 <= i < 2 * 288 + 106 else (i * 7) % 4
        rows.append(f"{(start + timedelta(minutes=5 * i)):%Y-%m-%d %H:%M:%S},{value}")
    series = tmp_path / "series.csv"
    series.write_text("\n".join(rows), encoding="utf-8")
    alerts = lines(cli("detect", "--input", str(series), "--jsonl"))
    assert len(alerts) == 1
    assert {"timestamp", "value", "baseline", "severity"} <= set(alerts[0])
    assert alerts[0]["timestamp"] == f"{start + timedelta(minutes=5 * (2 * 288 + 100)):%Y-%m-%d %H:%M:%S}"


def test_collect_then_mentions_and_digest(write_config, feeds, tmp_path: Path) -> None:
    server, routes = feeds
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{title}</title><guid>{i}</guid><link>https://x.example/{i}</link>"
        f"<description>{text}</description><pubDate>{format_datetime(now - timedelta(hours=i), usegmt=True)}"
        "</pubDate></item>"
        for i, (title, text) in enumerate([("栖云纯牛奶结块", "孩子喝了栖云纯牛奶呕吐，恶心"),
                                           ("栖云酸奶", "栖云酸奶好喝"), ("栖云路", "栖云路又堵车了")]))
    routes.serve("/rss", f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
                         f"{items}</channel></rss>".encode())
    config = write_config(f"""
        [store]
        path = "cli.db"
        [[brands]]
        name = "栖云乳业"
        aliases = ["栖云", "栖云纯牛奶", "栖云酸奶"]
        exclude = ["栖云路"]
        [[feeds]]
        name = "weibo"
        url = "{server.url}/rss"
        [[feeds]]
        name = "down"
        url = "{server.url}/missing"
    """)
    result = cli("collect", "--config", str(config))
    reports = {r["feed"]: r for r in (json.loads(x) for x in result.stdout.splitlines())}
    assert result.returncode == 1  # one feed failed: the round says so, and still collected the other
    assert reports["weibo"]["new"] == 2 and reports["weibo"]["error"] is None
    assert "HTTP 404" in reports["down"]["error"]
    assert lines(cli("collect", "--config", str(config), "--feed", "weibo"))[0]["new"] == 0
    found = lines(cli("mentions", "--config", str(config), "--search", "呕吐", "--jsonl"))
    assert len(found) == 1
    assert set(found[0]) == {"id", "brand", "url", "title", "text", "published_at", "sentiment", "label"}
    assert found[0]["brand"] == "栖云乳业"
    health = {r["feed"]: r for r in lines(cli("feeds", "--config", str(config), "--jsonl"))}
    assert health["down"]["consecutive_failures"] == 1 and health["weibo"]["consecutive_failures"] == 0
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    digest = lines(cli("digest", "--config", str(config), "--date", today, "--format", "html,json"))
    assert digest and Path(digest[0]["html"]).exists() and "md" not in digest[0]
    assert digest[0]["volume"] >= 1
