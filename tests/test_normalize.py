"""Each normaliser case on its own: traditional script, pinyin notes, emoticons, full-width, social furniture."""

from __future__ import annotations

import pytest

from analyzers.normalize import MAX_TEXT_CHARS, normalize, strip_pinyin_notes, to_halfwidth


def test_traditional_becomes_simplified_but_display_keeps_what_was_written() -> None:
    result = normalize("", "這款產品質量太差，退貨還被客服刁難")
    assert result.clean == "这款产品质量太差，退货还被客服刁难"
    assert result.display == "這款產品質量太差，退貨還被客服刁難"


@pytest.mark.parametrize(("raw", "clean"), [
    ("技術(shù)", "技术"),
    ("營銷(yíng xiāo)策略", "营销策略"),
    ("營(yíng)銷(xiāo)", "营销"),
    ("技术(ji4 shu4)进步", "技术进步"),
    ("質量（zhì liàng）問題", "质量问题"),
])
def test_pinyin_annotations_are_removed(raw: str, clean: str) -> None:
    assert normalize("", raw).clean == clean


@pytest.mark.parametrize("text", ["苹果(Apple)新品", "中国(China)", "型号(A1)", "价格(100元)"])
def test_brackets_that_are_not_pinyin_stay(text: str) -> None:
    assert strip_pinyin_notes(text) == text


def test_weibo_emoticons_are_kept_as_signals_in_order() -> None:
    result = normalize("", "客服又不回复[怒][怒] 算了[允悲] 质量还行[good]")
    assert result.emoticons == ("怒", "怒", "允悲", "good")
    assert "[允悲]" in result.clean  # still in the text: the sentiment model reads them


def test_fullwidth_ascii_becomes_halfwidth_and_chinese_punctuation_stays() -> None:
    assert to_halfwidth("ＡＢＣ１２３ｘｙｚ") == "ABC123xyz"
    assert to_halfwidth("＠小明 ＃话题＃ ［怒］") == "@小明 #话题# [怒]"
    assert to_halfwidth("好吗？真的！对，是。") == "好吗？真的！对，是。"
    assert to_halfwidth("全角\u3000空格") == "全角 空格"
    result = normalize("", "＠客服小美 ［怒］ ＃退款难＃")
    assert result.handles == ("客服小美",) and result.emoticons == ("怒",) and result.topics == ("退款难",)


def test_urls_handles_and_topics_are_extracted_into_fields() -> None:
    result = normalize("", "#栖云牛奶变质# @消费者报道 @小鹿 看这里 https://t.cn/A6x?x=1 和 http://weibo.com/123。")
    assert result.urls == ("https://t.cn/A6x?x=1", "http://weibo.com/123")
    assert "http" not in result.clean
    assert result.handles == ("消费者报道", "小鹿")
    assert result.topics == ("栖云牛奶变质",)


def test_html_becomes_text_with_line_breaks_and_entities() -> None:
    result = normalize("", "<div>第一段<br>第二段</div><p>&amp;&quot;引号&quot;</p><style>p{}</style>")
    assert result.clean.splitlines() == ["第一段", "第二段", '&"引号"']


def test_whitespace_is_collapsed_and_title_repeat_dropped() -> None:
    result = normalize("栖云牛奶 太差", "栖云牛奶 太差   \n\n\n   再也不买了\t\t!")
    assert result.display == "栖云牛奶 太差\n再也不买了 !"


def test_huge_input_is_cut_not_fatal() -> None:
    result = normalize("", "差" * (MAX_TEXT_CHARS * 50))
    assert len(result.display) == MAX_TEXT_CHARS


def test_empty_and_garbage_inputs() -> None:
    assert normalize("", "").clean == ""
    garbage = normalize("", "\x00\x01\ufffd\ufffd<\x7f>&#0;\udcff")
    assert "\x00" not in garbage.clean
