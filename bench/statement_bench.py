"""Statement checker speed: a 2,000-character draft must be checked in under 100 ms.

Baseline measured in the same run: a plain `str.find` scan for every term of the rules file over the same
text (what a naive checker would do, without negation, spans, alignment, scoring or the skeleton).

Run: `.venv/bin/python bench/statement_bench.py` (also part of `bench/run.py`).
"""

from __future__ import annotations

import json
import statistics
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 100.0
PARAGRAPHS = [
    "近日，网络上出现关于我司产品的不实信息，系个别网友恶意炒作。我司已委托律师，保留追究相关人员法律责任的权利。",
    "我们向所有受影响的消费者和家长郑重道歉，这是我们的错。孩子喝了之后出现呕吐，家长的担心和愤怒我们完全理解。",
    "经调查，11月20日生产的3批次酸奶在灌装环节受到污染。我们已于今天下架全部3批次产品，48小时内公布检测报告。",
    "目前正在调查，请大家耐心等待。对不起，但这次事件是个别员工的个人行为，我们一直严格管理，我们也很委屈。",
    "購買過這些批次的顧客可憑訂單全額退款，就醫的費用由我們承擔。專線電話400-123-4567，每天18:00在官方微博更新進展。",
]


def draft(chars: int = 2000) -> str:
    text, i = "", 0
    while len(text) < chars:
        text += PARAGRAPHS[i % len(PARAGRAPHS)] + "\n"
        i += 1
    return text[:chars]


def naive_terms() -> list[str]:
    tables = tomllib.loads((ROOT / "config" / "lexicons" / "statement.toml").read_text(encoding="utf-8"))
    return [t for group in ("defensive", "good") for table in tables[group].values() for t in table.get("terms", [])]


def timed(fn, repeats: int) -> float:
    """Median milliseconds of `repeats` calls."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench_statement(repeats: int = 50) -> dict:
    from alerts.statement import check_statement

    text = draft()
    terms = naive_terms()
    started = time.perf_counter()
    first = check_statement(text)  # includes loading and compiling the rules and OpenCC, once per process
    cold_ms = (time.perf_counter() - started) * 1000
    ours = timed(lambda: check_statement(text), repeats)
    baseline = timed(lambda: [text.find(t) for t in terms], repeats)
    return {"chars": len(text), "findings": len(first.findings), "score": first.score,
            "check_ms_median": round(ours, 2), "first_call_ms": round(cold_ms, 1), "budget_ms": BUDGET_MS,
            "ratio_vs_budget": round(ours / BUDGET_MS, 3), "naive_find_ms": round(baseline, 3),
            "ratio_vs_naive": round(ours / baseline, 1)}


if __name__ == "__main__":
    print(json.dumps({"bench": "statement", **bench_statement()}, ensure_ascii=False))
