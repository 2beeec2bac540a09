"""The statement checker's rules, read from an editable TOML file (config/lexicons/statement.toml).

Terms and patterns compile into one regex per rule, so checking a long draft is a handful of scans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alerts.errors import AlertError
from analyzers.resources import bundled, read_toml

GOOD_ELEMENTS = ("apology", "empathy", "facts", "actions", "remedy", "channel", "accountable")


class StatementRulesError(AlertError):
    """The rules file is unreadable or malformed."""


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    label_en: str
    advice: str
    pattern: re.Pattern[str]
    weight: float  # penalty for a defensive rule, full credit for a good element
    exempt: tuple[str, ...] = ()
    only_without_commitment: bool = False
    time_pattern: re.Pattern[str] | None = None  # actions only
    partial: float = 1.0  # actions only: credit when no action has a time


@dataclass(frozen=True)
class UndoneRule:
    label: str
    label_en: str
    advice: str
    penalty: float
    justifications: tuple[str, ...]
    exempt: tuple[str, ...]


@dataclass(frozen=True)
class ScoreSettings:
    base: float = 30.0
    good_scale: float = 0.7
    repeat_factor: float = 0.5
    floor: float = 10.0


@dataclass(frozen=True)
class StatementRules:
    defensive: tuple[Rule, ...]
    good: dict[str, Rule]
    undone: UndoneRule
    score: ScoreSettings
    negator: re.Pattern[str]
    contrast: re.Pattern[str]
    negation_window: int


def _alternation(terms: list[Any], patterns: list[Any], where: str) -> re.Pattern[str]:
    parts = sorted((re.escape(str(t)) for t in terms if str(t).strip()), key=len, reverse=True)
    parts += [str(p) for p in patterns if str(p).strip()]
    if not parts:
        raise StatementRulesError(f"statement rules: {where} needs terms or patterns")
    try:
        return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)
    except re.error as exc:
        raise StatementRulesError(f"statement rules: {where}: bad pattern: {exc}") from exc


def _rule(name: str, table: Any, where: str, weight_key: str) -> Rule:
    if not isinstance(table, dict):
        raise StatementRulesError(f"statement rules: {where} must be a table")
    try:
        time_pattern = (_alternation([], table["time_patterns"], f"{where}.time_patterns")
                        if "time_patterns" in table else None)
        return Rule(
            name=name, label=str(table["label"]), label_en=str(table.get("label_en", name)),
            advice=str(table["advice"]),
            pattern=_alternation(list(table.get("terms", [])), list(table.get("patterns", [])), where),
            weight=float(table[weight_key]), exempt=tuple(map(str, table.get("exempt", []))),
            only_without_commitment=bool(table.get("only_without_commitment", False)),
            time_pattern=time_pattern, partial=float(table.get("partial", 1.0)),
        )
    except KeyError as exc:
        raise StatementRulesError(f"statement rules: {where} is missing {exc}") from None
    except (TypeError, ValueError) as exc:
        raise StatementRulesError(f"statement rules: {where}: {exc}") from None


def _negator(words: list[str], not_words: list[str]) -> re.Pattern[str]:
    """Any negator, except words that start like one but do not negate (不少, 不断 ...)."""
    guard = "".join(f"(?!{re.escape(w)})" for w in sorted(not_words, key=len, reverse=True))
    return re.compile(guard + "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")")


def load_statement_rules(path: str | Path | None = None) -> StatementRules:
    """Read and compile the rules; the bundled file by default."""
    source: Any = Path(path) if path else bundled("lexicons", "statement.toml")
    try:
        tables = read_toml(source)
    except (OSError, ValueError) as exc:
        raise StatementRulesError(f"statement rules: cannot read {source}: {exc}") from exc
    settings = tables.get("settings", {})
    defensive = tuple(_rule(name, table, f"[defensive.{name}]", "penalty")
                      for name, table in tables.get("defensive", {}).items())
    good = {name: _rule(name, table, f"[good.{name}]", "weight") for name, table in tables.get("good", {}).items()}
    missing = [name for name in GOOD_ELEMENTS if name not in good]
    if missing or not defensive:
        raise StatementRulesError(f"statement rules: {source} needs [defensive.*] rules and [good.{missing or '...'}]")
    undone = tables.get("undone", {})
    try:
        undone_rule = UndoneRule(
            label=str(undone["label"]), label_en=str(undone.get("label_en", "apology undone")),
            advice=str(undone["advice"]), penalty=float(undone["penalty"]),
            justifications=tuple(map(str, undone.get("justifications", []))),
            exempt=tuple(map(str, undone.get("exempt", []))))
        score = ScoreSettings(**{k: float(v) for k, v in tables.get("score", {}).items()})
        negator = _negator(list(settings["negators"]), list(settings.get("not_negators", [])))
        contrast = re.compile("|".join(re.escape(w) for w in settings["contrasts"]))
        window = int(settings.get("negation_window", 10))
    except KeyError as exc:
        raise StatementRulesError(f"statement rules: {source} is missing {exc}") from None
    except (TypeError, ValueError) as exc:
        raise StatementRulesError(f"statement rules: {source}: {exc}") from None
    return StatementRules(defensive=defensive, good=good, undone=undone_rule, score=score, negator=negator,
                          contrast=contrast, negation_window=window)


@lru_cache(maxsize=1)
def bundled_statement_rules() -> StatementRules:
    return load_statement_rules()
