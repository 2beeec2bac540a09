"""The `listener` command: a thin layer over the library. Errors become one line and an exit status here."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from listener.config import Config, ConfigError, load_config

EXIT_ERROR, EXIT_USAGE = 1, 2


class CommandError(Exception):
    """A failure already phrased for the user; `status` is the exit status."""

    def __init__(self, message: str, status: int = EXIT_ERROR):
        super().__init__(message)
        self.status = status


def _emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _since(value: str | None, config: Config) -> datetime | None:
    if not value:
        return None
    from collectors.dates import parse_datetime
    from listener.durations import parse_duration

    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    when = parse_datetime(value, tz=config.timezone)
    if when is None:
        raise CommandError(f"--since: {value!r} is neither a date (2026-11-20) nor a duration (2d)", EXIT_USAGE)
    return when


def _store(config: Config):
    from listener.store import Store

    return Store(config.store_path)


# --- commands -----------------------------------------------------------------------------------

def cmd_check_config(args: argparse.Namespace, config: Config) -> int:
    print(f"配置有效 config OK: {config.path}", file=sys.stderr)
    print(json.dumps(config.resolved, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    from listener.lock import AlreadyRunning

    try:
        from listener.daemon import run_daemon

        run_daemon(config)
    except AlreadyRunning as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:  # SIGINT while still starting (before its handler is installed) is a clean stop too
        print("listener: stopped while starting", file=sys.stderr)
    return 0


def cmd_collect(args: argparse.Namespace, config: Config) -> int:
    from analyzers import Analyzer
    from listener.clock import utcnow
    from listener.collection import collect_round

    feeds = [config.feed(args.feed)] if args.feed else None
    store = _store(config)
    analyzer = Analyzer(config.brands, config.sentiment)
    reports = asyncio.run(collect_round(config, store, analyzer, utcnow, feeds=feeds, progress=sys.stderr.isatty()))
    for report in reports:
        _emit(report.as_dict())
    return 0 if all(r.error is None for r in reports) else EXIT_ERROR


def cmd_parse(args: argparse.Namespace, config: Config) -> int:
    from collectors import CollectorError, parse_document
    from collectors.fetcher import fetch, make_client
    from listener.store.codec import ts

    target = args.source
    if target.startswith(("http://", "https://")):
        async def get() -> tuple[bytes, str, str | None]:
            async with make_client() as client:
                result = await fetch(client, target)
                return result.body, result.url, result.content_type
        try:
            body, base, content_type = asyncio.run(get())
        except CollectorError as exc:
            raise CommandError(str(exc)) from None
    else:
        try:
            body, base, content_type = Path(target).read_bytes(), "", None
        except OSError as exc:
            raise CommandError(f"parse: cannot read {target}: {exc.strerror}") from None
    try:
        if getattr(args, "feed", None):  # read it the way a configured html/json source is read
            from collectors.parse import parse_source

            items = parse_source(config.feed(args.feed), body, base_url=base, content_type=content_type,
                                 tz=config.timezone).items
        else:
            items = parse_document(body, feed=Path(target).stem if not base else "cli", base_url=base,
                                   content_type=content_type, tz=config.timezone)
    except CollectorError as exc:
        raise CommandError(str(exc)) from None
    for item in items:
        record = {"id": item.item_id, "url": item.url, "title": item.title, "text": item.text,
                  "author": item.author, "published_at": ts(item.published_at)}
        if args.jsonl:
            _emit(record)
        else:
            print(f"{record['published_at'] or '(无日期)'}  {item.title[:60] or item.text[:60]}\n    {item.url or ''}")
    if not args.jsonl:
        print(f"共 {len(items)} 条 items", file=sys.stderr)
    return 0


def cmd_analyze(args: argparse.Namespace, config: Config) -> int:
    from analyzers import Analyzer

    analyzer = Analyzer(config.brands, config.sentiment)
    if args.jsonl:
        from listener.analyze_lines import analyze_lines

        analyze_lines(analyzer, sys.stdin.buffer, lambda line: print(line, flush=True),
                      lambda message: print(message, file=sys.stderr))
        return 0
    text = args.text if args.text is not None else sys.stdin.buffer.read().decode("utf-8", "replace")
    result = analyzer.analyze_text(text.encode("utf-8", "replace").decode("utf-8"))
    _emit({"sentiment": result.sentiment, "label": result.label, "keywords": list(result.keywords),
           "signals": list(result.signals)})
    return 0


def cmd_detect(args: argparse.Namespace, config: Config) -> int:
    from alerts.series import detect_series
    from collectors.dates import parse_datetime

    def points():
        try:
            handle = open(args.input, newline="", encoding="utf-8-sig")  # noqa: SIM115 - streamed below
        except OSError as exc:
            raise CommandError(f"detect: cannot read {args.input}: {exc.strerror}") from None
        with handle:
            for number, row in enumerate(csv.reader(handle), 1):
                if not row or (number == 1 and row[0].strip().lower() in ("timestamp", "time", "date")):
                    continue
                when = parse_datetime(row[0], tz=UTC)
                try:
                    value = float(row[1])
                except (IndexError, ValueError):
                    raise CommandError(f"detect: {args.input}:{number}: expected timestamp,value") from None
                if when is None:
                    raise CommandError(f"detect: {args.input}:{number}: {row[0]!r} is not a timestamp")
                yield when, value, row[0].strip()

    for alert in detect_series(points(), config.detector, config.incidents):
        if args.jsonl:
            _emit(alert)
        else:
            print(f"{alert['timestamp']}  {alert['severity']:<8} "
                  f"value {alert['value']:g}  baseline {alert['baseline']:g}")
    return 0


def cmd_mentions(args: argparse.Namespace, config: Config) -> int:
    from listener.store.codec import ts

    store = _store(config)
    rows = store.mentions(brand=args.brand, since=_since(args.since, config), label=args.label, search=args.search,
                          limit=args.limit)
    for m in rows:
        brands = [b.brand for b in m.brands]
        if args.jsonl:
            _emit({"id": m.mention_id, "brand": brands[0] if len(brands) == 1 else brands, "url": m.url,
                   "title": m.title, "text": m.text, "published_at": ts(m.published_at),
                   "sentiment": m.sentiment, "label": m.label})
        else:
            when = m.published_at.astimezone(config.timezone).strftime("%m-%d %H:%M")
            print(f"{when}  {m.label:<8} {m.sentiment:.2f}  {'/'.join(brands)}  {' '.join(m.text.split())[:70]}")
    return 0


def cmd_digest(args: argparse.Namespace, config: Config) -> int:
    from listener.clock import utcnow
    from listener.digests import build_digests

    try:
        day = date.fromisoformat(args.date) if args.date else datetime.now(config.timezone).date() - timedelta(days=1)
    except ValueError:
        raise CommandError(f"digest: --date {args.date!r} is not YYYY-MM-DD", EXIT_USAGE) from None
    formats = {f.strip() for f in args.format.split(",") if f.strip()}
    if not formats <= {"html", "md", "json", "txt"}:
        raise CommandError(f"digest: --format takes html, md, json and txt, not {args.format!r}", EXIT_USAGE)
    store = _store(config)
    if args.brand and args.brand not in {b.name for b in config.brands}:
        raise CommandError(f"digest: {args.brand!r} is not a configured brand", EXIT_USAGE)
    files = build_digests(store, config, day, utcnow(), brands=[args.brand] if args.brand else None, send=args.send)
    if args.send:
        from listener.delivery import deliver_due

        deliver_due(store, config, utcnow())
    for f in files:
        paths = {"html": str(f.html), "md": str(f.markdown), "json": str(f.json), "txt": str(f.text)}
        _emit({"brand": f.brand, "day": f.day, "volume": f.volume, "negative": f.negative,
               **{k: v for k, v in paths.items() if k in formats}})
    return 0


def cmd_feeds(args: argparse.Namespace, config: Config) -> int:
    from alerts.channels.redact import redact_url

    store = _store(config)
    rows = {r["feed"]: r for r in store.feed_rows()}
    for source in config.feeds:
        row = rows.get(source.name, {})
        record = {"feed": source.name, "url": redact_url(source.url), "interval": source.interval_seconds,
                  "last_success_at": row.get("last_success_at"),
                  "consecutive_failures": row.get("consecutive_failures", 0),
                  "last_error": row.get("last_error"), "next_attempt_at": row.get("next_attempt_at"),
                  "new_mentions": row.get("new_mentions", 0)}
        record["kind"] = source.kind
        record["last_warning"] = row.get("last_warning")
        if args.jsonl:
            _emit(record)
        else:
            health = "从未采集" if not row else ("正常 ok" if not record["consecutive_failures"] else
                                                 f"失败 {record['consecutive_failures']} 次: {record['last_error']}")
            if row and not record["consecutive_failures"] and record["last_warning"]:
                health = f"正常但文档受损 ok, damaged: {record['last_warning']}"
            retry = f", 下次尝试 next {record['next_attempt_at']}" if record["next_attempt_at"] else ""
            print(f"{source.name:<24} {health}  (最近成功 {record['last_success_at'] or '-'}{retry})")
    return 0


def cmd_test_channel(args: argparse.Namespace, config: Config) -> int:
    import uuid

    import httpx

    from alerts.channels import build_channel
    from alerts.errors import DeliveryError
    from alerts.payload import test_payload
    from alerts.types import Notification

    spec = next((c for c in config.channels if c.name == args.name), None)
    if spec is None:
        raise CommandError(f"test-channel: no channel named {args.name!r}", EXIT_USAGE)
    notification = Notification(delivery_id=uuid.uuid4().hex, channel=spec.name, event="test",
                                payload=test_payload(spec.name, datetime.now(UTC)))
    try:
        with httpx.Client(timeout=15.0, trust_env=False) as client:
            build_channel(spec).send(notification, client)
    except DeliveryError as exc:
        raise CommandError(str(exc)) from None
    print(f"已发送测试消息到 {spec.name} (test message sent)")
    return 0


def cmd_alerts(args: argparse.Namespace, config: Config) -> int:
    from listener.store.codec import incident_row

    store = _store(config)
    if args.action == "list":
        from listener.responses import incident_response

        now = datetime.now(UTC)
        for incident in store.incidents(brand=args.brand):
            clock = incident_response(store, incident, bucket_seconds=config.detector.bucket_seconds, now=now)
            _emit({**incident_row(incident), "negative_share": incident.negative_share, "response": clock.as_dict()})
        return 0
    if args.action in ("silence", "unsilence", "silences"):
        return _alerts_silence(args, config, store)
    if not args.incident_id:
        raise CommandError(f"alerts {args.action}: give an incident id", EXIT_USAGE)
    status = {"ack": "acknowledged", "resolve": "resolved"}[args.action]
    changed = store.set_incident_status(args.incident_id, status, datetime.now(UTC))
    if changed is None:
        raise CommandError(f"alerts: no incident {args.incident_id!r}", EXIT_USAGE)
    print(f"{changed.incident_id}: {changed.status}")
    return 0


def cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from listener.web.server import serve

    try:
        serve(config, host=args.host, port=args.port)
    except OSError as exc:
        raise CommandError(f"serve: cannot listen: {exc}") from None
    return 0


def _read_statement(source: str) -> str:
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise CommandError(f"check-statement: cannot read {source}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"check-statement: {source} is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise CommandError(f"check-statement: {source} is empty")
    return text


def _statement_verdict(score: int) -> str:
    if score >= 80:
        return "较好：核对事实后可以发布"
    if score >= 60:
        return "尚可：改掉下列问题再发布"
    if score >= 40:
        return "需要修改：防御性表述或缺项较多"
    return "防御性强：建议按改写骨架重写"


def cmd_check_statement(args: argparse.Namespace, config: Config) -> int:
    from alerts.statement import check_statement
    from alerts.statement_rules import StatementRulesError, load_statement_rules

    text = _read_statement(args.file)
    try:
        rules = load_statement_rules(args.rules) if args.rules else None
        report = check_statement(text, rules)
    except (StatementRulesError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        _emit(report.to_dict())
        return 0
    print(f"得分 score {report.score}/100 · {_statement_verdict(report.score)}")
    print(f"\n问题 findings（{len(report.findings)} 处）：" if report.findings else "\n未发现防御性表述。")
    for number, finding in enumerate(report.findings, 1):
        line = text.count("\n", 0, finding.start) + 1
        column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
        print(f"  {number}. 第{line}行第{column}字「{finding.span}」 {finding.label}\n     建议：{finding.advice}")
    if report.missing:
        print("\n缺少或不完整的要素 missing：")
        for element in report.missing:
            print(f"  - {element.label}：{element.advice}")
    print("\n改写骨架 skeleton：")
    print(report.skeleton)
    return 0


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    from listener.status import status_report

    report = status_report(config, datetime.now(UTC))
    print(json.dumps(report, ensure_ascii=False, indent=None if args.jsonl else 2))
    return 0 if report["ok"] else EXIT_ERROR


def _alerts_silence(args: argparse.Namespace, config: Config, store) -> int:
    """`alerts silence BRAND --until 2h|2026-11-20T18:00`, `alerts unsilence BRAND`, `alerts silences`."""
    from listener.store.codec import ts

    now = datetime.now(UTC)
    if args.action == "silences":
        for row in store.silences():
            _emit({**row, "active": row["until"] > ts(now)})
        return 0
    brand = args.incident_id
    if not brand:
        raise CommandError(f"alerts {args.action}: give a brand", EXIT_USAGE)
    if brand not in {b.name for b in config.brands}:
        raise CommandError(f"alerts {args.action}: no brand {brand!r} in {config.path}", EXIT_USAGE)
    if args.action == "unsilence":
        removed = store.unsilence(brand)
        print(f"{brand}: {'已恢复预警 notifications resumed' if removed else '未静默 was not silenced'}")
        return 0
    if not args.until:
        raise CommandError("alerts silence: give --until (a duration such as 2h, or a local date-time)", EXIT_USAGE)
    until = _until(args.until, config, now)
    store.silence(brand, until, now, args.reason)
    print(f"{brand}: 静默至 silenced until {until.isoformat()}")
    return 0


def _until(value: str, config: Config, now: datetime) -> datetime:
    from collectors.dates import parse_datetime
    from listener.durations import parse_duration

    try:
        return now + timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    when = parse_datetime(value, tz=config.timezone)
    if when is None:
        raise CommandError(f"--until: {value!r} is neither a date-time (2026-11-20 18:00) nor a duration (2h)",
                           EXIT_USAGE)
    if when <= now:
        raise CommandError(f"--until: {value!r} is in the past", EXIT_USAGE)
    return when


def cmd_backtest(args: argparse.Namespace, config: Config) -> int:
    """What the daemon would have raised over stored history (voices, weights, share, cooldown); writes nothing."""
    from listener.backtest import backtest_rows

    store = _store(config)
    now = datetime.now(UTC)
    since = _since(args.since, config)
    names = [b.name for b in config.brands]
    if args.brand and args.brand not in names:
        raise CommandError(f"backtest: no brand {args.brand!r} in {config.path}", EXIT_USAGE)
    total = 0
    for brand in [args.brand] if args.brand else names:
        first = store.first_mention_at(brand)
        if first is None:
            continue
        start = max(first, since - timedelta(seconds=config.detector.warmup_seconds)) if since else first
        for incident in backtest_rows(store, brand, start=start, now=now, detector=config.detector,
                                      incidents=config.incidents, counting=config.counting, share=config.share):
            if since and incident.incident.opened_at < since:
                continue
            total += 1
            _emit(incident.row())
    print(f"回测完成 backtest: {total} 起预警事件 incidents would have fired", file=sys.stderr)
    return 0


def cmd_outbox(args: argparse.Namespace, config: Config) -> int:
    """The outbox, one JSON line a row: what is waiting, what was sent, what failed for good (and why)."""
    store = _store(config)
    for row in store.outbox_rows(status=args.status):
        _emit({k: row[k] for k in ("delivery_id", "channel", "event", "incident_id", "status", "attempts",
                                   "created_at", "next_attempt_at", "sent_at", "last_error")})
    return 0


def cmd_demo(args: argparse.Namespace, config: Config | None) -> int:
    from listener.demo.tour import run_demo

    return run_demo(workdir=Path(args.workdir) if args.workdir else None, quiet=args.quiet)


def cmd_train_sentiment(args: argparse.Namespace, config: Config) -> int:
    from analyzers.errors import AnalyzerError
    from listener.train_cmd import run

    try:
        return run(args)
    except AnalyzerError as exc:
        raise CommandError(str(exc)) from None


# --- parser -------------------------------------------------------------------------------------

COMMANDS: dict[str, tuple[Callable[..., int], str]] = {
    "demo": (cmd_demo, "离线演示：本地样例源 → 采集 → 分析 → 预警 → 日报 (self-contained tour, no network)"),
    "run": (cmd_run, "守护进程：按间隔采集、检测、推送、日报 (the daemon, foreground)"),
    "collect": (cmd_collect, "立即采集一轮 (one collection round now)"),
    "parse": (cmd_parse, "解析一个订阅源文件或 URL (parse one feed document)"),
    "analyze": (cmd_analyze, "分析文本情感、关键词、危机信号 (analyse text)"),
    "detect": (cmd_detect, "对时间序列运行突增检测 (spike detector over a CSV series)"),
    "mentions": (cmd_mentions, "查询已存储的提及 (query stored mentions)"),
    "digest": (cmd_digest, "生成（并发送）舆情日报 (build and send the daily digest)"),
    "feeds": (cmd_feeds, "订阅源健康状况 (feed health)"),
    "test-channel": (cmd_test_channel, "向通道发送测试消息 (send a test message)"),
    "serve": (cmd_serve, "网页看板与 JSON API (the dashboard and JSON API alone)"),
    "check-statement": (cmd_check_statement, "检查危机声明草稿中的防御性表述 (review a draft statement)"),
    "status": (cmd_status, "运行状况：任务、失败的源、待发通知、数据库 (health as JSON; exit 1 on problems)"),
    "alerts": (cmd_alerts, "预警事件：列出、确认、解除、静默 (list, acknowledge, resolve incidents; silence brands)"),
    "backtest": (cmd_backtest, "用当前设置回放历史，显示会触发的预警 (replay stored history through the detector)"),
    "outbox": (cmd_outbox, "通知发件箱：待发、已发、失败 (pending, sent and failed notifications)"),
    "train-sentiment": (cmd_train_sentiment, "用标注数据训练情感模型 (train a sentiment model from labelled CSVs)"),
    "check-config": (cmd_check_config, "校验配置并打印（密钥已隐藏）(validate and print the config)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="listener", description="中文舆情监测与危机预警 Chinese social listening")
    parser.add_argument("--config", help="config file (default: $LISTENER_CONFIG, ./listener.toml, bundled example)")
    parser.add_argument("--log-level", help="debug, info, warning or error (overrides [logging] level)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--log-level", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = {name: sub.add_parser(name, help=text, description=text, parents=[common])
         for name, (_, text) in COMMANDS.items()}
    p["demo"].add_argument("--workdir", help="where the demo writes its database and digest (default: a new temp dir)")
    p["demo"].add_argument("--quiet", action="store_true", help="print only the final JSON line")
    p["collect"].add_argument("--feed", help="only this feed")
    p["parse"].add_argument("source", metavar="FILE_OR_URL")
    p["parse"].add_argument("--jsonl", action="store_true")
    p["parse"].add_argument("--feed", help="parse as this configured feed does (its kind, selectors, field paths)")
    p["analyze"].add_argument("text", nargs="?", metavar="TEXT")
    p["analyze"].add_argument("--jsonl", action="store_true", help='read {"id","text"} lines on stdin')
    p["detect"].add_argument("--input", required=True, metavar="SERIES.csv")
    p["detect"].add_argument("--jsonl", action="store_true")
    p["mentions"].add_argument("--brand")
    p["mentions"].add_argument("--since", help="a date (2026-11-20) or a duration back from now (2d)")
    p["mentions"].add_argument("--label", choices=["negative", "neutral", "positive"])
    p["mentions"].add_argument("--search", help="full-text search in title and text")
    p["mentions"].add_argument("--limit", type=int, default=100)
    p["mentions"].add_argument("--jsonl", action="store_true")
    p["digest"].add_argument("--date", help="YYYY-MM-DD (default: yesterday)")
    p["digest"].add_argument("--brand")
    p["digest"].add_argument("--format", default="html,md,json", help="html,md,json (txt: the plain-text email part)")
    p["digest"].add_argument("--send", action="store_true", help="also send through the channels")
    p["feeds"].add_argument("--jsonl", action="store_true")
    p["serve"].add_argument("--host", help="address to bind (default: [web] listen, else 127.0.0.1)")
    p["serve"].add_argument("--port", type=int, help="port (default: [web] listen, else 8080)")
    p["test-channel"].add_argument("name", metavar="NAME")
    p["status"].add_argument("--jsonl", action="store_true", help="one line instead of indented JSON")
    p["check-statement"].add_argument("file", metavar="FILE", help="the draft (UTF-8); - reads stdin")
    p["check-statement"].add_argument("--json", action="store_true", help="one JSON object: score, findings, ...")
    p["check-statement"].add_argument("--rules", help="a rules file instead of the bundled lexicons/statement.toml")
    p["alerts"].add_argument("action", choices=["list", "ack", "resolve", "silence", "unsilence", "silences"])
    p["alerts"].add_argument("incident_id", nargs="?", help="the incident id (ack, resolve) or brand (silence)")
    p["outbox"].add_argument("--status", choices=["pending", "sent", "failed"])
    p["alerts"].add_argument("--brand")
    p["alerts"].add_argument("--until", help="silence: a duration (2h) or a local date-time (2026-11-20 18:00)")
    p["alerts"].add_argument("--reason", help="silence: why (shown by `alerts silences`)")
    p["backtest"].add_argument("--brand")
    p["backtest"].add_argument("--since", help="a date (2026-11-01) or a duration back from now (30d)")
    from listener.train_cmd import add_arguments as add_train_arguments

    add_train_arguments(p["train-sentiment"])
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "jieba"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler, _ = COMMANDS[args.command]
    try:
        if args.log_level and args.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise CommandError(f"--log-level: {args.log_level!r} is not debug, info, warning or error", EXIT_USAGE)
        if args.command == "demo":
            setup_logging(args.log_level or "ERROR")  # the tour narrates; logs would repeat it
            return handler(args, None)
        config = load_config(args.config)
        setup_logging(args.log_level or config.log_level)
        from listener.redaction import scrub_logs

        scrub_logs(config)  # no log line carries a robot token, a feed key or a password
        return handler(args, config)
    except ConfigError as exc:
        print(f"listener: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:
        print(f"listener: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `listener mentions | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0
    except Exception as exc:  # the last line of defence: one readable line, not a traceback
        from listener.store import StoreError

        if isinstance(exc, StoreError):
            print(f"listener: {exc}", file=sys.stderr)
            return EXIT_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
