"""Configuration: TOML read once into frozen objects, `${ENV}` interpolated, every key validated.

Errors name the file, the key and the problem: `listener.toml: feeds[2].interval: "5x" is not a duration`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alerts.channels import ChannelSpec
from alerts.channels.base import Secret
from alerts.incidents import IncidentSettings
from alerts.share import ShareSettings
from alerts.spikes import DetectorSettings
from alerts.voices import CountSettings
from analyzers import BrandSpec, SentimentSettings
from collectors import FeedSource
from listener.channel_config import DeliverySettings, channel_options, delivery_settings
from listener.settings import SECTIONS, TOP, Setting

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
BUNDLED_EXAMPLE = "listener.example.toml"


class ConfigError(Exception):
    """A configuration problem, already phrased for the user."""


@dataclass(frozen=True)
class CollectorSettings:
    user_agent: str | None = None
    proxy: Secret | None = None
    concurrency: int = 8
    max_bytes: int = 10 * 1024 * 1024
    per_host: int = 4
    host_delay: float = 0.0
    analysis_workers: int | None = None  # None: one per core; 0: analysis in the collecting process


@dataclass(frozen=True)
class DigestSettings:
    at: tuple[int, int] = (8, 30)
    to: tuple[str, ...] = ()
    dir: Path = Path("digests")


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str | None = None
    token: Secret | None = None
    user: str | None = None
    password: Secret | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    store_path: Path
    timezone: ZoneInfo
    log_level: str
    brands: tuple[BrandSpec, ...]
    feeds: tuple[FeedSource, ...]
    collector: CollectorSettings
    sentiment: SentimentSettings
    detector: DetectorSettings
    incidents: IncidentSettings
    channels: tuple[ChannelSpec, ...]
    digest: DigestSettings
    web: WebSettings | None
    resolved: dict[str, Any] = field(repr=False, default_factory=dict)  # for check-config, secrets redacted
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    counting: CountSettings = field(default_factory=CountSettings)  # what the live detection job counts
    share: ShareSettings = field(default_factory=ShareSettings)  # the negative-share test (alerts.share)

    def feed(self, name: str) -> FeedSource:
        for source in self.feeds:
            if source.name == name:
                return source
        raise ConfigError(f"{self.path}: no feed named {name!r} (have: {', '.join(f.name for f in self.feeds)})")

    @property
    def incident_url_base(self) -> str | None:
        if self.web is None:
            return None
        return (self.web.base_url or f"http://{self.web.host}:{self.web.port}").rstrip("/")


def find_config(explicit: str | None) -> tuple[Path, bool]:
    """The config to use: --config, then $LISTENER_CONFIG, then ./listener.toml, then the bundled example."""
    for candidate in (explicit, os.environ.get("LISTENER_CONFIG")):
        if candidate:
            return Path(candidate), False
    if Path("listener.toml").exists():
        return Path("listener.toml"), False
    with as_file(files("listener_config") / BUNDLED_EXAMPLE) as bundled:
        return Path(bundled), True


def _interpolate(value: Any, where: str, file: Path, env: dict[str, str]) -> Any:
    if isinstance(value, str):
        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            if name not in env:
                raise ConfigError(f"{file}: {where}: environment variable {name} is not set")
            return env[name]
        return _ENV.sub(substitute, value)
    if isinstance(value, list):
        return [_interpolate(v, f"{where}[{i}]", file, env) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{where}.{k}" if where else k, file, env) for k, v in value.items()}
    return value


def _check_table(table: Any, fields: dict[str, Setting], where: str, file: Path,
                 resolved: dict[str, Any]) -> dict[str, Any]:
    """Parse one table; `resolved` receives the values as written, defaults filled in."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: {where}: expected a table")
    for key in table:
        if key not in fields:
            raise ConfigError(f"{file}: {where}.{key}: unknown key (known keys: {', '.join(fields)})")
    out = {}
    for key, setting in fields.items():
        if key not in table and setting.required:
            raise ConfigError(f"{file}: {where}.{key}: required key is missing")
        value = table.get(key, setting.default)
        resolved[key] = "***" if setting.secret and value is not None else \
            setting.redact(value) if setting.redact and isinstance(value, str) else value
        if value is None:
            out[key] = None
            continue
        try:
            out[key] = setting.parse(value)
        except ValueError as exc:
            raise ConfigError(f"{file}: {where}.{key}: {exc}") from None
    return out


def parse_config(raw: dict[str, Any], file: Path, env: dict[str, str] | None = None,
                 base_dir: Path | None = None) -> Config:
    """Validate a parsed TOML document into a Config."""
    raw = _interpolate(raw, "", file, dict(os.environ) if env is None else env)
    for key in raw:
        if key not in SECTIONS and key not in TOP:
            raise ConfigError(f"{file}: {key}: unknown key (known: {', '.join([*TOP, *SECTIONS])})")
    top: dict[str, Any] = {}
    resolved: dict[str, Any] = {}
    for key, setting in TOP.items():
        resolved[key] = raw.get(key, setting.default)
        try:
            top[key] = setting.parse(resolved[key])
        except ValueError as exc:
            raise ConfigError(f"{file}: {key}: {exc}") from None
    sections: dict[str, Any] = {}
    for name, (is_array, fields) in SECTIONS.items():
        value = raw.get(name, [] if is_array else {})
        if is_array:
            if not isinstance(value, list):
                raise ConfigError(f"{file}: {name}: expected an array of tables ([[{name}]])")
            resolved[name] = [{} for _ in value]
            sections[name] = [_check_table(t, fields, f"{name}[{i}]", file, resolved[name][i])
                              for i, t in enumerate(value)]
        else:
            resolved[name] = {}
            sections[name] = _check_table(value, fields, name, file, resolved[name])
    if "web" not in raw:
        del resolved["web"]
    for name in ("brands", "feeds", "channels"):
        _unique(sections[name], name, file)
    return _build(sections, top, file, base_dir or file.parent, raw, resolved)


def _unique(items: list[dict[str, Any]], name: str, file: Path) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["name"] in seen:
            raise ConfigError(f"{file}: {name}[{i}].name: {item['name']!r} is used twice")
        seen.add(item["name"])


def _build(s: dict[str, Any], top: dict[str, Any], file: Path, base_dir: Path, raw: dict[str, Any],
           resolved: dict[str, Any]) -> Config:
    brands = tuple(BrandSpec(name=b["name"], aliases=b["aliases"], exclude=b["exclude"]) for b in s["brands"])
    brand_names = {b.name for b in brands}
    collector = s["collector"]
    feeds = []
    for i, f in enumerate(s["feeds"]):
        if f["brand"] is not None and f["brand"] not in brand_names:
            raise ConfigError(f"{file}: feeds[{i}].brand: {f['brand']!r} is not a configured brand")
        mapping = _feed_mapping(f, f"{file}: feeds[{i}]")
        feeds.append(FeedSource(name=f["name"], url=f["url"], interval_seconds=f["interval"], kind=f["kind"],
                                official=f["official"], brand=f["brand"], timeout_seconds=float(f["timeout"]),
                                domain=None if f["domain"] == "auto" else f["domain"],
                                max_bytes=collector["max_bytes"], attempts=collector["retries"] + 1,
                                backoff_seconds=collector["backoff"], mapping=mapping,
                                per_host=collector["per_host"], host_delay_seconds=collector["host_delay"]))
    channels = []
    for i, c in enumerate(s["channels"]):
        try:
            options = channel_options(c, f"channels[{i}]", top["timezone"])
        except ValueError as exc:
            raise ConfigError(f"{file}: {exc}") from None
        for brand in c["brands"]:
            if brand not in brand_names:
                raise ConfigError(f"{file}: channels[{i}].brands: {brand!r} is not a configured brand")
        channels.append(ChannelSpec(
            name=c["name"], type=c["type"], url=c["url"], secret=Secret(c["secret"]) if c["secret"] else None,
            brands=c["brands"], min_severity=c["min_severity"], options=options,
        ))
    d = s["detector"]
    if d["bucket"] > d["baseline"]:
        raise ConfigError(f"{file}: detector.bucket: must be shorter than detector.baseline")
    sentiment = s["sentiment"]
    if sentiment["negative_below"] > sentiment["positive_above"]:
        raise ConfigError(f"{file}: sentiment.negative_below: must not exceed sentiment.positive_above")
    if sentiment["model"] and not Path(_model_path(sentiment["model"], base_dir)).is_file():
        raise ConfigError(f"{file}: sentiment.model: no such file {_model_path(sentiment['model'], base_dir)}")
    store_path = Path(s["store"]["path"]).expanduser()
    if not store_path.is_absolute():
        store_path = base_dir / store_path
    digest_dir = Path(s["digest"]["dir"]).expanduser()
    if not digest_dir.is_absolute():
        digest_dir = store_path.parent / digest_dir
    web = None
    if "web" in raw:
        host, port = s["web"]["listen"]
        w = s["web"]
        if bool(w["user"]) != bool(w["password"]):
            raise ConfigError(f"{file}: web.user: web.user and web.password go together")
        web = WebSettings(host=host, port=port, base_url=w["base_url"],
                          token=Secret(w["token"]) if w["token"] else None, user=w["user"],
                          password=Secret(w["password"]) if w["password"] else None)
    return Config(
        path=file,
        store_path=store_path,
        timezone=top["timezone"],
        log_level=s["logging"]["level"],
        brands=brands,
        feeds=tuple(feeds),
        collector=CollectorSettings(user_agent=collector["user_agent"],
                                    proxy=Secret(collector["proxy"]) if collector["proxy"] else None,
                                    concurrency=collector["concurrency"], max_bytes=collector["max_bytes"],
                                    per_host=collector["per_host"], host_delay=collector["host_delay"],
                                    analysis_workers=collector["analysis_workers"]),
        sentiment=SentimentSettings(engine=sentiment["engine"], negative_below=sentiment["negative_below"],
                                    positive_above=sentiment["positive_above"],
                                    model=_model_path(sentiment["model"], base_dir)),
        detector=DetectorSettings(bucket_seconds=d["bucket"], baseline_seconds=d["baseline"],
                                  warmup_seconds=d["warmup"], min_count=d["min_count"],
                                  window_seconds=d["window"], warning_z=d["threshold"]),
        incidents=IncidentSettings(resolve_after_buckets=max(1, d["resolve_after"] // d["bucket"]),
                                   open_horizon_seconds=d["horizon"]),
        channels=tuple(channels),
        digest=DigestSettings(at=s["digest"]["at"], to=s["digest"]["to"], dir=digest_dir),
        web=web,
        resolved=resolved,
        delivery=delivery_settings(s["delivery"]),
        counting=CountSettings(fold_reposts=d["fold_reposts"], weight_reach=d["weight_reach"],
                               weight_signals=d["weight_signals"], settle_seconds=d["settle"]),
        share=ShareSettings(enabled=d["share"], min_negative=d["share_min_count"], min_rise=d["share_rise"]),
    )


def _feed_mapping(f: dict[str, Any], where: str) -> dict[str, str]:
    """select (html) or fields (json), checked by the collector that will use them."""
    if f["kind"] == "feed":
        for key in ("select", "fields"):
            if f[key]:
                raise ConfigError(f"{where}.{key}: only for kind = \"html\" or \"json\"")
        return {}
    from collectors.htmlsource import check_html_mapping  # bs4 is imported only when a config needs it
    from collectors.jsonsource import check_json_mapping
    key, check = ("select", check_html_mapping) if f["kind"] == "html" else ("fields", check_json_mapping)
    other = "fields" if key == "select" else "select"
    if f[other]:
        raise ConfigError(f"{where}.{other}: kind = \"{f['kind']}\" takes {key}, not {other}")
    try:
        check(f[key])
    except ValueError as exc:
        raise ConfigError(f"{where}.{exc}") from None
    return dict(f[key])


def load_config(path: str | Path | None = None) -> Config:
    """Find, read and validate the config; every failure is a ConfigError with one readable line."""
    file, bundled = find_config(str(path) if path else None)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read config: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return parse_config(raw, file, base_dir=Path.cwd() if bundled else None)


def _model_path(value: str | None, base_dir: Path) -> str | None:
    """A sentiment model path; relative paths are relative to the config file, like the store's."""
    if not value:
        return None
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else base_dir / path)
