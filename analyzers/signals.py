"""Crisis signals: lexicon categories (product safety, regulators, boycotts...) found in a text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzers.errors import AnalyzerError
from analyzers.resources import bundled, read_toml
from analyzers.types import Signal


@dataclass(frozen=True)
class SignalCategory:
    name: str
    label: str
    weight: float
    terms: tuple[str, ...]


def load_categories(path: str | Path | None = None) -> list[SignalCategory]:
    """Read the signal lexicon (TOML, one table per category); the bundled one by default."""
    source: Any = path if path is not None else bundled("lexicons", "signals.toml")
    try:
        tables = read_toml(source)
    except (OSError, ValueError) as exc:
        raise AnalyzerError(f"lexicon: cannot read signal lexicon {source}: {exc}") from exc
    categories = []
    for name, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("terms"), list):
            raise AnalyzerError(f"lexicon: {source}: [{name}] needs a list of terms")
        categories.append(SignalCategory(
            name=name, label=str(table.get("label", name)), weight=float(table.get("weight", 1.0)),
            terms=tuple(str(t) for t in table["terms"] if str(t).strip()),
        ))
    return categories


class SignalDetector:
    def __init__(self, categories: list[SignalCategory]):
        self._categories = categories
        # Terms lowered once here, not for every post (that was most of detect's time).
        self._lowered = [tuple((term, term.lower()) for term in c.terms) for c in categories]

    def detect(self, clean_text: str) -> tuple[Signal, ...]:
        lowered = clean_text.lower()
        found = []
        for category, terms in zip(self._categories, self._lowered, strict=True):
            hits = tuple(term for term, low in terms if low in lowered)
            if hits:
                found.append(Signal(category=category.name, terms=hits, weight=category.weight))
        return tuple(found)
