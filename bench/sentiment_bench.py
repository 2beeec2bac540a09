"""Sentiment benchmark: the shipped model against SnowNLP's default, same held-out data, same run.

The shipped model is the recipe refit on ALL the data, so its accuracy is measured on the recipe's held-out
build (`bench/models/sentiment-heldout.json.gz`: the same recipe and code with two sets kept out, RECIPE.md),
whose meta records the files, split fraction, seed and held-out category, so the figures are on posts that
model never saw:
- the Weibo dev split (a seeded 25% of weibo_polar_dev.csv, never trained on);
- one online_shopping category held out entirely (a domain absent from training).
The bench refuses to run if the two files' recipes differ in anything but the held-out sets.
Speed is texts per second, single process, one text at a time, of the held-out build and of the shipped model
on the same texts: by the wall clock, and per second of the process's own CPU time (`cpu_texts_per_s`), which
is the one-core figure on a machine shared with others.

Run: `.venv/bin/python bench/sentiment_bench.py` (also part of `make bench`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
sys.path.insert(0, str(ROOT))
HELD_OUT_BUILD = ROOT / "bench" / "models" / "sentiment-heldout.json.gz"
SHIPPED = ROOT / "config" / "models" / "sentiment.json.gz"


def same_recipe(held_meta: dict, shipped_meta: dict) -> None:
    """The held-out build stands for the shipped model only if nothing but the held-out sets differs."""
    keys = ("config", "files", "snownlp")
    if any(held_meta.get(k) != shipped_meta.get(k) for k in keys):
        raise SystemExit(f"sentiment bench: {HELD_OUT_BUILD.name} and {SHIPPED.name} were built by different "
                         "recipes; rebuild both (config/models/RECIPE.md)")


def held_out_sets() -> tuple[dict, dict[str, list]]:
    from analyzers.linear_sentiment import load_model
    from analyzers.training import Recipe, TrainConfig, assemble

    meta = load_model(HELD_OUT_BUILD)["meta"]
    same_recipe(meta, load_model(SHIPPED)["meta"])
    config = TrainConfig(**{k: v for k, v in meta["config"].items() if k in ("seed",)})
    recipe = Recipe(files=tuple(SHARED / name for name in meta["files"]), snownlp=False,
                    dev_fraction=meta["dev_fraction"], holdout_category=meta["holdout_category"], config=config)
    _, held = assemble(recipe)
    return meta, held


def run() -> list[dict]:
    from analyzers.evaluation import evaluate
    from analyzers.linear_sentiment import LinearSentimentEngine
    from analyzers.sentiment import SnowNLPEngine
    from analyzers.training import canonical

    _, held = held_out_sets()
    ours = LinearSentimentEngine(HELD_OUT_BUILD)
    shipped = LinearSentimentEngine(SHIPPED)
    snow = SnowNLPEngine()
    load = os.getloadavg()[0]
    lines = []
    for name, examples in held.items():
        texts = [canonical(e.text) for e in examples]
        labels = [e.label for e in examples]
        mine = evaluate(name, ours.score, texts, labels)
        base = evaluate(name, snow.score, texts, labels)
        speed = evaluate(name, shipped.score, texts, labels)  # speed only: the shipped model trained on these
        majority = max(labels.count(0), labels.count(1)) / len(labels)
        lines.append({"bench": "sentiment", "set": name, "n": len(texts),
                      "linear": {k: v for k, v in mine.as_dict().items() if k not in ("set", "n")},
                      "snownlp": {k: v for k, v in base.as_dict().items() if k not in ("set", "n")},
                      "majority_class_accuracy": round(majority, 4),
                      "accuracy_gain": round(mine.accuracy - base.accuracy, 4),
                      "speed_ratio": round(mine.texts_per_s / base.texts_per_s, 1),
                      "cpu_speed_ratio": round(mine.cpu_texts_per_s / base.cpu_texts_per_s, 1),
                      "shipped_model_speed": {"texts_per_s": round(speed.texts_per_s, 1),
                                              "cpu_texts_per_s": round(speed.cpu_texts_per_s, 1)},
                      "load_avg_1m": round(load, 2)})
        if ours._features.words:
            # The pipeline segments every post for keywords already and can pass the words in: the scorer's own
            # cost is then the figure that matters (issue 3's per-post budget), measured on the same texts.
            words = {t: ours._features.segment(t) for t in texts}
            given = evaluate(name, lambda t, w=words: ours.score(t, words=w[t]), texts, labels)
            assert abs(given.accuracy - mine.accuracy) < 1e-9  # same scores, only the segmentation moved out
            lines[-1]["linear_words_given"] = {"texts_per_s": round(given.texts_per_s, 1),
                                               "cpu_texts_per_s": round(given.cpu_texts_per_s, 1),
                                               "cpu_ms_per_text": round(1000 / given.cpu_texts_per_s, 4)}
    lines.append({"bench": "sentiment_model", "bytes": SHIPPED.stat().st_size, "limit_bytes": 20 * 1024 * 1024,
                  "ratio_vs_limit": round(SHIPPED.stat().st_size / (20 * 1024 * 1024), 3)})
    return lines


def main() -> None:
    for line in run():
        print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
