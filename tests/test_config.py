"""Config: the contract keys load, ${ENV} is interpolated, every mistake is one clear line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from listener.config import ConfigError, load_config, parse_config

GOOD = """
    timezone = "Asia/Shanghai"
    [store]
    path = "data/listener.db"
    [[brands]]
    name = "示例乳业"
    aliases = ["示例牛奶", "Example Dairy"]
    exclude = ["示例乳业园"]
    [[feeds]]
    name = "weibo-search"
    url = "http://127.0.0.1:1200/weibo/keyword/示例乳业"
    interval = "5m"
    [detector]
    bucket = "10m"
    baseline = "7d"
    min_count = 5
    warmup = "1d"
    [[channels]]
    name = "pr-team"
    type = "webhook"
    url = "http://127.0.0.1:9000/hook"
    secret = "${WEBHOOK_SECRET}"
    [digest]
    at = "08:30"
    to = ["brand@example.com"]
    [web]
    listen = "127.0.0.1:8080"
"""


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "listener", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=120)


def test_design_contract_config_loads(write_config, monkeypatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret-value")
    path = write_config(GOOD)
    config = load_config(path)
    assert config.store_path == path.parent / "data" / "listener.db"
    assert config.feeds[0].interval_seconds == 300
    assert config.feeds[0].domain is None  # auto: the sentiment model tells social posts from reviews
    assert config.detector.bucket_seconds == 600 and config.detector.baseline_seconds == 7 * 86400
    assert config.channels[0].secret.reveal() == "s3cret-value"
    assert "s3cret-value" not in repr(config.channels[0])
    assert config.digest.at == (8, 30)
    assert config.web is not None and config.web.port == 8080
    assert config.brands[0].aliases == ("示例牛奶", "Example Dairy")


def test_config_after_and_before_subcommand_and_secret_redacted(write_config) -> None:
    path = write_config(GOOD)
    for args in (["--config", str(path), "check-config"], ["check-config", "--config", str(path)]):
        result = run_cli(*args, env={"WEBHOOK_SECRET": "s3cret-value"})
        assert result.returncode == 0, result.stderr
        assert "s3cret-value" not in result.stdout + result.stderr
        resolved = json.loads(result.stdout)
        assert resolved["channels"][0]["secret"] == "***"
        assert resolved["feeds"][0]["interval"] == "5m"


def test_listener_config_env_fallback(write_config) -> None:
    path = write_config(GOOD)
    result = run_cli("check-config", env={"LISTENER_CONFIG": str(path), "WEBHOOK_SECRET": "x"})
    assert result.returncode == 0
    assert json.loads(result.stdout)["brands"][0]["name"] == "示例乳业"


@pytest.mark.parametrize(("text", "expected"), [
    ("[store]\npath = \n", "invalid TOML"),
    ("[store]\npaht = \"x.db\"\n", "store.paht: unknown key"),
    ("colour = 1\n", "colour: unknown key"),
    ("[[feeds]]\nname = \"a\"\nurl = \"http://x/\"\ninterval = \"5x\"\n", "feeds[0].interval"),
    ("[[feeds]]\nname = \"a\"\nurl = \"http://x/\"\ninterval = \"5s\"\n", "at least 10s"),
    ("[[feeds]]\nname = \"a\"\nurl = \"ftp://x/\"\n", "feeds[0].url"),
    ("[[feeds]]\nurl = \"http://x/\"\n", "feeds[0].name: required"),
    ("[[channels]]\nname = \"c\"\ntype = \"webhook\"\nurl = \"http://x/\"\nsecret = \"${NOPE_NOT_SET}\"\n",
     "channels[0].secret: environment variable NOPE_NOT_SET is not set"),
    ("[[brands]]\nname = \"a\"\n[[brands]]\nname = \"a\"\n", "brands[1].name: 'a' is used twice"),
    ("[detector]\nmin_count = \"5\"\n", "detector.min_count: expected a whole number"),
    ("[digest]\nat = \"25:00\"\n", "digest.at"),
    ("[[feeds]]\nname = \"a\"\nurl = \"http://x/\"\ndomain = \"weibo\"\n", "feeds[0].domain"),
])
def test_bad_config_is_one_line_and_exit_2(write_config, text: str, expected: str) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)
    result = run_cli("--config", str(path), "check-config")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("--config", str(tmp_path / "nope.toml"), "collect")
    assert result.returncode == 2
    expected = f"listener: config error: {tmp_path / 'nope.toml'}: config file not found"
    assert result.stderr.strip().splitlines() == [expected]


def test_bundled_example_is_used_when_nothing_else(tmp_path: Path) -> None:
    result = run_cli("check-config", cwd=tmp_path, env={"LISTENER_CONFIG": ""})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["brands"][0]["name"] == "示例乳业"


def test_interpolation_inside_strings_and_lists() -> None:
    raw = {"brands": [{"name": "${BRAND}", "aliases": ["${BRAND}牛奶"]}]}
    config = parse_config(raw, Path("x.toml"), env={"BRAND": "栖云"})
    assert config.brands[0].name == "栖云"
    assert config.brands[0].aliases == ("栖云牛奶",)


def test_readme_documents_every_setting() -> None:
    from listener.settings import SECTIONS, TOP

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [f"{section}.{key}" for section, (_, fields) in SECTIONS.items() for key in fields
               if f"`{section}.{key}`" not in readme]
    missing += [key for key in TOP if f"`{key}`" not in readme]
    assert missing == []


def test_analysis_workers_default_zero_and_negative() -> None:
    brands = [{"name": "栖云"}]
    assert parse_config({"brands": brands}, Path("x.toml")).collector.analysis_workers is None  # one per core
    raw = {"brands": brands, "collector": {"analysis_workers": 0}}
    assert parse_config(raw, Path("x.toml")).collector.analysis_workers == 0
    with pytest.raises(ConfigError, match="analysis_workers"):
        parse_config({"brands": brands, "collector": {"analysis_workers": -1}}, Path("x.toml"))


def test_a_feed_says_what_its_posts_are_for_sentiment(write_config) -> None:
    feeds = "".join(f'[[feeds]]\nname = "{d}"\nurl = "http://x/{d}"\ndomain = "{d}"\n'
                    for d in ("social", "review", "auto"))
    config = load_config(write_config(feeds))
    assert [f.domain for f in config.feeds] == ["social", "review", None]
