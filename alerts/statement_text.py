"""A draft statement as the checker reads it: simplified text, a map back to the original offsets, sentences.

Rules are written in simplified Chinese, but spans must point into what the author wrote (simplified or
traditional). OpenCC t2s is character-for-character for nearly all text; where a phrase conversion changes
the length, that stretch is lined up against a character-by-character conversion so every offset maps back.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from analyzers.normalize import to_halfwidth

Converter = Callable[[str], str]

_PIECES = re.compile(r"[^。！？!?；;\n，,、]+[。！？!?；;\n，,、]*|[。！？!?；;\n，,、]+")
_SENTENCE_END = re.compile(r"[。！？!?；;\n】]+")  # 】 closes a heading such as 【致歉声明】
_CLAUSE_END = re.compile(r"[。！？!?；;\n】，,、:：]+")


@lru_cache(maxsize=1)
def _t2s() -> Converter:
    import opencc

    return opencc.OpenCC("t2s").convert


@dataclass(frozen=True)
class Aligned:
    """`text` is the simplified, half-width form; `offsets[i]` is where its character i came from."""

    original: str
    text: str
    offsets: tuple[int, ...]  # len(text) + 1 entries; the last is len(original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the simplified span [start, end)."""
        if end <= start:
            at = self.offsets[start]
            return at, at
        last = self.offsets[end - 1]
        following = self.offsets[end]
        return self.offsets[start], following if following > last else last + 1


def _phrase_offsets(chunk: str, phrase: str, convert: Converter, base: int) -> list[int]:
    """Offsets for a phrase conversion that changed length (記憶體 -> 内存): line it up against the
    character-by-character conversion, whose offsets are known; a replaced run maps to where it began."""
    singles, single_offsets = [], []
    for i, char in enumerate(chunk):
        one = convert(char)
        singles.append(one)
        single_offsets.extend([base + i] * len(one))
    single_offsets.append(base + len(chunk))
    out: list[int] = []
    matcher = SequenceMatcher(None, "".join(singles), phrase, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(single_offsets[i1:i2])
        elif tag in ("replace", "insert"):
            out.extend([single_offsets[i1]] * (j2 - j1))
    return out


def align(original: str, convert: Converter | None = None) -> Aligned:
    """Convert to simplified and keep a per-character map back into `original`."""
    convert = convert or _t2s()
    source = to_halfwidth(original)  # one character for one: offsets are unchanged
    converted = convert(source)
    if len(converted) == len(source):
        return Aligned(original, converted, tuple(range(len(source) + 1)))
    parts: list[str] = []
    offsets: list[int] = []
    for piece in _PIECES.finditer(source):
        chunk = piece.group()
        out = convert(chunk)
        if len(out) == len(chunk):
            parts.append(out)
            offsets.extend(range(piece.start(), piece.end()))
            continue
        parts.append(out)
        offsets.extend(_phrase_offsets(chunk, out, convert, piece.start()))
    offsets.append(len(source))
    return Aligned(original, "".join(parts), tuple(offsets))


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    text: str


def segments(text: str, ends: re.Pattern[str]) -> list[Segment]:
    """Split at the delimiters, keeping each segment's offsets (delimiters stay with the segment before)."""
    out, start = [], 0
    for match in ends.finditer(text):
        if match.end() > start and text[start:match.start()].strip():
            out.append(Segment(start, match.end(), text[start:match.end()]))
        start = match.end()
    if text[start:].strip():
        out.append(Segment(start, len(text), text[start:]))
    return out


def sentences(text: str) -> list[Segment]:
    return segments(text, _SENTENCE_END)


def clauses(text: str) -> list[Segment]:
    return segments(text, _CLAUSE_END)


def containing(parts: list[Segment], starts: list[int], position: int) -> Segment:
    """The segment holding `position` (`starts` are the segments' starts, in order)."""
    if not parts:
        return Segment(0, 0, "")
    return parts[max(0, bisect_right(starts, position) - 1)]
