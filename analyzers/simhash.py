"""64-bit SimHash over character bigrams: reposts and copy-paste waves of one post fold together."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def simhash(text: str) -> int:
    chars = _NOISE.sub("", text.lower())
    if len(chars) < 2:
        return 0
    hashes = np.fromiter((_bigram_hash(chars[i:i + 2]) for i in range(len(chars) - 1)), dtype=np.uint64)
    # Bit b of the result is set when more bigram hashes have bit b set than not (the classic SimHash vote).
    ones = ((hashes[:, None] >> _BITS) & np.uint64(1)).sum(axis=0)
    value = 0
    for bit in np.flatnonzero(2 * ones > len(hashes)):
        value |= 1 << int(bit)
    return value - (1 << 64) if value >= 1 << 63 else value  # signed, so SQLite can store it


_BITS = np.arange(64, dtype=np.uint64)


@lru_cache(maxsize=65536)
def _bigram_hash(bigram: str) -> int:
    return int.from_bytes(hashlib.blake2b(bigram.encode(), digest_size=8).digest(), "big")


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
