"""The store: migrations once, WAL, idempotent saves that return only new mentions, FTS search, bucket counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analyzers import BrandMatch, Mention
from listener.store import Store
from listener.store.db import migrate
from listener.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def mention(mention_id: str, text: str, *, minutes_ago: int = 0, label: str = "negative", brand: str = "栖云乳业",
            official: bool = False) -> Mention:
    when = NOW - timedelta(minutes=minutes_ago)
    return Mention(mention_id=mention_id, feed="weibo", url=f"https://example.com/{mention_id}", title="",
                   text=text, clean_text=text, author="网友", published_at=when, fetched_at=NOW,
                   brands=(BrandMatch(brand, ((0, 2),)),), sentiment=0.1 if label == "negative" else 0.9,
                   label=label, keywords=("牛奶",), official=official)


def test_schema_is_migrated_once_and_uses_wal(tmp_path) -> None:
    path = tmp_path / "l.db"
    store = Store(path)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # bulk rounds: a page cache that holds the hot index pages, fewer and larger checkpoints
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -32 * 1024
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
    assert migrate(store.db) == []
    assert {"mentions", "mention_brands", "incidents", "outbox", "deliveries", "digests", "feeds",
            "mentions_fts"} <= set(store.db.table_names())
    store.close()
    again = Store(path)
    assert [r[0] for r in again.conn.execute("SELECT version FROM _migrations")] == \
        [version for version, _, _ in MIGRATIONS]


def test_saving_twice_stores_once_and_returns_only_new(tmp_path) -> None:
    store = Store(tmp_path / "l.db")
    first = store.save_mentions([mention("a", "栖云牛奶喝了拉肚子"), mention("b", "栖云酸奶好喝")])
    second = store.save_mentions([mention("a", "栖云牛奶喝了拉肚子"), mention("c", "栖云有机奶")])
    assert [m.mention_id for m in first] == ["a", "b"]
    assert [m.mention_id for m in second] == ["c"]
    assert store.count_mentions() == 3
    stored = store.mentions(brand="栖云乳业", limit=None)
    assert {m.mention_id for m in stored} == {"a", "b", "c"}
    assert stored[0].brands[0].spans == ((0, 2),)


def test_full_text_search_finds_chinese_substrings(tmp_path) -> None:
    store = Store(tmp_path / "l.db")
    store.save_mentions([mention("a", "孩子喝了栖云纯牛奶后呕吐腹泻"),
                         mention("b", "栖云酸奶新口味很好喝", label="positive")])
    assert [m.mention_id for m in store.mentions(search="呕吐腹泻")] == ["a"]
    assert [m.mention_id for m in store.mentions(search="酸奶")] == ["b"]  # two characters: substring fallback
    assert store.mentions(search="不存在的词") == []
    assert [m.mention_id for m in store.mentions(label="positive")] == ["b"]


def test_bucket_counts_fill_gaps_and_skip_official_posts(tmp_path) -> None:
    store = Store(tmp_path / "l.db")
    store.save_mentions([
        mention("a", "x", minutes_ago=5), mention("b", "y", minutes_ago=6, label="positive"),
        mention("c", "z", minutes_ago=45), mention("o", "官方致歉", minutes_ago=4, official=True),
    ])
    buckets = store.bucket_counts("栖云乳业", since=NOW - timedelta(hours=1), until=NOW, bucket_seconds=600)
    assert len(buckets) == 7  # 11:00 ... 12:00, empty buckets included
    assert [(b.negative, b.volume) for b in buckets] == [(0, 0), (1, 1), (0, 0), (0, 0), (0, 0), (1, 2), (0, 0)]
