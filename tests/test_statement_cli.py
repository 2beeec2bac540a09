"""`listener check-statement FILE [--json]`: the JSON contract, stdin, traditional input, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import cli

DRAFT = "對不起，但這是個別員工的個人行為。我司已向造謠者發出律師函。\n目前正在調查，請耐心等待。"


def test_json_contract_from_a_file(tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    result = cli("check-statement", str(draft), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"score", "findings", "missing", "skeleton"}
    assert isinstance(data["score"], int) and data["score"] < 20
    assert {f["category"] for f in data["findings"]} >= {"apology_undone", "blame_shifting", "legal_threat",
                                                          "stalling"}
    for finding in data["findings"]:
        assert set(finding) == {"span", "start", "end", "category", "advice"}
        assert DRAFT[finding["start"]:finding["end"]] == finding["span"]
    assert "apology" in {m["element"] for m in data["missing"]}


def test_stdin_and_human_readable_chinese() -> None:
    result = cli("check-statement", "-", stdin=DRAFT)
    assert result.returncode == 0, result.stderr
    assert "得分" in result.stdout and "律師函" in result.stdout and "改写骨架" in result.stdout
    assert "第2行第3字「正在調查」" in result.stdout  # positions are lines and characters of the draft


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    empty, binary = tmp_path / "empty.txt", tmp_path / "gbk.txt"
    empty.write_text("  \n", encoding="utf-8")
    binary.write_bytes("对不起".encode("gbk"))
    for args in ([str(empty)], [str(binary)], [str(tmp_path / "absent.txt")]):
        result = cli("check-statement", *args)
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1 and "check-statement:" in result.stderr


def test_custom_rules_file_is_used_and_a_broken_one_is_one_line(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[1] / "config" / "lexicons" / "statement.toml"
    custom = tmp_path / "rules.toml"
    rules = bundled.read_text(encoding="utf-8").replace('terms = ["高度重视",', 'terms = ["感谢关注", "高度重视",')
    custom.write_text(rules, encoding="utf-8")
    draft = tmp_path / "d.txt"
    draft.write_text("感谢关注。", encoding="utf-8")
    data = json.loads(cli("check-statement", str(draft), "--json", "--rules", str(custom)).stdout)
    assert [f["span"] for f in data["findings"]] == ["感谢关注"]
    custom.write_text("[settings]\n", encoding="utf-8")
    result = cli("check-statement", str(draft), "--rules", str(custom))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
