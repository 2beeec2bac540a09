"""64-bit SimHash over character bigrams: reposts and copy-paste waves of one post fold together."""

from __future__ import annotations

import hashlib
import re

import numpy as np

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_CACHE_SIZE = 65536
_HASHES: dict[str, int] = {}  # bigram -> its 64-bit hash; the same few thousand bigrams recur in every post


def simhash(text: str) -> int:
    chars = _NOISE.sub("", text.lower())
    if len(chars) < 2:
        return 0
    cache = _HASHES
    hashes = np.array([cache.get(b) or _bigram_hash(b) for b in map(str.__add__, chars, chars[1:])],
                      dtype=np.uint64)
    # Bit b of the result is set when more bigram hashes have bit b set than not (the classic SimHash vote).
    # unpackbits over the little-endian bytes gives column b = bit b, in C rather than 64 numpy shifts.
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    ones = bits.sum(axis=0, dtype=np.int64)
    winners = np.packbits(2 * ones > len(hashes), bitorder="little")
    value = int.from_bytes(winners.tobytes(), "little")
    return value - (1 << 64) if value >= 1 << 63 else value  # signed, so SQLite can store it


def _bigram_hash(bigram: str) -> int:
    value = int.from_bytes(hashlib.blake2b(bigram.encode(), digest_size=8).digest(), "big")
    if len(_HASHES) >= _CACHE_SIZE:
        _HASHES.clear()  # bounded: hostile text with endless distinct bigrams cannot grow it
    _HASHES[bigram] = value
    return value


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
