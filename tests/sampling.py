"""Random counts for detector tests: the standard library only, so every test file draws the same way."""

from __future__ import annotations

import random


def poisson(rng: random.Random, rate: float) -> int:
    """Poisson by counting exponential gaps (no numpy needed)."""
    count, t = 0, rng.expovariate(1.0)
    while t < rate:
        count += 1
        t += rng.expovariate(1.0)
    return count
