"""The settings registry: every config key, its type, default and help, in one place.

It drives validation (unknown keys rejected, types checked), `check-config` output and the
configuration reference in README.md (a test keeps the two in step).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.channels.redact import redact_channel_url, redact_url
from listener.durations import parse_duration

Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Setting:
    key: str
    parse: Parser
    default: Any = None
    help: str = ""
    required: bool = False
    secret: bool = False
    redact: Callable[[str], str] | None = None  # shown (check-config) in this form: a URL with its tokens masked


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _nonempty(value: Any) -> str:
    if not _string(value).strip():
        raise ValueError("must not be empty")
    return value.strip()


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _int(minimum: int) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value
    return parse


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    return float(value)


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
        raise ValueError(f"expected a number above 0 (at most 100), got {value!r}")
    return float(value)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())


def _duration(minimum: int = 0) -> Parser:
    def parse(value: Any) -> int:
        seconds = parse_duration(value)
        if seconds < minimum:
            raise ValueError(f"{value!r} is too short (at least {minimum}s)")
        return seconds
    return parse


def _choice(*options: str) -> Parser:
    def parse(value: Any) -> str:
        if value not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(options)}")
        return value
    return parse


def _url(value: Any) -> str:
    text = _nonempty(value)
    if not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
        # Never echo the value: a robot URL's query or path is its credential.
        raise ValueError(f"{redact_channel_url(text)!r} is not an http(s) URL")
    return text


def _clock(value: Any) -> tuple[int, int]:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", _string(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a time of day (HH:MM)")
    return int(match[1]), int(match[2])


def _listen(value: Any) -> tuple[str, int]:
    match = re.fullmatch(r"\[?([\w.:-]+?)\]?:(\d{1,5})", _string(value).strip())
    if not match or not 0 < int(match[2]) < 65536:
        raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:8080)")
    return match[1], int(match[2])


def _zone(value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(_nonempty(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone (e.g. Asia/Shanghai)") from None


def _mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(f"expected a table of strings (field = \"selector\"), got {value!r}")
    return {k: v.strip() for k, v in value.items()}


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return float(parse_duration(value))


def _log_level(value: Any) -> str:
    level = _string(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"{value!r} is not one of debug, info, warning, error")
    return level


CHANNEL_TYPES = ("webhook", "email", "dingtalk", "feishu", "wecom", "slack")
EVENTS = ("incident.opened", "incident.escalated", "incident.resolved", "feed.unhealthy", "feed.recovered",
          "digest")


def _events(value: Any) -> tuple[str, ...]:
    events = _strings(value)
    for event in events:
        if event not in EVENTS:
            raise ValueError(f"{event!r} is not an event ({', '.join(EVENTS)})")
    return events


# Top-level keys that are not tables.
TOP = {
    "timezone": Setting("timezone", _zone, "Asia/Shanghai", "Zone for naive feed dates, digests and display"),
}

# section -> (is an array of tables, its settings)
SECTIONS: dict[str, tuple[bool, dict[str, Setting]]] = {
    "store": (False, {s.key: s for s in [
        Setting("path", _nonempty, "listener.db", "SQLite file; relative to the config file"),
    ]}),
    "logging": (False, {s.key: s for s in [
        Setting("level", _log_level, "INFO", "debug, info, warning or error; logs go to stderr"),
    ]}),
    "brands": (True, {s.key: s for s in [
        Setting("name", _nonempty, required=True, help="Display name; unique"),
        Setting("aliases", _strings, [], "Other names, products, English or traditional forms"),
        Setting("exclude", _strings, [], "Phrases whose occurrences of the name do not count (栖云路)"),
    ]}),
    "feeds": (True, {s.key: s for s in [
        Setting("name", _nonempty, required=True, help="Unique name, used in logs and `--feed`"),
        Setting("url", _url, required=True, help="RSS/Atom/RDF/JSON Feed URL (format auto-detected)",
                redact=redact_url),
        Setting("interval", _duration(10), "5m", "How often to fetch; at least 10s"),
        Setting("kind", _choice("feed", "html", "json"), "feed", "feed (RSS/Atom/RDF/JSON Feed), html or json"),
        Setting("select", _mapping, {}, "kind = html: CSS selectors item, title, link, text, time, author, id"),
        Setting("fields", _mapping, {}, "kind = json: field paths items, id, title, text, url, time, author, "
                "followers, reposts, comments, likes"),
        Setting("official", _bool, False, "The brand's own account: its posts are the brand's responses"),
        Setting("brand", _nonempty, None, "Every post of this feed is about this brand (no name needed)"),
        Setting("domain", _choice("auto", "social", "review"), "auto",
                "What its posts are for the sentiment model: social posts, reviews, or auto (the model tells)"),
        Setting("timeout", _duration(1), "20s", "Give up on one fetch after this long"),
    ]}),
    "collector": (False, {s.key: s for s in [
        Setting("user_agent", _nonempty, None, "User-Agent header sent to sources"),
        Setting("proxy", _nonempty, None, "HTTP(S) proxy URL for fetching", secret=True),
        Setting("concurrency", _int(1), 8, "Feeds fetched at once"),
        Setting("max_bytes", _int(1024), 10 * 1024 * 1024, "Largest document accepted, in bytes"),
        Setting("per_host", _int(1), 4, "Requests in flight at once to one host"),
        Setting("host_delay", _seconds, 0.0, "Least time between two request starts on one host (e.g. 1s)"),
        Setting("retries", _int(0), 2, "Retries of one fetch on timeouts, resets, 5xx and 429"),
        Setting("backoff", _seconds, 1.0, "First retry waits this long (seconds), doubling, with jitter"),
        Setting("analysis_workers", _int(0), None, "Analysis processes (default: one per core; 0: in process)"),
    ]}),
    "sentiment": (False, {s.key: s for s in [
        Setting("engine", _choice("linear", "snownlp"), "linear", "Sentiment engine"),
        Setting("model", _nonempty, None, "Model file for the linear engine (default: the shipped one)"),
        Setting("negative_below", _fraction, 0.35, "Scores below this are negative"),
        Setting("positive_above", _fraction, 0.65, "Scores above this are positive"),
    ]}),
    "detector": (False, {s.key: s for s in [
        Setting("bucket", _duration(60), "10m", "Counting bucket"),
        Setting("baseline", _duration(3600), "7d", "How much history the baseline looks at"),
        Setting("min_count", _int(1), 5, "Never alert below this many negative mentions in a bucket"),
        Setting("warmup", _duration(0), "1d", "History a brand needs before it can alert"),
        Setting("resolve_after", _duration(60), "1h", "Quiet time after which an incident resolves"),
        Setting("horizon", _duration(60), "1h", "Spikes older than this are history, never a new alert"),
        Setting("window", _duration(60), "3h", "The sustained-rise test looks at the mean over this long"),
        Setting("threshold", _positive, 3.0, "Robust scales above the baseline that make a spike"),
        Setting("fold_reposts", _bool, True, "Count a near-duplicate wave (SimHash, 24h window) as one voice"),
        Setting("weight_reach", _bool, False, "Count a voice as 1 + log10(1 + reach of its copies), at most 5"),
        Setting("weight_signals", _bool, False, "Multiply a voice raising a crisis signal by the category's weight"),
        Setting("settle", _duration(0), "1h", "Late posts this long after their bucket closed still count in it"),
        Setting("share", _bool, True, "Also page when the negative share jumps far above the brand's usual share "
                "(binomial tail 1e-6), with volume steady"),
        Setting("share_min_count", _int(1), 10, "The share test needs at least this many negative voices"),
        Setting("share_rise", _fraction, 0.25, "The share must be this far above usual (0.25 = 25 points)"),
    ]}),
    "channels": (True, {s.key: s for s in [
        Setting("name", _nonempty, required=True, help="Unique; `listener test-channel NAME`"),
        Setting("type", _choice(*CHANNEL_TYPES), required=True, help="webhook, email, dingtalk, feishu, wecom, slack"),
        Setting("url", _url, None, "Where to POST (webhook, robot or incoming-webhook URL); shown with tokens "
                "masked", redact=redact_channel_url),
        Setting("secret", _nonempty, None, "Signing key (webhook HMAC, DingTalk/Feishu 加签); use ${ENV}",
                secret=True),
        Setting("brands", _strings, [], "Only these brands (default: all)"),
        Setting("min_severity", _choice("warning", "critical"), "warning", "Lowest severity sent"),
        Setting("events", _events, ["incident.opened", "incident.escalated", "incident.resolved",
                                    "feed.unhealthy", "feed.recovered"], "Events sent; add \"digest\""),
        Setting("mask_pii", _bool, True, "Mask phone, ID and e-mail in posts (alerts reach large groups)"),
        Setting("rate_limit", _int(0), None, "Messages a minute (default: dingtalk/wecom 20, feishu 100, slack 60)"),
        Setting("quiet_hours", _nonempty, None, "Hold non-critical messages in this local window, e.g. 22:00-08:00"),
        Setting("at_mobiles", _strings, [], "DingTalk: phone numbers to @ on new and escalated incidents"),
        Setting("timeout", _duration(1), "20s", "Give up on one send after this long (then retry later)"),
        Setting("smtp_host", _nonempty, None, "Email: SMTP server"),
        Setting("smtp_port", _int(1), None, "Email: port (default 465 with ssl, 587 with starttls, else 25)"),
        Setting("username", _nonempty, None, "Email: SMTP login name"),
        Setting("password", _nonempty, None, "Email: SMTP password; use ${ENV}", secret=True),
        Setting("starttls", _bool, False, "Email: upgrade with STARTTLS (port 587)"),
        Setting("ssl", _bool, False, "Email: implicit TLS (port 465)"),
        Setting("smtp_ca_file", _nonempty, None, "Email: CA bundle to trust (an internal relay)"),
        Setting("from", _nonempty, None, "Email: sender address"),
        Setting("to", _strings, [], "Email: recipients"),
    ]}),
    "delivery": (False, {s.key: s for s in [
        Setting("first_retry", _duration(1), "30s", "First retry after a failed send; doubles each time"),
        Setting("max_retry", _duration(1), "1h", "Longest wait between retries"),
        Setting("max_age", _duration(60), "24h", "Give up (status failed, reported) after this long"),
    ]}),
    "digest": (False, {s.key: s for s in [
        Setting("at", _clock, "08:30", "Local time the daily digest is built (HH:MM)"),
        Setting("to", _strings, [], "Email recipients, sent through the first email channel for the brand"),
        Setting("dir", _nonempty, "digests", "Where digest files are archived; relative to the store"),
    ]}),
    "web": (False, {s.key: s for s in [
        Setting("listen", _listen, "127.0.0.1:8080", "Dashboard address"),
        Setting("base_url", _url, None, "Public URL of the dashboard, for links in alerts"),
        Setting("token", _nonempty, None, "Access token for the dashboard and API; use ${ENV}", secret=True),
        Setting("user", _nonempty, None, "Basic-auth user name (with web.password)"),
        Setting("password", _nonempty, None, "Basic-auth password; use ${ENV}", secret=True),
    ]}),
}

SECRET_KEYS = {f"{section}.{key}" for section, (_, fields) in SECTIONS.items()
               for key, s in fields.items() if s.secret}
