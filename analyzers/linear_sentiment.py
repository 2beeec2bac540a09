"""The shipped sentiment engine: a logistic model over character n-grams plus social-post cues.

Why this shape: a linear model over a dictionary of n-gram weights scores a post with a few hundred
dict look-ups in pure Python (thousands of posts a second on one core, no native code at run time),
and the cue features (negation scope, degree words, Weibo emoticons, sarcasm, rhetorical questions)
carry what review-trained models miss on social posts. `analyzers.training` fits it.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from analyzers.errors import AnalyzerError
from analyzers.resources import bundled, read_toml

MODEL_FORMAT = "listener-linear-sentiment/1"
MAX_CHARS = 400  # long reviews: their opening and ending carry the verdict; the middle is cut (see _clip)
_URL = re.compile(r"(?:https?:|www\.)[^\s\u4e00-\u9fff]*", re.IGNORECASE)
_HANDLE = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[。！!？?；;\n]")
_EMOTICON = re.compile(r"\[([\u4e00-\u9fffA-Za-z]{1,8})\]")


@dataclass(frozen=True)
class Cues:
    """Word lists from `config/lexicons/sentiment_cues.toml`: each group becomes one shared feature."""

    negators: tuple[str, ...] = ()
    degree: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    window: int = 4
    # Rules applied after the model (not learnt): {"name", "any", "and_any", "max_score"}. Why: the corpora teach
    # 呵呵/笑死 as laughter; next to a complaint or a product failure they are sarcasm, which no label here carries.
    rules: tuple[dict, ...] = ()
    # Turn words (但是 不过 可是 …): the clause after the last one carries the verdict ("好看，但是质量太差").
    turns: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: str | Path | None = None) -> Cues:
        data = read_toml(path or bundled("lexicons", "sentiment_cues.toml"))
        groups = {name: tuple(terms) for name, terms in data.get("groups", {}).items()}
        return cls(
            negators=tuple(sorted(data.get("negators", []), key=len, reverse=True)),
            degree=tuple(sorted(data.get("degree", []), key=len, reverse=True)),
            groups=groups,
            window=int(data.get("negation_window", 4)),
            rules=tuple(_rule(r) for r in data.get("rules", [])),
            turns=tuple(sorted(data.get("turns", []), key=len, reverse=True)),
        )

    def to_dict(self) -> dict:
        out = {"negators": list(self.negators), "degree": list(self.degree),
               "groups": {k: list(v) for k, v in self.groups.items()}, "negation_window": self.window}
        if self.rules:
            out["rules"] = [dict(r) for r in self.rules]
        if self.turns:
            out["turns"] = list(self.turns)
        return out


def _rule(data: dict) -> dict:
    try:
        rule = {"name": str(data["name"]), "any": [str(t) for t in data["any"]],
                "and_any": [str(t) for t in data.get("and_any", [])], "max_score": float(data["max_score"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise AnalyzerError(f"sentiment cues: a rule needs name, any and max_score ({exc})") from None
    if not rule["any"] or not 0.0 <= rule["max_score"] <= 1.0:
        raise AnalyzerError(f"sentiment cues: rule {rule['name']!r}: 'any' is empty or max_score is not in [0, 1]")
    return rule


class RuleLayer:
    """Caps P(positive) when every term list of a rule matches the prepared text."""

    def __init__(self, rules: tuple[dict, ...]):
        self._rules = [(_alternation(tuple(r["any"])), _alternation(tuple(r["and_any"])), r["max_score"])
                       for r in rules]

    def apply(self, prepared: str, score: float) -> float:
        for first, second, cap in self._rules:
            if score > cap and first.search(prepared) and (second is None or second.search(prepared)):
                score = cap
        return score


def _alternation(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(re.escape(t) for t in terms)) if terms else None


class FeatureExtractor:
    """Text -> the set of feature names the model weighs. Deterministic; same at training and scoring."""

    def __init__(self, cues: Cues, max_n: int = 3, *, words: bool = False, contrast: bool = False):
        self.cues = cues
        self.max_n = max_n
        self.words = words  # word unigrams + bigrams from the dictionary segmenter (analyzers.segment)
        self.contrast = contrast  # bigrams of the clause after the last turn word get their own copy
        self._turn = _alternation(cues.turns) if contrast else None
        self._segmenter = None
        self._sizes = tuple(range(2, max_n + 1))
        self._negator = _alternation(cues.negators)
        self._degree = _alternation(cues.degree)
        self._groups = [(name, _alternation(terms)) for name, terms in cues.groups.items() if terms]

    @staticmethod
    def prepare(text: str) -> str:
        """Lower-case, URLs and @handles to placeholders, digits folded, spaces collapsed, long texts clipped."""
        text = _URL.sub("U", text.lower())
        text = _HANDLE.sub("@", text)
        text = _DIGITS.sub("0", text)
        text = _SPACE.sub(" ", text).strip()
        if len(text) > MAX_CHARS:
            half = MAX_CHARS // 2
            text = text[:half] + " " + text[-half:]
        return text

    def features(self, text: str, words: Sequence[str] | None = None) -> set[str]:
        """`words`: the text's segmenter words when the caller already has them (the pipeline's keywords do)."""
        feats = self.features_of(self.prepare(text))
        if self.words:
            feats |= word_features(self.segment(text) if words is None else words)
        return feats

    def segment(self, text: str) -> list[str]:
        """Words of two or more characters, as `analyzers.segment.Segmenter` gives the keyword extractor."""
        if self._segmenter is None:
            from analyzers.segment import Segmenter

            self._segmenter = Segmenter()
        return [w for w, _ in self._segmenter.words(text)]

    def features_of(self, s: str) -> set[str]:
        """Character and cue features of an already prepared text (`prepare`)."""
        padded = f"^{s}$"
        n = len(padded)
        feats: set[str] = set(padded[1:-1])
        feats.update([padded[i:i + size] for size in self._sizes for i in range(n - size + 1)])
        window = self.cues.window
        if self._negator is not None:
            for m in self._negator.finditer(s):
                scope = s[m.end():m.end() + window]
                feats.update("¬" + scope[i:i + 2] for i in range(max(len(scope) - 1, 0)))
        if self._degree is not None:
            for m in self._degree.finditer(s):
                feats.add("+" + s[m.end():m.end() + 2])
        for name, pattern in self._groups:
            if pattern is not None and pattern.search(s):
                feats.add("§" + name)
        for emo in _EMOTICON.findall(s):
            feats.add("§emoticon:" + emo)
        stripped = s.rstrip(" ~～。.")
        if stripped.endswith(("?", "？")):
            feats.add("§ends-question")
        if "?!" in s or "？！" in s or "!?" in s or "！？" in s:
            feats.add("§exclaim-question")
        if not s:
            feats.add("§empty")
        if self._turn is not None:
            last = None
            for match in self._turn.finditer(s):
                last = match
            if last is not None:
                clause = _CLAUSE_END.split(s[last.end():], 1)[0]
                feats.update("»" + clause[i:i + 2] for i in range(len(clause) - 1))
        return feats


def word_features(words: Iterable[str]) -> set[str]:
    """Words and adjacent word pairs, lower-cased, digits folded (as `prepare` folds them for characters)."""
    tokens = [_DIGITS.sub("0", w.lower()) for w in words]
    feats = {"w:" + t for t in tokens}
    feats.update("w:" + a + "_" + b for a, b in pairwise(tokens))
    return feats


def decision(weights: dict[str, float], bias: float, feats: set[str]) -> float:
    """The linear score: weights of the known features, L2-normalised over how many are known."""
    known = [w for w in map(weights.get, feats) if w is not None]
    if not known:
        return bias
    return bias + sum(known) / math.sqrt(len(known))


def mixed_decision(shared: dict[str, float], social: dict[str, float], bias: float, feats: set[str],
                   p: float) -> float:
    """The score with the social copy weighted by p = P(the text is a social post).

    Training saw a social post's n shared + m social features at 1/sqrt(n + m) each and a review's n at
    1/sqrt(n) (`analyzers.training`, Daumé's feature copy); p = 1 and p = 0 give exactly those, between is a mix.
    """
    known = [w for w in map(shared.get, feats) if w is not None]
    extra = [w for w in map(social.get, feats) if w is not None] if p > 0 else []
    count = len(known) + p * len(extra)
    if not count:
        return bias
    return bias + (sum(known) + p * sum(extra)) / math.sqrt(count)


@dataclass(frozen=True)
class SocialCopy:
    """A model's social table and the domain model that says how much of it a text gets (`"social"` in the file)."""

    weights: dict[str, float]  # the social copy of each feature (name without the training prefix)
    domain: dict[str, float]  # logistic model of P(social post) over the same features
    domain_bias: float
    mix: str = "soft"  # "soft": p = P(social); "hard": p = 1 when P(social) > 0.5, else 0
    # Longer prepared texts are never social: Weibo's 140-character limit (99.5% of the Weibo training posts are
    # within it), while long reviews (book reviews, plot summaries) are what the domain model mistakes for posts.
    max_chars: int = 0  # 0: no limit

    @classmethod
    def from_dict(cls, data: dict) -> SocialCopy:
        mix = str(data.get("mix", "soft"))
        if mix not in ("soft", "hard"):
            raise AnalyzerError(f"sentiment: social mix {mix!r} is not soft or hard")
        return cls(data["weights"], data["domain"]["weights"], float(data["domain"]["bias"]), mix,
                   int(data.get("max_chars", 0)))

    def p_social(self, feats: set[str], length: int, domain: str | None = None) -> float:
        """The caller's hint when given ("social" / "review"), else the domain model's (`length`: prepared text's)."""
        if domain is not None:
            if domain not in ("social", "review"):
                raise AnalyzerError(f"sentiment: domain {domain!r} is not social or review")
            return 1.0 if domain == "social" else 0.0
        if self.max_chars and length > self.max_chars:
            return 0.0
        p = _sigmoid(decision(self.domain, self.domain_bias, feats))
        return p if self.mix == "soft" else float(p > 0.5)


class LinearSentimentEngine:
    """Loads a model file once; `score` is then a pure function of the text."""

    name = "linear"

    def __init__(self, path: str | Path | None = None, *, model: dict | None = None):
        if model is None:
            model = load_model(path)
        if model.get("format") != MODEL_FORMAT:
            raise AnalyzerError(f"sentiment: {path or 'bundled model'} is not a {MODEL_FORMAT} file")
        self.meta = model.get("meta", {})
        self._weights: dict[str, float] = model["weights"]
        self._bias = float(model["bias"])
        # Models from before the social table have one table, scored for every text alike.
        self.social = SocialCopy.from_dict(model["social"]) if "social" in model else None
        self._scale, self._shift = (float(x) for x in model.get("calibration", (1.0, 0.0)))
        cues = Cues(**_cue_args(model["cues"]))
        families = model.get("features", {})
        self._features = FeatureExtractor(cues, max_n=int(model.get("max_n", 3)), words=bool(families.get("words")),
                                          contrast=bool(families.get("contrast")))
        self._rules = RuleLayer(cues.rules)

    def score(self, text: str, words: Sequence[str] | None = None, domain: str | None = None) -> float:
        """`words`: the text's segmenter words (`analyzers.segment.Segmenter`) if the caller has them already,
        so a pipeline that segments for keywords does not segment twice; else the engine segments itself.
        `domain`: "social" or "review" when the caller knows the kind of feed; else the model guesses."""
        prepared = self._features.prepare(text)
        feats = self._features.features_of(prepared)
        if self._features.words:
            feats |= word_features(self._features.segment(text) if words is None else words)
        return self._rules.apply(prepared, self.probability(feats, len(prepared), domain))

    def probability(self, feats: set[str], length: int, domain: str | None = None) -> float:
        """The model's own P(positive) for the features of a prepared text of `length` characters, before the rules."""
        if self.social is None:
            z = decision(self._weights, self._bias, feats)
        else:
            p = self.social.p_social(feats, length, domain)
            z = mixed_decision(self._weights, self.social.weights, self._bias, feats, p)
        return _sigmoid(self._scale * z + self._shift)

    def score_many(self, texts: list[str]) -> list[float]:
        return [self.score(t) for t in texts]


def load_model(path: str | Path | None = None) -> dict:
    """The model dict from a gzip'd JSON file (the bundled one when no path is given)."""
    try:
        raw = Path(path).read_bytes() if path else bundled("models", "sentiment.json.gz").read_bytes()
        return json.loads(gzip.decompress(raw))
    except (OSError, ValueError, EOFError) as exc:
        raise AnalyzerError(f"sentiment: cannot load model {path or '(bundled)'}: {exc}") from None


def _cue_args(data: dict) -> dict:
    return {
        "negators": tuple(data.get("negators", ())),
        "degree": tuple(data.get("degree", ())),
        "groups": {k: tuple(v) for k, v in data.get("groups", {}).items()},
        "window": int(data.get("negation_window", 4)),
        "rules": tuple(_rule(r) for r in data.get("rules", [])),
        "turns": tuple(data.get("turns", ())),
    }


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def shared_engine(path: str | Path | None = None) -> LinearSentimentEngine:
    """One engine per model file per process: the model is loaded once, however many analysers ask."""
    return _cached_engine(str(Path(path).resolve()) if path else None)


@lru_cache(maxsize=4)
def _cached_engine(path: str | None) -> LinearSentimentEngine:
    return LinearSentimentEngine(path)
