"""Analyzers on Chinese text: normalisation, brand matching with exclusions, signals, the Mention they build."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from analyzers import Analyzer, BrandSpec
from analyzers.brands import BrandMatcher
from analyzers.normalize import normalize
from analyzers.simhash import distance, simhash
from collectors import RawItem

BRAND = BrandSpec(name="栖云乳业", aliases=("栖云", "栖云牛奶", "栖云纯牛奶", "Qiyun Dairy"),
                  exclude=("栖云路", "栖云山"))


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer([BRAND])


def test_normalize_traditional_fullwidth_pinyin_and_social_furniture() -> None:
    raw = "<p>棲雲乳業的牛奶喝了肚子痛[怒] 技術(shù) @小鹿愛喝奶 #棲雲牛奶# https://t.cn/Ab1 ＡＢＣ１２３</p>"
    result = normalize("", raw)
    assert "栖云乳业的牛奶喝了肚子痛" in result.clean
    assert "技术" in result.clean and "(shù)" not in result.clean
    assert "ABC123" in result.clean
    assert result.urls == ("https://t.cn/Ab1",) and "t.cn" not in result.clean
    assert result.handles == ("小鹿爱喝奶",)
    assert result.topics == ("栖云牛奶",)
    assert result.emoticons == ("怒",)
    assert result.display.startswith("棲雲乳業")  # what the author wrote is kept for display


def test_hostile_markup_becomes_inert_text() -> None:
    result = normalize("", "<p>栖云牛奶</p><script>alert(1)</script>&lt;img src=x onerror=alert(1)&gt;\x00\u202e")
    assert "alert(1)</script>" not in result.display
    assert "<img src=x onerror=alert(1)>" in result.display  # shown as text, escaped when rendered
    assert "\x00" not in result.display and "\u202e" not in result.display


def test_brand_matching_forms_and_exclusions() -> None:
    matcher = BrandMatcher([BRAND])
    assert matcher.match("qiyun dairy 的新品")[0].spans == ((0, 11),)
    assert matcher.match("栖云路堵车了") == ()
    assert matcher.match("去栖云山爬山") == ()
    both = matcher.match("栖云路上买了一箱栖云纯牛奶")
    assert len(both) == 1 and both[0].spans == ((8, 13),)
    trad = normalize("", "棲雲純牛奶壞了").clean
    assert matcher.match(trad)[0].brand == "栖云乳业"


def test_analyze_builds_a_mention_with_signals(analyzer: Analyzer) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    item = RawItem(feed="weibo", item_id="x1", url="https://weibo.com/1", title="",
                   text="孩子喝了栖云纯牛奶上吐下泻，已经住院了，已投诉到12315！[怒]", author="杭州妈妈",
                   published_at=None, fetched_at=now, metrics={"followers": 1000, "reposts": 20})
    mention = analyzer.analyze(item)
    assert mention is not None
    assert mention.published_at == now and not mention.had_published_at
    assert [b.brand for b in mention.brands] == ["栖云乳业"]
    assert {s.category for s in mention.signals} >= {"product_safety", "regulatory"}
    assert 0.0 <= mention.sentiment <= 1.0
    assert mention.reach == 1200
    assert "栖云纯牛奶" not in mention.keywords


def test_unrelated_post_is_not_a_mention_unless_feed_is_assigned(analyzer: Analyzer) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    item = RawItem(feed="official", item_id="x2", url=None, title="", text="今天天气很好", author=None,
                   published_at=now, fetched_at=now)
    assert analyzer.analyze(item) is None
    assigned = analyzer.analyze(item, feed_brand="栖云乳业", official=True)
    assert assigned is not None and assigned.official and assigned.brands[0].brand == "栖云乳业"


def test_simhash_folds_reposts_but_not_different_posts() -> None:
    a = simhash("孩子喝了栖云纯牛奶后呕吐腹泻，批次20261108B，大家注意！")
    b = simhash("转发：孩子喝了栖云纯牛奶后呕吐腹泻，批次20261108B，大家注意！！")
    c = simhash("栖云酸奶的新口味草莓味很好喝，早餐必备")
    assert distance(a, b) <= 6 < distance(a, c)


def test_analyze_text_reports_label_keywords_and_signals(analyzer: Analyzer) -> None:
    result = analyzer.analyze_text("这牛奶变质发臭，喝完拉肚子，客服还踢皮球，太恶心了")
    assert result.label == "negative"
    assert "product_safety" in result.signals


def test_brand_names_enter_jiebas_dictionary_and_traditional_aliases_match() -> None:
    import jieba

    spec = BrandSpec(name="鹿鸣川", aliases=("鹿鳴川飲品", "LMC Drinks"), exclude=("鹿鸣川公园",))
    matcher = BrandMatcher([spec])
    assert "鹿鸣川" in jieba.lcut("我昨天买的鹿鸣川酸奶坏了")
    assert matcher.match(normalize("", "鹿鳴川飲品又漲價了").clean)[0].brand == "鹿鸣川"
    assert matcher.match("买了鹿鸣川饮品")[0].spans == ((2, 7),)  # the simplified form of a traditional alias
    assert matcher.match("lmc drinks sucks")[0].spans == ((0, 10),)
    assert matcher.match("周末去鹿鸣川公园散步") == ()


def test_keywords_tfidf_and_textrank_skip_stopwords_and_brand_names() -> None:
    from analyzers.keywords import KeywordExtractor

    extractor = KeywordExtractor(ignore=["栖云牛奶", "栖云"])
    BrandMatcher([BRAND])  # brand names enter jieba's dictionary, so they are one word to filter
    text = ("栖云牛奶喝了以后孩子拉肚子，我们已经投诉到市场监管局，客服一直推脱。栖云牛奶的客服说是我们自己的问题，"
            "我们要求退款，客服还是推脱，市场监管局说会调查。")
    for method in ("tfidf", "textrank"):
        words = extractor.extract(text, method=method)
        assert words and "栖云牛奶" not in words and "栖云" not in words
        assert "客服" in words
        assert not {"我们", "已经", "一直"} & set(words)
    with pytest.raises(ValueError):
        extractor.extract(text, method="lda")


def test_signals_come_in_lexicon_order_whatever_the_text_order() -> None:
    """Terms are found through a first-character index; the result must not depend on where they stand."""
    from analyzers.signals import SignalCategory, SignalDetector

    detector = SignalDetector([
        SignalCategory("safety", "产品安全", 2.0, ("致癌", "变质", "Recall")),
        SignalCategory("fraud", "虚假宣传", 1.5, ("假货", "虚假宣传", "假")),
        SignalCategory("empty", "无", 1.0, ("跑路",)),
    ])
    text = "这是假货，还虚假宣传！牛奶变质了，检测说致癌，厂家发了 RECALL 通知"
    found = detector.detect(text)
    assert [(s.category, s.terms, s.weight) for s in found] == [
        ("safety", ("致癌", "变质", "Recall"), 2.0), ("fraud", ("假货", "虚假宣传", "假"), 1.5)]
    assert detector.detect("一切正常") == () and detector.detect("") == ()
