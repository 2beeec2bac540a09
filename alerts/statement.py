"""The crisis statement checker: flag defensive language in a draft before it goes out, and score it.

`check_statement(text)` is a pure function (rules from config/lexicons/statement.toml). It finds
defensive phrases (blame-shifting, denial, legal threats, stalling, minimising, lecturing, self-pity,
jargon, an apology undone by "但是"), credits the good elements (apology, empathy, facts, actions with
times, remedy, a follow-up channel, a named accountable person) and turns both into a 0-100 score:
linear in the elements and penalties, with a soft floor so the worst drafts still rank among themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from alerts.skeleton import build_skeleton
from alerts.statement_rules import GOOD_ELEMENTS, Rule, StatementRules, bundled_statement_rules
from alerts.statement_text import Aligned, Segment, align, clauses, containing, sentences

MAX_STATEMENT_CHARS = 50_000  # a statement longer than this is not a statement; refuse rather than crawl


@dataclass(frozen=True)
class Finding:
    """One defensive phrase: `start`/`end` are offsets into the original text, `span` is that text."""

    span: str
    start: int
    end: int
    category: str
    label: str
    advice: str

    def to_dict(self) -> dict[str, Any]:
        return {"span": self.span, "start": self.start, "end": self.end, "category": self.category,
                "advice": self.advice}


@dataclass(frozen=True)
class Element:
    """A good element and how fully the draft has it (credit 0-1); `spans` are original offsets."""

    element: str
    label: str
    credit: float
    spans: tuple[tuple[int, int], ...]
    advice: str

    def to_dict(self) -> dict[str, Any]:
        return {"element": self.element, "label": self.label, "advice": self.advice}


@dataclass(frozen=True)
class StatementReport:
    text: str
    score: int
    findings: tuple[Finding, ...]
    elements: tuple[Element, ...]
    skeleton: str

    @property
    def missing(self) -> tuple[Element, ...]:
        """Elements absent or only partly there (actions without a time)."""
        return tuple(e for e in self.elements if e.credit < 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "findings": [f.to_dict() for f in self.findings],
                "missing": [e.to_dict() for e in self.missing], "skeleton": self.skeleton}


@dataclass(frozen=True)
class _Match:
    rule: Rule
    start: int  # simplified-text offsets
    end: int


class _Draft:
    """The simplified text with its sentences and clauses, and the negation and exemption tests."""

    def __init__(self, aligned: Aligned, rules: StatementRules):
        self.aligned, self.rules, self.text = aligned, rules, aligned.text
        self.sentences, self.clauses = sentences(self.text), clauses(self.text)
        self._sentence_starts = [s.start for s in self.sentences]
        self._clause_starts = [c.start for c in self.clauses]

    def sentence(self, position: int) -> Segment:
        return containing(self.sentences, self._sentence_starts, position)

    def clause(self, position: int) -> Segment:
        return containing(self.clauses, self._clause_starts, position)

    def negated(self, start: int) -> bool:
        """A negator shortly before, in the same clause, with no contrast word after it: 我们不会推给第三方."""
        begin = max(self.clause(start).start, start - self.rules.negation_window)
        window = self.text[begin:start]
        last = None
        for last in self.rules.negator.finditer(window):  # noqa: B007 - we want the last one
            pass
        return last is not None and not self.rules.contrast.search(window[last.end():])

    def matches(self, rule: Rule) -> list[_Match]:
        found = []
        for m in rule.pattern.finditer(self.text):
            if m.end() == m.start() or self.negated(m.start()):
                continue
            if rule.exempt and any(word in self.clause(m.start()).text for word in rule.exempt):
                continue
            found.append(_Match(rule, m.start(), m.end()))
        return found

    def finding(self, rule_name: str, label: str, advice: str, start: int, end: int) -> Finding:
        a, b = self.aligned.span(start, end)
        return Finding(span=self.aligned.original[a:b], start=a, end=b, category=rule_name, label=label,
                       advice=advice)


def _without_overlaps(matches: list[_Match]) -> list[_Match]:
    """Where two defensive matches overlap, keep the longer (the earlier rule on a tie)."""
    order = {id(m.rule): i for i, m in enumerate(matches)}
    kept: list[_Match] = []
    for m in sorted(matches, key=lambda m: (-(m.end - m.start), order[id(m.rule)], m.start)):
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def _merged(draft: _Draft, matches: list[_Match]) -> list[_Match]:
    """Join matches of one rule a few characters apart in one clause: 依法追究其法律责任 is one threat."""
    out: list[_Match] = []
    for m in matches:
        last = out[-1] if out else None
        if (last and last.rule is m.rule and m.start - last.end <= 4
                and draft.clause(last.start).start == draft.clause(m.start).start):
            out[-1] = _Match(m.rule, last.start, max(last.end, m.end))
        else:
            out.append(m)
    return out


def _undone(draft: _Draft, apologies: list[_Match], defensive: list[_Match]) -> list[tuple[int, int, int]]:
    """"对不起，但……": a contrast after an apology, then a justification or a defensive phrase.

    Returns (start, end, start of the apology's sentence) for each.
    """
    rule, spans, seen = draft.rules.undone, [], set()
    for apology in apologies:
        sentence = draft.sentence(apology.start)
        rest_start, rest_end = apology.end, sentence.end
        tail_text = draft.text[rest_start:rest_end]
        contrast = draft.rules.contrast.search(tail_text)
        if contrast is None:  # 对不起。但是……: the next sentence opens with the contrast
            index = draft.sentences.index(sentence) if sentence in draft.sentences else -1
            if 0 <= index < len(draft.sentences) - 1:
                nxt = draft.sentences[index + 1]
                opening = draft.rules.contrast.match(nxt.text.lstrip())
                if opening:
                    rest_start, rest_end = nxt.start + len(nxt.text) - len(nxt.text.lstrip()), nxt.end
                    contrast = draft.rules.contrast.match(draft.text[rest_start:rest_end])
        if contrast is None:
            continue
        start = rest_start + contrast.start()
        tail = draft.text[start:rest_end]
        if start in seen or any(word in tail for word in rule.exempt):
            continue
        justified = any(word in tail for word in rule.justifications)
        defended = any(start <= d.start < rest_end for d in defensive)
        if justified or defended:
            seen.add(start)
            spans.append((start, rest_end - len(tail) + len(tail.rstrip("。！？!?；;\n，, ")), sentence.start))
    return spans


def _credits(draft: _Draft, good: dict[str, list[_Match]], findings: list[_Match],
             undone: list[tuple[int, int, int]]) -> dict[str, float]:
    """How fully each element is there: an apology undone by "但是" counts 0.3, one wrapped in jargon 0.6."""
    credit = {name: (1.0 if good[name] else 0.0) for name in GOOD_ELEMENTS}
    jargon_sentences = {draft.sentence(m.start).start for m in findings if m.rule.name == "jargon"}
    undone_sentences = {apology_sentence for _, _, apology_sentence in undone}
    strengths = []
    for m in good["apology"]:
        sentence = draft.sentence(m.start).start
        strengths.append(0.3 if sentence in undone_sentences else 0.6 if sentence in jargon_sentences else 1.0)
    credit["apology"] = max(strengths, default=0.0)
    actions = draft.rules.good["actions"]
    if good["actions"]:
        timed = any(actions.time_pattern and actions.time_pattern.search(draft.sentence(m.start).text)
                    for m in good["actions"])
        credit["actions"] = 1.0 if timed else actions.partial
    return credit


def _score(rules: StatementRules, credit: dict[str, float], penalties: list[tuple[int, str, float]]) -> int:
    """Penalties arrive as (sentence start, category, weight): a repeat of a category, or a second problem in
    a sentence already penalised, costs `repeat_factor` of its weight (both: its square); five of a kind cap it."""
    total = sum(rules.good[name].weight for name in GOOD_ELEMENTS) or 1.0
    goods = 100.0 * sum(rules.good[name].weight * credit[name] for name in GOOD_ELEMENTS) / total
    counts: dict[str, int] = {}
    sentences_hit: set[int] = set()
    penalty = 0.0
    for sentence, category, weight in sorted(penalties, key=lambda p: (p[0], -p[2])):
        counts[category] = counts.get(category, 0) + 1
        if counts[category] <= 5:
            factor = rules.score.repeat_factor
            penalty += weight * (factor if counts[category] > 1 else 1.0) * (factor if sentence in sentences_hit
                                                                              else 1.0)
        sentences_hit.add(sentence)
    raw = rules.score.base + rules.score.good_scale * goods - penalty
    floor = rules.score.floor
    if raw < floor:  # below the floor, fall smoothly towards 0 so bad drafts still order among themselves
        raw = floor * math.exp((raw - floor) / (3 * floor)) if floor > 0 else 0.0
    return max(0, min(100, round(raw)))


def check_statement(text: str, rules: StatementRules | None = None) -> StatementReport:
    """Review a draft public statement (simplified or traditional Chinese)."""
    if len(text) > MAX_STATEMENT_CHARS:
        raise ValueError(f"statement: {len(text)} characters is too long (limit {MAX_STATEMENT_CHARS})")
    rules = rules or bundled_statement_rules()
    draft = _Draft(align(text), rules)
    defensive = _merged(draft, _without_overlaps([m for rule in rules.defensive for m in draft.matches(rule)]))
    good = {name: draft.matches(rules.good[name]) for name in GOOD_ELEMENTS}
    actions = rules.good["actions"]
    committed = bool(actions.time_pattern) and any(
        actions.time_pattern.search(draft.sentence(m.start).text) for m in good["actions"])
    defensive = [m for m in defensive if not (m.rule.only_without_commitment and (committed or (
        actions.time_pattern and actions.time_pattern.search(draft.sentence(m.start).text))))]
    undone = _undone(draft, good["apology"], defensive)
    credit = _credits(draft, good, defensive, undone)
    findings = [draft.finding(m.rule.name, m.rule.label, m.rule.advice, m.start, m.end) for m in defensive]
    findings += [draft.finding("apology_undone", rules.undone.label, rules.undone.advice, a, b)
                 for a, b, _ in undone]
    findings.sort(key=lambda f: (f.start, f.end))
    penalties = [(draft.sentence(m.start).start, m.rule.name, m.rule.weight) for m in defensive]
    penalties += [(sentence, "apology_undone", rules.undone.penalty) for _, _, sentence in undone]
    elements = tuple(Element(
        element=name, label=rules.good[name].label, credit=credit[name],
        spans=tuple(draft.aligned.span(m.start, m.end) for m in good[name]), advice=rules.good[name].advice,
    ) for name in GOOD_ELEMENTS)
    skeleton = build_skeleton(draft.aligned, draft.sentences, findings, elements)
    return StatementReport(text=text, score=_score(rules, credit, penalties), findings=tuple(findings),
                           elements=elements, skeleton=skeleton)
