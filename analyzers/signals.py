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
        # Terms lowered once and filed under their first character: a post is tested only against the terms
        # that start with a character it contains (a substring test per term was most of detect's time).
        self._by_first: dict[str, list[tuple[int, int, str]]] = {}
        for c, category in enumerate(categories):
            for t, term in enumerate(category.terms):
                low = term.lower()
                self._by_first.setdefault(low[0], []).append((c, t, low))

    def detect(self, clean_text: str) -> tuple[Signal, ...]:
        lowered = clean_text.lower()
        hits = [(c, t) for first in self._by_first.keys() & set(lowered)
                for c, t, low in self._by_first[first] if low in lowered]
        if not hits:
            return ()
        hits.sort()  # lexicon order: categories as written, terms as written within each
        found: list[Signal] = []
        for c, t in hits:
            category = self._categories[c]
            term = category.terms[t]
            if found and found[-1].category == category.name:
                found[-1] = Signal(category=category.name, terms=(*found[-1].terms, term), weight=category.weight)
            else:
                found.append(Signal(category=category.name, terms=(term,), weight=category.weight))
        return tuple(found)
