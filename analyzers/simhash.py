"""64-bit SimHash over character bigrams: reposts and copy-paste waves of one post fold together."""

from __future__ import annotations

import hashlib
import re

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def simhash(text: str) -> int:
    chars = _NOISE.sub("", text.lower())
    if len(chars) < 2:
        return 0
    weights = [0] * 64
    for i in range(len(chars) - 1):
        h = int.from_bytes(hashlib.blake2b(chars[i:i + 2].encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = 0
    for bit in range(64):
        if weights[bit] > 0:
            value |= 1 << bit
    return value - (1 << 64) if value >= 1 << 63 else value  # signed, so SQLite can store it


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
