"""The one-pass segmenter gives jieba's own words and tags (HMM off), on real Weibo and shopping texts."""

from __future__ import annotations

import csv

import jieba
import jieba.posseg

from analyzers.normalize import normalize
from analyzers.segment import Segmenter
from tests.conftest import SHARED


def texts(limit: int = 1500) -> list[str]:
    out = []
    for name in ("weibo_polar_dev.csv", "online_shopping_9cats.csv"):
        with (SHARED / "data" / "sentiment" / name).open(encoding="utf-8") as handle:
            rows = csv.reader(handle)
            next(rows)
            out.extend(normalize("", row[-1]).clean for _, row in zip(range(limit), rows, strict=False))
    return out


def jieba_words(text: str) -> list[tuple[str, str]]:
    return [(p.word, p.flag) for p in jieba.posseg.dt.cut(text, HMM=False) if len(p.word.strip()) >= 2]


def test_same_words_and_tags_as_jieba_on_real_posts() -> None:
    segmenter = Segmenter()
    sample = [*texts(), "iPhone15 Pro 续航 OK，A股 3.5% 上涨", "米国的牛奶 x y z 2026年", "", "。，！"]
    differ = [t for t in sample if segmenter.words(t) != jieba_words(t)]
    assert not differ, differ[:3]
    assert len(sample) > 3000


def test_words_added_to_the_dictionary_later_count() -> None:
    segmenter = Segmenter()
    text = "我在喝栖霞湾酸奶，味道不错"
    assert ("栖霞湾酸奶", "nz") not in segmenter.words(text)
    jieba.add_word("栖霞湾酸奶", freq=20000, tag="nz")
    try:
        assert ("栖霞湾酸奶", "nz") in segmenter.words(text)
        assert segmenter.words(text) == jieba_words(text)
    finally:
        jieba.del_word("栖霞湾酸奶")
    assert ("栖霞湾酸奶", "nz") not in segmenter.words(text)
