"""Evidence for an alert: the most-read negative posts (reposts of one post folded), keywords, signals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from analyzers import Mention
from analyzers.simhash import distance

NEAR_DUPLICATE_BITS = 6  # SimHash distance at or below which two posts are the same text reposted


@dataclass(frozen=True)
class EvidencePost:
    mention: Mention
    reposts_folded: int  # other posts in the window that repeat this one
    reach_total: int = 0  # its reach plus every folded copy's: one voice with the wave's whole audience


def fold_reposts(mentions: Iterable[Mention]) -> list[EvidencePost]:
    """Group near-identical texts; each group is represented by its most-read post, most-read first."""
    ordered = sorted(mentions, key=lambda m: (m.reach, m.published_at), reverse=True)
    groups: list[tuple[Mention, list[Mention]]] = []
    for mention in ordered:
        for head, members in groups:
            if mention.simhash and head.simhash and distance(mention.simhash, head.simhash) <= NEAR_DUPLICATE_BITS:
                members.append(mention)
                break
        else:
            groups.append((mention, []))
    return [EvidencePost(head, len(members), head.reach + sum(m.reach for m in members)) for head, members in groups]


def top_keywords(mentions: Iterable[Mention], top: int = 10) -> list[str]:
    counts: Counter[str] = Counter()
    for mention in mentions:
        counts.update(set(mention.keywords))
    return [word for word, n in counts.most_common(top) if n > 0]


def signal_weights(mentions: Iterable[Mention]) -> Counter[str]:
    """Signal categories weighted by how serious each is and how many posts raise it."""
    weights: Counter[str] = Counter()
    for mention in mentions:
        for signal in mention.signals:
            weights[signal.category] += signal.weight
    return weights


def excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are ever rendered as links: a feed can put `javascript:` anywhere."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None
