"""Durations as the config writes them: a number and s, m, h or d ("90s", "5m", "7d")."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> int:
    """Seconds in a duration string; ValueError with a readable reason otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration (write a string such as \"5m\")")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration (use a number and s, m, h or d, e.g. \"5m\")")
    seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    if seconds <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return int(seconds)


def format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
