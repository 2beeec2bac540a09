"""The rewrite skeleton: the draft's own sentences regrouped into the order that calms a crisis.

Apology, empathy, facts, actions with times, remedy, follow-up channel, accountable person. The author's
sentences are kept in their own script (traditional stays traditional); defensive phrases inside a kept
sentence are marked for rewriting, sentences that are only defensive are dropped, and each missing
element becomes a placeholder with advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.statement_text import Aligned, Segment

if TYPE_CHECKING:
    from alerts.statement import Element, Finding

APOLOGY_TEMPLATE = "我们向〔受影响的人〕郑重道歉：〔我们做错了什么〕，这是我们的责任。"


def _rewrite(original: str, start: int, end: int, findings: list[Finding]) -> str:
    """The sentence with undone apologies cut and other defensive phrases marked 〔删去或改写：…〕."""
    out, cursor = [], start
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < cursor:
            continue
        out.append(original[cursor:f.start])
        if f.category != "apology_undone":
            out.append(f"〔删去或改写：{f.span}〕")
        cursor = f.end
    out.append(original[cursor:end])
    text = "".join(out).strip()
    trimmed = text.rstrip("，,、；;：: ")
    if trimmed != text:  # a cut left a dangling comma: close the sentence instead
        text = trimmed + "。"
    return text


def build_skeleton(aligned: Aligned, parts: list[Segment], findings: list[Finding],
                   elements: tuple[Element, ...]) -> str:
    """A sentence with an apology goes under the apology; otherwise under the first element it carries,
    facts last ("已于今天下架3批次" is an action, "经调查，3批次受到污染" a fact)."""
    sections: dict[str, list[str]] = {e.element: [] for e in elements}
    others: list[str] = []
    dropped = 0
    for part in parts:
        start, end = aligned.span(part.start, part.end)
        inside = [f for f in findings if start <= f.start < end]
        first = {e.element: min(a for a, _ in e.spans if start <= a < end) for e in elements
                 if any(start <= a < end for a, _ in e.spans)}
        specific = {k: v for k, v in first.items() if k != "facts"} or first
        home = "apology" if "apology" in first else min(specific, key=specific.__getitem__, default=None)
        if home is None:
            if inside:
                dropped += 1
            elif aligned.original[start:end].strip():
                others.append(aligned.original[start:end].strip())
            continue
        text = _rewrite(aligned.original, start, end, inside)
        if text:
            sections[home].append(text)
    lines = []
    for element in elements:
        lines.append(f"【{element.label}】")
        kept = sections[element.element]
        if element.element == "apology" and element.credit < 1.0:
            kept = [APOLOGY_TEMPLATE, *kept]
        lines.extend(f"  {text}" for text in kept)
        if not kept and element.credit >= 1.0:
            lines.append("  （已在上文）")
        if element.credit < 1.0:
            lines.append(f"  〔待补充〕{element.advice}")
    if others:
        lines.append("【其他原文（请确认是否保留）】")
        lines.extend(f"  {text}" for text in others)
    if dropped:
        lines.append(f"（已删去 {dropped} 句只有防御性表述的句子，见上方问题列表）")
    return "\n".join(lines)
