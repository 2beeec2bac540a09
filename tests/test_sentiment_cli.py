"""`listener analyze --jsonl` and `listener train-sentiment`, run as a user would, through the real CLI."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path


def cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "listener", *args], input=stdin, capture_output=True, timeout=300,
                          cwd=cwd)


def records(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines() if line.strip()]


def test_analyze_jsonl_keeps_ids_and_order_through_empty_huge_and_garbage_lines() -> None:
    def line(obj: object) -> bytes:
        return json.dumps(obj, ensure_ascii=False).encode()

    stdin = b"\n".join([
        line({"id": "a", "text": "客服态度差，退款拖了一个月，再也不买了[怒]"}),
        b"",  # blank: skipped, no answer expected
        line({"id": 2, "text": ""}),  # empty text: still answered
        line({"id": "huge", "text": "质量很好，物流也快。" * 300_000}),  # ~3 million characters
        b"\xff\xfe\x00\x9c garbage \x80\x81",  # binary garbage: reported, not fatal
        line({"id": None, "text": "\x00\x01\ufffd"}),
        json.dumps({"id": "lone-surrogate", "text": "\ud800坏了"}).encode(),  # an escaped lone surrogate
        line(["not", "an", "object"]),
        line({"id": "no-text"}),
        line({"id": "nested", "text": {"a": 1}}),
        line({"id": "z", "text": "早餐喝牛奶，今天也元气满满，谢谢你们[哈哈]"}),
    ]) + b"\n"
    result = cli("analyze", "--jsonl", stdin=stdin)
    found = records(result)
    assert [r["id"] for r in found] == ["a", 2, "huge", None, "lone-surrogate", "nested", "z"]
    for record in found:
        assert set(record) == {"id", "sentiment", "label", "keywords", "signals"}
        assert 0.0 <= record["sentiment"] <= 1.0 and record["label"] in ("negative", "neutral", "positive")
    assert found[0]["label"] == "negative" and found[-1]["label"] == "positive"
    errors = result.stderr.decode().strip().splitlines()
    assert [e.split(":")[2].strip() for e in errors] == ["line 5", "line 8", "line 9"]


def test_analyze_single_text_and_stdin() -> None:
    one = records(cli("analyze", "这家的外卖又冷又难吃，再也不点了"))
    assert one[0]["label"] == "negative" and set(one[0]) == {"sentiment", "label", "keywords", "signals"}
    piped = records(cli("analyze", stdin="味道不错，送得也快，好评！".encode()))
    assert piped[0]["label"] == "positive"


def _write_csv(path: Path, rows: list[tuple[int, str]], cats: list[str] | None = None) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cat", "label", "review"] if cats else ["label", "review"])
        for i, (label, text) in enumerate(rows):
            writer.writerow([cats[i], label, text] if cats else [label, text])


def _rows(n: int) -> list[tuple[int, str]]:
    good = ["很好吃，下次还点", "服务周到，非常满意", "质量不错，推荐购买", "包装精美，物流很快", "性价比高，好评"]
    bad = ["太难吃了，再也不买", "客服态度恶劣，差评", "质量很差，要求退款", "送得太慢，饭都凉了", "假货，骗人的"]
    # a distinct Han character per row: digits are folded in featurising, and duplicates leave training
    return [(1, f"{good[i % 5]}{chr(0x4E00 + i)}") if i % 2 else (0, f"{bad[i % 5]}{chr(0x4E00 + i)}")
            for i in range(n)]


def test_train_sentiment_builds_a_model_that_analyze_uses(tmp_path: Path, write_config) -> None:
    data = tmp_path / "mine.csv"
    other = tmp_path / "shop.csv"
    _write_csv(data, _rows(200))
    _write_csv(other, _rows(120), cats=["书籍" if i % 3 else "水果" for i in range(120)])
    model = tmp_path / "model.json.gz"
    result = cli("train-sentiment", str(data), str(other), "--holdout-category", "水果", "--weight", "mine=2",
                 "--c", "4", "-o", str(model))
    lines = records(result)
    held = {r["held_out"]: r for r in lines if "held_out" in r}
    assert set(held) == {"mine:dev", "category:水果"}
    assert held["mine:dev"]["n"] == 50 and held["category:水果"]["n"] == 40
    assert held["mine:dev"]["accuracy"] >= 0.9
    assert "features" in result.stderr.decode()  # the progress bar
    assert lines[-1]["model"] == str(model) and model.stat().st_size == lines[-1]["bytes"]
    again = tmp_path / "again.json.gz"
    records(cli("train-sentiment", str(data), str(other), "--holdout-category", "水果", "--weight", "mine=2",
                "--c", "4", "-o", str(again)))
    assert again.read_bytes() == model.read_bytes()  # reproducible to the byte
    config = write_config(f'[sentiment]\nmodel = "{model.name}"\n')
    answer = records(cli("--config", str(config), "analyze", "客服态度恶劣，要求退款"))
    assert answer[0]["label"] == "negative"


def test_train_sentiment_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    for args in (["train-sentiment", str(tmp_path / "missing.csv")], ["train-sentiment", str(bad)],
                 ["train-sentiment", str(bad), "--weight", "x"]):
        result = cli(*args)
        assert result.returncode in (1, 2)
        assert len(result.stderr.decode().strip().splitlines()) == 1, result.stderr.decode()


def test_unknown_model_file_in_config_is_a_config_error(write_config) -> None:
    config = write_config('[sentiment]\nmodel = "nope.json.gz"\n')
    result = cli("--config", str(config), "analyze", "好")
    assert result.returncode == 2 and "sentiment.model" in result.stderr.decode()


def test_train_sentiment_social_keeps_a_second_table_that_analyze_uses(tmp_path: Path, write_config) -> None:
    posts = tmp_path / "posts.csv"
    shop = tmp_path / "shop.csv"
    shaped = [(label, f"{text}[哈哈]@小明 转发" if label else f"{text}[怒]//@某人:") for label, text in _rows(160)]
    _write_csv(posts, shaped)
    _write_csv(shop, _rows(160))
    model_path = tmp_path / "model.json.gz"
    lines = records(cli("train-sentiment", str(posts), str(shop), "--social", "posts", "--weight", "posts=2",
                        "-o", str(model_path)))
    assert lines[-1]["model"] == str(model_path)
    model = json.loads(gzip.decompress(model_path.read_bytes()))
    assert model["social"]["mix"] == "soft" and model["social"]["max_chars"] == 140
    assert model["meta"]["config"]["social_sources"] == ["posts"]
    config = write_config(f'[sentiment]\nmodel = "{model_path.name}"\n')
    answer = records(cli("--config", str(config), "analyze", "客服态度恶劣，要求退款"))
    assert answer[0]["label"] == "negative"
    bad = cli("train-sentiment", str(posts), "--social", "nope", "-o", str(tmp_path / "x.json.gz"))
    assert bad.returncode == 2 and "--social 'nope'" in bad.stderr.decode()
