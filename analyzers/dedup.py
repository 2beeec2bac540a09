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


class VoiceIndex:
    """Clusters live within `window`, found by band: feed posts in (roughly) time order with `assign`.

    Why a class: the detection job assigns each run's new posts to the clusters of earlier runs, so the
    index is seeded from the store (`add`) and then grows; `cluster_posts` is the one-shot use.
    """

    def __init__(self, window: timedelta = timedelta(hours=24), max_distance: int = 6):
        if not 0 <= max_distance < _BANDS:
            raise ValueError(f"max_distance must be in 0..{_BANDS - 1} (the band index is exact only there)")
        self.window = window
        self.max_distance = max_distance
        self.clusters: list[Cluster] = []
        self._index: dict[tuple[int, int], list[int]] = defaultdict(list)

    def add(self, cluster: Cluster) -> None:
        """A cluster known from before (or just made): later posts may fold into it."""
        self.clusters.append(cluster)
        if cluster.simhash != 0:  # 0 means "too short to hash": never folded
            for band in _bands(cluster.simhash):
                self._index[band].append(len(self.clusters) - 1)

    def match(self, post: Post) -> Cluster | None:
        """The nearest live cluster within `max_distance` bits, or None."""
        if post.simhash == 0:
            return None
        best: int | None = None
        best_distance = self.max_distance + 1
        seen: set[int] = set()
        for band in _bands(post.simhash):
            live = [n for n in self._index[band] if post.at - self.clusters[n].last_at <= self.window]
            self._index[band] = live  # posts come in time order: a cluster past its window never returns
            for number in live:
                if number in seen:
                    continue
                seen.add(number)
                d = distance(self.clusters[number].simhash, post.simhash)
                if d < best_distance:
                    best, best_distance = number, d
        return None if best is None else self.clusters[best]

    def assign(self, post: Post) -> Cluster:
        """Fold the post into its cluster, or start one; returns the cluster it is now in."""
        cluster = self.match(post)
        if cluster is None:
            cluster = Cluster(post.key, post.simhash, post.at, post.at, [post.key], post.reach)
            self.add(cluster)
            return cluster
        cluster.members.append(post.key)
        cluster.last_at = max(cluster.last_at, post.at)
        cluster.reach += post.reach
        return cluster


def cluster_posts(posts: Iterable[Post], window: timedelta = timedelta(hours=24),
                  max_distance: int = 6) -> list[Cluster]:
    """Clusters in order of their first post; every post is in exactly one cluster. Pure: no I/O, no clock."""
    index = VoiceIndex(window, max_distance)
    for post in sorted(posts, key=lambda p: (p.at, p.key)):
        index.assign(post)
    return index.clusters


def cluster_mentions(mentions: Sequence[Mention], window: timedelta = timedelta(hours=24),
                     max_distance: int = 6) -> list[Cluster]:
    """`cluster_posts` over Mentions, keyed by mention_id, timed by publication, weighed by reach."""
    return cluster_posts((Post(m.mention_id, m.simhash, m.published_at, m.reach) for m in mentions),
                         window=window, max_distance=max_distance)
