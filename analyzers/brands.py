"""Brand matching: names and aliases in simplified and traditional forms, Latin case-insensitive, exclusions."""

from __future__ import annotations

import re
from collections.abc import Iterable

import jieba

from analyzers.normalize import to_halfwidth, to_simplified
from analyzers.types import BrandMatch, BrandSpec


def _forms(term: str) -> set[str]:
    """The forms a term is matched in: as written and simplified, on half-width text."""
    base = to_halfwidth(term.strip())
    return {form for form in (base, to_simplified(base)) if form}


def _alternation(terms: Iterable[str]) -> re.Pattern[str] | None:
    unique = sorted({form for term in terms for form in _forms(term)}, key=len, reverse=True)
    if not unique:
        return None
    return re.compile("|".join(re.escape(term) for term in unique), re.IGNORECASE)


class BrandMatcher:
    """Finds which configured brands a clean (simplified, half-width) text is about."""

    def __init__(self, brands: Iterable[BrandSpec]):
        self._brands: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = []
        for spec in brands:
            names = (spec.name, *spec.aliases)
            pattern = _alternation(names)
            if pattern is None:
                continue
            self._brands.append((spec.name, pattern, _alternation(spec.exclude)))
            for name in names:
                for form in _forms(name):
                    jieba.add_word(form, freq=20000, tag="nz")

    @property
    def brand_names(self) -> list[str]:
        return [name for name, _, _ in self._brands]

    def match(self, clean_text: str) -> tuple[BrandMatch, ...]:
        """Brands named in the text; a name inside an exclusion phrase (栖云路 for 栖云) does not count."""
        found = []
        for name, pattern, exclude in self._brands:
            excluded = [m.span() for m in exclude.finditer(clean_text)] if exclude else []
            spans = tuple(
                m.span() for m in pattern.finditer(clean_text)
                if not any(start <= m.start() < end for start, end in excluded)
            )
            if spans:
                found.append(BrandMatch(brand=name, spans=spans))
        return tuple(found)
