"""Near-duplicate clustering: a complaint reposted 500 times is one voice with 500x reach, not 500 voices.

Posts whose SimHashes differ in at most `max_distance` bits and that arrive within `window` of the
cluster's latest member fold into one cluster (the window slides: a copy wave that keeps going stays one
cluster). Candidates come from 8 bands of 8 bits: two hashes within 7 bits agree on at least one band
(pigeonhole), so the band index finds every true match without comparing all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analyzers.simhash import distance
from analyzers.types import Mention

_BANDS = 8
_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Post:
    """What clustering needs of a post."""

    key: str
    simhash: int
    at: datetime
    reach: int = 0


@dataclass
class Cluster:
    """One voice: its first post (the representative), every copy, and their summed reach."""

    representative: str
    simhash: int
    first_at: datetime
    last_at: datetime
    members: list[str] = field(default_factory=list)
    reach: int = 0

    @property
    def size(self) -> int:
        return len(self.members)


def _bands(value: int) -> list[tuple[int, int]]:
    value &= _MASK
    return [(band, (value >> (8 * band)) & 0xFF) for band in range(_BANDS)]


def cluster_posts(posts: Iterable[Post], window: timedelta = timedelta(hours=24),
                  max_distance: int = 6) -> list[Cluster]:
    """Clusters in order of their first post; every post is in exactly one cluster. Pure: no I/O, no clock."""
    if not 0 <= max_distance < _BANDS:
        raise ValueError(f"max_distance must be in 0..{_BANDS - 1} (the band index is exact only there)")
    clusters: list[Cluster] = []
    index: dict[tuple[int, int], list[int]] = defaultdict(list)
    for post in sorted(posts, key=lambda p: (p.at, p.key)):
        best: int | None = None
        if post.simhash != 0:  # 0 means "too short to hash": never folded
            seen: set[int] = set()
            best_distance = max_distance + 1
            for band in _bands(post.simhash):
                live = [n for n in index[band] if post.at - clusters[n].last_at <= window]
                index[band] = live  # posts come in time order: a cluster past its window never returns
                for number in live:
                    if number in seen:
                        continue
                    seen.add(number)
                    d = distance(clusters[number].simhash, post.simhash)
                    if d < best_distance:
                        best, best_distance = number, d
        if best is None:
            clusters.append(Cluster(post.key, post.simhash, post.at, post.at, [post.key], post.reach))
            if post.simhash != 0:
                for band in _bands(post.simhash):
                    index[band].append(len(clusters) - 1)
            continue
        cluster = clusters[best]
        cluster.members.append(post.key)
        cluster.last_at = max(cluster.last_at, post.at)
        cluster.reach += post.reach
    return clusters


def cluster_mentions(mentions: Sequence[Mention], window: timedelta = timedelta(hours=24),
                     max_distance: int = 6) -> list[Cluster]:
    """`cluster_posts` over Mentions, keyed by mention_id, timed by publication, weighed by reach."""
    return cluster_posts((Post(m.mention_id, m.simhash, m.published_at, m.reach) for m in mentions),
                         window=window, max_distance=max_distance)
