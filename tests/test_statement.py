"""The statement checker: every category in simplified and traditional script, spans in the original text,
negation, "对不起，但……", stalling only without commitments, and the rules file."""

from __future__ import annotations

import opencc
import pytest

from alerts.statement import MAX_STATEMENT_CHARS, check_statement
from alerts.statement_rules import GOOD_ELEMENTS, StatementRulesError, load_statement_rules
from alerts.statement_text import align

TO_SIMPLIFIED = opencc.OpenCC("t2s").convert
SCRIPTS = {
    "simplified": lambda text: text,
    "traditional": opencc.OpenCC("s2t").convert,
    "taiwan": opencc.OpenCC("s2tw").convert,
    "hongkong": opencc.OpenCC("s2hk").convert,
}

# category -> (a draft sentence, the phrase that must be flagged, in simplified script)
DEFENSIVE = {
    "blame_shifting": ("经了解，此次事件系个别员工违规操作所致。", "个别员工"),
    "denial": ("网上流传的视频是恶意剪辑的谣言。", "谣言"),
    "legal_threat": ("我司已向相关博主发出律师函。", "律师函"),
    "stalling": ("目前我们正在调查，请大家耐心等待。", "正在调查"),
    "minimising": ("这只是极少数产品出现的个别现象。", "个别现象"),
    "lecturing": ("希望广大网友理性看待，不要被带节奏。", "带节奏"),
    "self_pity": ("我们也是受害者，团队上下都很寒心。", "寒心"),
    "jargon": ("公司对此高度重视，将举一反三。", "高度重视"),
    "apology_undone": ("对不起，但我们一直严格按照规定执行。", "但我们一直严格按照规定执行"),
}

# element -> a sentence that carries it
GOOD = {
    "apology": "这是我们的错，我们向每一位顾客郑重道歉。",
    "empathy": "孩子住院让家长担心和愤怒，我们完全理解。",
    "facts": "经调查，11月20日生产的3批次产品受到污染。",
    "actions": "我们已于今天下架全部产品，48小时内公布检测报告。",
    "remedy": "购买过的顾客可以全额退款。",
    "channel": "专线电话400-123-4567，全天有人接听。",
    "accountable": "由总经理张伟牵头整改，并对结果负责。",
}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("category", DEFENSIVE)
def test_each_defensive_category_is_flagged_in_either_script(category: str, script: str) -> None:
    sentence, phrase = DEFENSIVE[category]
    text = "各位顾客：\n" + SCRIPTS[script](sentence)
    report = check_statement(text)
    hits = [f for f in report.findings if f.category == category]
    assert hits, report.findings
    assert any(TO_SIMPLIFIED(f.span) == phrase for f in hits), hits
    for f in report.findings:
        assert text[f.start:f.end] == f.span  # offsets point into the original, whatever its script
        assert f.advice and f.label


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("element", GOOD)
def test_each_good_element_is_credited_in_either_script(element: str, script: str) -> None:
    report = check_statement(SCRIPTS[script](GOOD[element]))
    credited = {e.element for e in report.elements if e.credit == 1.0}
    assert element in credited
    assert element not in {e.element for e in report.missing}


def test_missing_lists_every_absent_element_with_advice() -> None:
    report = check_statement("关于近日的情况，特此说明。")
    assert [e["element"] for e in report.to_dict()["missing"]] == list(GOOD_ELEMENTS)
    assert all(e["advice"] and e["label"] for e in report.to_dict()["missing"])


@pytest.mark.parametrize("text", [
    "我们不会推卸责任。",
    "我们绝不推诿，也不会把责任推给第三方或个别员工。",
    "这不是网友误解，是我们的错。",
    "问题出在我们的管理，而非个别员工。",
    "我們絕不會把責任推給個別員工。",
])
def test_negated_blame_is_not_blame(text: str) -> None:
    assert [f for f in check_statement(text).findings if f.category == "blame_shifting"] == []


def test_a_negation_undone_by_a_contrast_still_counts() -> None:
    report = check_statement("我们不想多说什么，但这是个别员工的个人行为。")
    assert "blame_shifting" in {f.category for f in report.findings}


def test_refusals_are_not_credited() -> None:
    report = check_statement("这不是我们的责任，该批次产品不予退款。")
    assert "blame_shifting" in {f.category for f in report.findings}
    assert {"apology", "remedy"} <= {e.element for e in report.missing}


def test_not_a_rumour_is_not_rumour_framing() -> None:
    assert [f for f in check_statement("大家反映的情况不是谣言，我们向大家道歉。").findings
            if f.category == "denial"] == []


def test_sorry_but_blame_is_undone_and_scores_below_a_plain_sorry() -> None:
    undone = check_statement("对不起，但这次是个别员工的个人行为。")
    plain = check_statement("对不起，这次是我们的管理出了问题。")
    assert {"apology_undone", "blame_shifting"} <= {f.category for f in undone.findings}
    assert undone.score < plain.score - 20


def test_sorry_then_a_sentence_opening_with_but_is_undone_too() -> None:
    report = check_statement("我们向大家道歉。但是，此事其实另有原因。")
    assert "apology_undone" in {f.category for f in report.findings}


def test_but_that_is_no_excuse_keeps_the_apology() -> None:
    report = check_statement("我们很抱歉，但这不能成为借口，责任在我们。")
    assert "apology_undone" not in {f.category for f in report.findings}
    assert next(e for e in report.elements if e.element == "apology").credit == 1.0


def test_stalling_with_a_time_or_elsewhere_an_action_with_a_time_is_not_stalling() -> None:
    bare = check_statement("目前正在调查，请耐心等待。")
    dated = check_statement("目前正在调查，将于12月3日前公布结果。")
    elsewhere = check_statement("目前正在调查。我们已于今天下架全部产品。")
    assert "stalling" in {f.category for f in bare.findings}
    assert "stalling" not in {f.category for f in dated.findings}
    assert "stalling" not in {f.category for f in elsewhere.findings}


def test_legal_words_about_our_own_staff_are_accountability_not_a_threat() -> None:
    report = check_statement("我们将依法依规追究涉事员工和管理人员的责任。")
    assert "legal_threat" not in {f.category for f in report.findings}


def test_an_apology_in_jargon_earns_less_than_a_plain_one() -> None:
    jargon = check_statement("对给您带来的不便，我们深表歉意。")
    plain = check_statement("这是我们的错，我们向您道歉。")
    assert next(e for e in jargon.elements if e.element == "apology").credit < 1.0
    assert jargon.score < plain.score


def test_overlapping_and_adjacent_matches_become_one_finding() -> None:
    report = check_statement("对于造谣者，我们将依法追究其法律责任。")
    legal = [f for f in report.findings if f.category == "legal_threat"]
    assert [f.span for f in legal] == ["依法追究其法律责任"]


def test_to_dict_is_the_json_contract() -> None:
    data = check_statement("我們高度重視，正在調查，請耐心等待。").to_dict()
    assert set(data) == {"score", "findings", "missing", "skeleton"}
    assert isinstance(data["score"], int) and 0 <= data["score"] <= 100
    assert data["findings"] and all(set(f) == {"span", "start", "end", "category", "advice"} for f in data["findings"])


def test_skeleton_keeps_facts_in_the_authors_script_and_marks_defensive_phrases() -> None:
    text = ("對不起，但這是個別員工的個人行為。經調查，11月20日共有3家門店受影響，問題出在外包保潔人員。"
            "請大家理性看待。")
    skeleton = check_statement(text).skeleton
    assert "11月20日共有3家門店受影響" in skeleton  # the fact, as written
    assert "請大家理性看待" not in skeleton  # a sentence that was only defensive is dropped
    assert "【明确道歉】" in skeleton and "〔待补充〕" in skeleton
    assert "但這是個別員工" not in skeleton  # the undoing "but" is cut


def test_alignment_falls_back_when_a_conversion_changes_length() -> None:
    # OpenCC's Taiwan phrase table turns 記憶體 (3 characters) into 内存 (2): offsets must still map back.
    text = "本公司的記憶體產品有瑕疵，是我們的錯，我們向大家道歉。"
    aligned = align(text, opencc.OpenCC("tw2sp").convert)
    assert len(aligned.text) == len(text) - 1 and "内存" in aligned.text
    start = aligned.text.index("道歉")
    a, b = aligned.span(start, start + 2)
    assert text[a:b] == "道歉"
    whole = aligned.text.index("内存")
    a, b = aligned.span(whole, whole + 2)
    assert text[a:b] == "記憶體"


def test_full_width_digits_and_latin_are_read() -> None:
    report = check_statement("我们已于今天下架全部产品，４８小时内公布检测报告。")
    assert next(e for e in report.elements if e.element == "actions").credit == 1.0


def test_a_statement_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        check_statement("字" * (MAX_STATEMENT_CHARS + 1))


def test_a_broken_rules_file_names_the_rule(tmp_path) -> None:
    bundled = load_statement_rules()
    assert bundled.defensive and set(bundled.good) == set(GOOD_ELEMENTS)
    bad = tmp_path / "rules.toml"
    bad.write_text("[settings]\nnegators=['不']\ncontrasts=['但']\n"
                   "[defensive.x]\nlabel='x'\nadvice='x'\npenalty=1\npatterns=['(']\n", encoding="utf-8")
    with pytest.raises(StatementRulesError, match=r"\[defensive.x\].*bad pattern"):
        load_statement_rules(bad)


@pytest.mark.parametrize("text", [
    "我们已终止与该供应商的合作，并委托第三方检测机构复检。",
    "为避免误解，现将已查明的事实说明如下。",
    "我们理解大家的愤怒，也理解家长的担心。",
    "我们不会以任何理由推卸责任。",
    "即日起至12月31日，顾客可凭小票到任一门店全额退款。",
    "这次的问题不是个例，我们会对每一位受影响的顾客负责。",
    "由董事长王强牵头成立整改小组，每周五在官方微博公布整改进展。",
])
def test_good_sentences_raise_no_findings(text: str) -> None:
    for script in SCRIPTS.values():
        assert check_statement(script(text)).findings == ()


def test_a_hand_written_hong_kong_statement() -> None:
    # Written by hand in Hong Kong usage (係, 嘅), not converted from simplified.
    text = ("本公司對事件深表關注。經初步了解，事件係個別員工違規操作所致，屬偶發事件。"
            "對於網上流傳嘅不實言論，本公司保留追究法律責任的權利。")
    report = check_statement(text)
    found = {f.category: f.span for f in report.findings}
    assert found["blame_shifting"] == "個別員工"
    assert found["minimising"] == "偶發"
    assert found["denial"] == "不實"
    assert found["legal_threat"] == "保留追究法律責任的權利"
    assert found["jargon"] == "深表關注"
    assert all(text[f.start:f.end] == f.span for f in report.findings)
    assert report.score <= 10


def test_blame_on_a_franchisee_is_blame() -> None:
    report = check_statement("涉事门店系加盟店，由加盟商自行管理。")
    assert "blame_shifting" in {f.category for f in report.findings}
