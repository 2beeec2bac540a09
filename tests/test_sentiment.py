"""The shipped sentiment model: loads once, is small, beats the majority class on held-out Weibo posts,
reads social-post cues, and `snownlp` stays selectable."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analyzers import Analyzer
from analyzers.errors import AnalyzerError
from analyzers.evaluation import evaluate, expected_calibration_error, negative_f1
from analyzers.linear_sentiment import LinearSentimentEngine, shared_engine
from analyzers.sentiment import SentimentSettings, label_for, load_engine
from analyzers.training import Recipe, TrainConfig, assemble, canonical
from tests.conftest import ROOT, SHARED

MODEL = ROOT / "config" / "models" / "sentiment.json.gz"
HELD_OUT_BUILD = ROOT / "bench" / "models" / "sentiment-heldout.json.gz"  # the same recipe with two sets kept out


@pytest.fixture(scope="module")
def engine() -> LinearSentimentEngine:
    return shared_engine()


def test_model_file_is_small_and_loaded_once(engine: LinearSentimentEngine) -> None:
    assert MODEL.stat().st_size < 20 * 1024 * 1024
    assert shared_engine() is engine
    assert load_engine("linear") is engine


def test_shipped_model_is_the_held_out_builds_recipe_refit_on_everything(engine: LinearSentimentEngine) -> None:
    held_build = LinearSentimentEngine(HELD_OUT_BUILD).meta
    for key in ("config", "files", "snownlp"):
        assert engine.meta[key] == held_build[key], key
    assert (engine.meta["dev_fraction"], engine.meta["holdout_category"], engine.meta["held_out"]) == (0, None, [])
    assert held_build["dev_fraction"] > 0 and held_build["holdout_category"]
    assert engine.meta["examples"] > held_build["examples"]


def test_held_out_weibo_dev_split_well_above_majority() -> None:
    """Measured on the held-out build: the shipped model has trained on every labelled post."""
    engine = LinearSentimentEngine(HELD_OUT_BUILD)
    meta = engine.meta
    recipe = Recipe(files=tuple(SHARED / "data" / "sentiment" / f for f in meta["files"]),
                    dev_fraction=meta["dev_fraction"], holdout_category=meta["holdout_category"],
                    config=TrainConfig(seed=meta["config"]["seed"]))
    _, held = assemble(recipe)
    dev = held["weibo_polar_dev:dev"]
    report = evaluate("dev", engine.score, [canonical(e.text) for e in dev], [e.label for e in dev])
    majority = sum(1 for e in dev if e.label == 0) / len(dev)
    assert report.accuracy >= majority + 0.2  # SnowNLP's default is below the majority class here
    assert report.negative_f1 >= 0.88
    assert report.ece <= 0.08
    stored = {r["set"]: r for r in meta["held_out"]}["weibo_polar_dev:dev"]
    assert abs(stored["accuracy"] - report.accuracy) < 1e-3  # the model's own report is what it does


@pytest.mark.parametrize(("text", "label"), [
    ("客服态度极差，退款拖了一个月还不给，已投诉", "negative"),
    ("真是好样的，买回来第二天就坏了[怒]", "negative"),
    ("凭什么不给退？还有没有王法了？", "negative"),
    ("今天收到了，质量很好，物流也快，谢谢客服[哈哈]", "positive"),
    ("感谢一线的医护人员，辛苦了，加油！", "positive"),
])
def test_social_posts_read_as_a_person_would(engine: LinearSentimentEngine, text: str, label: str) -> None:
    assert label_for(engine.score(text), SentimentSettings()) == label


def test_negation_lowers_the_score(engine: LinearSentimentEngine) -> None:
    assert engine.score("这个牛奶不好喝，一点也不新鲜") < 0.35 < 0.65 < engine.score("这个牛奶好喝，很新鲜")


def test_scores_are_probabilities_for_any_input(engine: LinearSentimentEngine) -> None:
    for text in ["", " ", "\x00\x01", "a" * 100_000, "[怒]" * 1000, "？？？", "🙂", "https://t.cn/x"]:
        assert 0.0 <= engine.score(text) <= 1.0


def test_snownlp_stays_selectable_and_unknown_engines_are_refused() -> None:
    analyzer = Analyzer([], SentimentSettings(engine="snownlp"))
    assert 0.0 <= analyzer.analyze_text("很好").sentiment <= 1.0
    with pytest.raises(AnalyzerError, match="unknown engine"):
        load_engine("bert")


def test_a_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(AnalyzerError, match="cannot load model"):
        LinearSentimentEngine(bad)


def test_metrics_on_known_numbers() -> None:
    assert negative_f1([0, 0, 1, 1], [0, 1, 1, 0]) == 0.5
    assert expected_calibration_error([0.9, 0.9, 0.1, 0.1], [1, 1, 0, 0]) == pytest.approx(0.1)
    assert expected_calibration_error([0.5, 0.5], [1, 0]) == pytest.approx(0.0)


# Hand-written statements (never in training or tuning data): the rule layer in sentiment_cues.toml.
@pytest.mark.parametrize("text", [
    "呵呵，这就是大品牌的质量",
    "笑死，刚买的手机就坏了，客服还不理人",
    "真是好样的，牛奶又喝出问题了",
    "凭什么我的订单说取消就取消",
])
def test_sarcasm_next_to_a_complaint_reads_negative(engine: LinearSentimentEngine, text: str) -> None:
    assert engine.score(text) <= 0.3


def test_laughter_without_a_complaint_stays_positive(engine: LinearSentimentEngine) -> None:
    assert engine.score("笑死我了哈哈哈，今天和朋友玩得太开心了") > 0.65


def test_a_rule_without_terms_is_a_clear_error(tmp_path: Path) -> None:
    from analyzers.linear_sentiment import Cues

    bad = tmp_path / "cues.toml"
    bad.write_text('[[rules]]\nname = "x"\nany = []\nmax_score = 0.2\n', encoding="utf-8")
    with pytest.raises(AnalyzerError, match="rule 'x'"):
        Cues.load(bad)


def _tiny_examples() -> list:
    from analyzers.training import Example

    good = ["这个牛奶好喝，很新鲜", "质量很好，物流也快", "味道不错，下次还买", "包装好，很满意"]
    bad = ["这个牛奶不好喝，一点也不新鲜", "质量太差，物流也慢", "味道很怪，再也不买了", "包装破了，很失望"]
    return [Example(t, 1, "tiny") for t in good] + [Example(t, 0, "tiny") for t in bad]


def test_word_features_are_segmenter_words_and_pairs() -> None:
    from analyzers.linear_sentiment import Cues, FeatureExtractor, word_features

    assert word_features(["牛奶", "好喝", "2024年"]) == {"w:牛奶", "w:好喝", "w:0年", "w:牛奶_好喝", "w:好喝_0年"}
    extractor = FeatureExtractor(Cues.load(), words=True)
    words = extractor.segment("这个牛奶好喝")
    assert "牛奶" in words and "好喝" in words
    assert "w:牛奶_好喝" in extractor.features("这个牛奶好喝")
    assert not any(f.startswith("w:") for f in FeatureExtractor(Cues.load()).features("这个牛奶好喝"))


def test_contrast_marks_only_the_clause_after_the_last_turn() -> None:
    from analyzers.linear_sentiment import Cues, FeatureExtractor

    feats = FeatureExtractor(Cues.load(), contrast=True).features("外观好看，但是质量太差。下次再说")
    marked = {f for f in feats if f.startswith("»")}
    assert "»质量" in marked and "»太差" in marked
    assert "»好看" not in marked and "»下次" not in marked  # before the turn / after the clause ends


def test_a_model_with_word_features_scores_the_same_with_passed_in_words() -> None:
    from analyzers.linear_sentiment import Cues
    from analyzers.training import Trainer

    config = TrainConfig(words=True, contrast=True, min_df=1)
    model = Trainer(config, Cues.load()).fit(_tiny_examples())
    assert model["features"] == {"words": True, "contrast": True}
    assert any(f.startswith("w:") for f in model["weights"])
    engine = LinearSentimentEngine(model=model)
    text = "包装好，但是味道很怪，很失望"  # 失望/很怪 occur in one class only, so their words weigh
    own = engine.score(text)
    assert engine.score(text, words=engine._features.segment(text)) == own
    assert engine.score(text, words=[]) != own  # the words really count
    assert engine.score("质量很好，很满意") > 0.5 > engine.score("质量太差，很失望")


def _social_model(max_chars: int = 140, **knobs) -> dict:
    """A small two-table model: Weibo-shaped posts (emoticons, @, 转发, '~') against shop reviews."""
    from analyzers.linear_sentiment import Cues
    from analyzers.training import Example, Trainer

    examples = []
    for i in range(60):
        mark = chr(0x4E00 + i)  # distinct texts: duplicates would leave training
        examples += [Example(f"今天心情好[哈哈]@小明 转发~{mark}", 1, "weibo"),
                     Example(f"气死了[怒]//@某人:{mark}", 0, "weibo"),
                     Example(f"质量很好，物流快，好评{mark}", 1, "shop"),
                     Example(f"质量很差，要求退款{mark}", 0, "shop")]
    config = TrainConfig(social_sources=("weibo",), social_mix="soft", social_max_chars=max_chars, min_df=1, **knobs)
    return Trainer(config, Cues.load()).fit(examples)


def test_longer_ngrams_in_the_social_copy_only_and_the_copy_scale() -> None:
    plain = _social_model()
    assert plain["max_n"] == 3
    assert "social_max_n" not in plain["meta"]["config"] and "social_scale" not in plain["meta"]["config"]
    four = _social_model(social_max_n=4)
    assert four["max_n"] == 4 and four["meta"]["config"]["social_max_n"] == 4  # the scorer extracts 4-grams

    def grams4(table: dict) -> list[str]:
        return [f for f in table if len(f) == 4 and not f.startswith("§")]

    assert not grams4(four["weights"]) and grams4(four["social"]["weights"])  # shared table keeps 1-3-grams
    assert not grams4(four["social"]["domain"]["weights"])  # and so does the domain model
    engine = LinearSentimentEngine(model=four)
    assert engine.score("今天心情好[哈哈]@小明", domain="social") > 0.5 > engine.score("气死了[怒]", domain="social")
    # a larger scale lets the copy carry more of the fit against the same penalty
    loose, tight = _social_model(social_scale=2.0), _social_model(social_scale=0.5)
    assert loose["meta"]["config"]["social_scale"] == 2.0
    assert sum(map(abs, loose["social"]["weights"].values())) > sum(map(abs, tight["social"]["weights"].values()))


def test_a_social_looking_post_gets_the_social_table_and_a_review_does_not() -> None:
    model = _social_model()
    assert model["social"]["weights"] and model["social"]["domain"]["weights"]
    assert "~" in model["weights"]  # the '~' character is a feature of its own, not the social-copy prefix
    engine = LinearSentimentEngine(model=model)
    post, review = "今天心情好[哈哈]@小明", "质量很好，物流快"
    p_post = engine.social.p_social(engine._features.features(post), len(post))
    p_review = engine.social.p_social(engine._features.features(review), len(review))
    assert p_post > 0.8 and p_review < 0.2
    # the review is scored (almost) as with the shared table alone, the post (almost) as a social post
    assert abs(engine.score(review) - engine.score(review, domain="review")) < abs(
        engine.score(review) - engine.score(review, domain="social"))
    assert abs(engine.score(post) - engine.score(post, domain="social")) < abs(
        engine.score(post) - engine.score(post, domain="review"))
    assert engine.score(post, domain="social") != engine.score(post, domain="review")
    with pytest.raises(AnalyzerError, match="domain 'weibo'"):
        engine.score(post, domain="weibo")


def test_a_text_longer_than_a_weibo_post_never_gets_the_social_table() -> None:
    engine = LinearSentimentEngine(model=_social_model(max_chars=10))
    long_post = "今天心情好[哈哈]@小明 转发~今天心情好[哈哈]"
    assert engine.social.p_social(engine._features.features(long_post), len(long_post)) == 0.0
    assert engine.score(long_post) == engine.score(long_post, domain="review")


def test_a_model_file_without_the_social_table_still_loads_and_scores_as_before(tmp_path: Path) -> None:
    from analyzers.linear_sentiment import Cues, decision
    from analyzers.training import Trainer, save_model

    model = Trainer(TrainConfig(min_df=1), Cues.load()).fit(_tiny_examples())
    assert "social" not in model and "social_mix" not in model["meta"]["config"]  # old files: byte-identical
    save_model(model, tmp_path / "old.json.gz")
    engine = LinearSentimentEngine(tmp_path / "old.json.gz")
    assert engine.social is None
    text = "质量很好，很满意"
    z = decision(model["weights"], model["bias"], engine._features.features(text))
    assert engine.score(text) == pytest.approx(1 / (1 + math.exp(-z)))
    assert engine.score(text, domain="social") == engine.score(text)  # a hint means nothing to a one-table model


def test_review_domains_private_copies_are_fitted_then_dropped() -> None:
    """`private_scale` (tried on the inner folds 2026-12-05, not shipped): the copies take part in the fit, so
    the shared weights move, and none of them reaches the model file."""
    from analyzers.linear_sentiment import Cues
    from analyzers.training import Example, Trainer

    examples = []
    for i in range(60):
        mark = chr(0x4E00 + i)
        examples += [Example(f"红色很好{mark}", 1, "shop", "衣服"), Example(f"很差劲{mark}", 0, "shop", "衣服"),
                     Example(f"味道很好{mark}", 1, "shop", "水果"), Example(f"味道很差{mark}", 0, "shop", "水果")]

    def fit(**knobs) -> dict:
        return Trainer(TrainConfig(min_df=1, **knobs), Cues.load()).fit(examples)

    plain, private = fit(), fit(private_scale=1.0)
    assert "private_scale" not in plain["meta"]["config"]  # off by default: older recipes rebuild unchanged
    assert private["meta"]["config"]["private_scale"] == 1.0
    assert set(private["weights"]) <= set(plain["weights"])  # no private feature reaches the model file
    assert private["weights"]["红色"] != plain["weights"]["红色"]  # the copies shared the fit
    engine = LinearSentimentEngine(model=private)
    assert engine.score("味道很好") > 0.5 > engine.score("味道很差")
