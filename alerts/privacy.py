"""Personal data minimisation: alerts are forwarded into large chat groups, so PII is masked by default.

Masked: mainland mobile numbers (138****5678), 18-digit resident ID numbers (110105***********X), e-mail
addresses (z***@example.com), and bank-card-like digit runs. Enough is kept for the PR team to tell two
people apart or ask the platform to contact the poster; not enough to dox anyone.
"""

from __future__ import annotations

import re
from typing import Any

# Order matters: ID numbers (18 chars) before card numbers before phones, so a phone inside an ID is not split.
_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}([\dXx])"
                 r"(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<!\d)(?:(\+?86)[- ]?)?(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")

# Payload fields that carry text written by strangers (the rest are ours: counts, ids, playbooks).
TEXT_FIELDS = ("title", "text", "author", "excerpt")


def mask_text(text: str | None) -> str | None:
    if not text:
        return text
    text = _ID.sub(lambda m: m[1] + "*" * 11 + m[2], text)
    text = _CARD.sub(lambda m: m[1] + " **** " + m[2], text)
    text = _PHONE.sub(lambda m: (m[1] + " " if m[1] else "") + m[2] + "****" + m[3], text)
    return _EMAIL.sub(lambda m: m[1] + "***" + m[2], text)


def mask_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of a notification payload with PII masked in every post and in free text fields."""
    out = dict(payload)
    if isinstance(out.get("posts"), list):
        out["posts"] = [{k: (mask_text(v) if k in TEXT_FIELDS and isinstance(v, str) else v) for k, v in p.items()}
                        if isinstance(p, dict) else p for p in out["posts"]]
    for key in ("text", "markdown", "error"):
        if isinstance(out.get(key), str):
            out[key] = mask_text(out[key])
    if isinstance(out.get("keywords"), list):
        out["keywords"] = [mask_text(k) if isinstance(k, str) else k for k in out["keywords"]]
    return out
