"""Held-out figures for a sentiment engine: accuracy, negative-class F1, calibration error, speed.

Why negative F1 and ECE besides accuracy: the alerts count negative posts, so missing them matters more
than the majority class, and a probability is only worth showing if 0.8 means right about 80% of the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Report:
    name: str
    n: int
    accuracy: float
    negative_f1: float
    ece: float  # expected calibration error, 10 equal-width bins of P(positive)
    texts_per_s: float  # wall clock
    cpu_texts_per_s: float = 0.0  # per second of this process's CPU time: one core, whatever else runs

    def as_dict(self) -> dict:
        return {"set": self.name, "n": self.n, "accuracy": round(self.accuracy, 4),
                "negative_f1": round(self.negative_f1, 4), "ece": round(self.ece, 4),
                "texts_per_s": round(self.texts_per_s, 1), "cpu_texts_per_s": round(self.cpu_texts_per_s, 1)}


def expected_calibration_error(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    """Weighted gap between mean P(positive) and the share of positives, per probability bin."""
    if not probs:
        return 0.0
    totals = [[0, 0.0, 0] for _ in range(bins)]
    for p, y in zip(probs, labels, strict=True):
        cell = totals[min(int(p * bins), bins - 1)]
        cell[0] += 1
        cell[1] += p
        cell[2] += y
    return sum(abs(s / n - pos / n) * n for n, s, pos in totals if n) / len(probs)


def negative_f1(preds: Sequence[int], labels: Sequence[int]) -> float:
    tp = sum(1 for p, y in zip(preds, labels, strict=True) if p == 0 and y == 0)
    predicted = sum(1 for p in preds if p == 0)
    actual = sum(1 for y in labels if y == 0)
    return 2 * tp / (predicted + actual) if predicted + actual else 0.0


def evaluate(name: str, score: Callable[[str], float], texts: Sequence[str], labels: Sequence[int]) -> Report:
    """Score every text once (timed), then compare P(positive) > 0.5 with the labels."""
    started, cpu_started = time.perf_counter(), time.process_time()
    probs = [score(t) for t in texts]
    seconds = max(time.perf_counter() - started, 1e-9)
    cpu_seconds = max(time.process_time() - cpu_started, 1e-9)
    preds = [1 if p > 0.5 else 0 for p in probs]
    correct = sum(1 for p, y in zip(preds, labels, strict=True) if p == y)
    return Report(name=name, n=len(texts), accuracy=correct / len(texts) if texts else 0.0,
                  negative_f1=negative_f1(preds, labels), ece=expected_calibration_error(probs, labels),
                  texts_per_s=len(texts) / seconds, cpu_texts_per_s=len(texts) / cpu_seconds)
