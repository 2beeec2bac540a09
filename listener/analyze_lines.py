"""`listener analyze --jsonl`: one answer per input record, in input order, whatever the other lines hold.

Why bytes: stdin may carry invalid UTF-8 or binary garbage; decoding line by line with replacement keeps
one bad line from ending the run, and every good line still gets its answer with its own id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

MAX_LINE_CHARS = 1_000_000  # a longer text is cut here before analysis (normalise keeps far less)


def _line_json(obj: dict[str, Any]) -> str:
    """One JSON line; lone surrogates (from \\ud800 escapes in the input) fall back to ASCII escapes."""
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, ensure_ascii=True)
    return text


def _clean(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def analyze_lines(analyzer: Any, lines: Iterable[bytes], write: Callable[[str], None],
                  warn: Callable[[str], None]) -> tuple[int, int]:
    """Analyse `{"id","text"}` JSON lines; returns (answered, rejected). Blank lines are skipped silently."""
    answered = rejected = 0
    for number, raw in enumerate(lines, 1):
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            record = None
        if not isinstance(record, dict) or "text" not in record:
            warn(f"listener: analyze: line {number}: expected {{\"id\", \"text\"}} JSON")
            rejected += 1
            continue
        text = record["text"]
        if text is None:
            text = ""
        elif not isinstance(text, str):
            text = json.dumps(text, ensure_ascii=False) if isinstance(text, list | dict) else str(text)
        result = analyzer.analyze_text(_clean(text[:MAX_LINE_CHARS]))
        write(_line_json({"id": record.get("id"), "sentiment": result.sentiment, "label": result.label,
                          "keywords": list(result.keywords), "signals": list(result.signals)}))
        answered += 1
    return answered, rejected
