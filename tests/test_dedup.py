"""Near-duplicate clustering: copy waves fold into one voice within the window; different posts stay apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analyzers.dedup import Post, cluster_posts
from analyzers.simhash import simhash

T0 = datetime(2026, 11, 22, 8, tzinfo=UTC)
COMPLAINT = "孩子喝了栖云纯牛奶后呕吐腹泻，批次20261108B，已经投诉到12315，大家注意！"


def test_a_repost_wave_is_one_voice_with_summed_reach() -> None:
    posts = [Post(f"r{i}", simhash(("转发：" if i % 2 else "") + COMPLAINT + "!" * (i % 3)), T0 + timedelta(minutes=i),
                  reach=10) for i in range(500)]
    posts.append(Post("other", simhash("栖云酸奶的新口味草莓味很好喝，早餐必备，推荐给大家"), T0, reach=5))
    clusters = cluster_posts(posts, window=timedelta(hours=2))
    assert len(clusters) == 2
    wave = next(c for c in clusters if c.representative == "r0")
    assert wave.size == 500 and wave.reach == 5000
    assert wave.first_at == T0 and wave.last_at == T0 + timedelta(minutes=499)  # the window slides


def test_copies_outside_the_window_start_a_new_cluster() -> None:
    posts = [Post("a", simhash(COMPLAINT), T0), Post("b", simhash(COMPLAINT), T0 + timedelta(days=3))]
    assert [c.members for c in cluster_posts(posts, window=timedelta(hours=24))] == [["a"], ["b"]]


def test_order_of_input_does_not_matter_and_every_post_is_in_one_cluster() -> None:
    posts = [Post(str(i), simhash(COMPLAINT if i % 3 else f"完全不同的第{i}条帖子，关于天气和午饭"),
                  T0 + timedelta(seconds=i)) for i in range(30)]
    forward = cluster_posts(posts)
    backward = cluster_posts(list(reversed(posts)))
    assert [c.members for c in forward] == [c.members for c in backward]
    assert sorted(k for c in forward for k in c.members) == sorted(p.key for p in posts)


def test_too_short_to_hash_is_never_folded() -> None:
    posts = [Post("x", simhash("好"), T0), Post("y", simhash("好"), T0)]
    assert len(cluster_posts(posts)) == 2


def test_max_distance_must_be_exact_for_the_band_index() -> None:
    with pytest.raises(ValueError):
        cluster_posts([], max_distance=8)


def test_cluster_mentions_uses_publication_time_and_reach() -> None:
    from analyzers import BrandMatch, Mention
    from analyzers.dedup import cluster_mentions

    def mention(key: str, text: str, minutes: int, reposts: int) -> Mention:
        when = T0 + timedelta(minutes=minutes)
        return Mention(mention_id=key, feed="weibo", url=None, title="", text=text, clean_text=text, author=None,
                       published_at=when, fetched_at=when, brands=(BrandMatch("栖云乳业"),), sentiment=0.1,
                       label="negative", metrics={"reposts": reposts}, simhash=simhash(text))

    found = cluster_mentions([mention("m2", "转发 " + COMPLAINT, 5, 3), mention("m1", COMPLAINT, 0, 1),
                              mention("m3", "栖云酸奶草莓味很好喝，早餐必备，推荐给大家", 1, 0)])
    assert [(c.representative, c.members, c.reach) for c in found] == [("m1", ["m1", "m2"], 40), ("m3", ["m3"], 0)]
