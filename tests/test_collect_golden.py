"""Golden files: every real document in ../shared/data/feeds parses to the expected items.

The expected values live in tests/golden/feeds/<document>.json and were checked by eye against
the documents and their manifest (see the `checked` note in each file, and the README there).
After a deliberate parser change, regenerate with `LISTENER_WRITE_GOLDEN=1 pytest tests/test_collect_golden.py`
and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors import ParseError
from collectors.parse import parse_feed
from listener.store.codec import ts
from tests.conftest import FEEDS

GOLDEN = Path(__file__).parent / "golden" / "feeds"
NOW = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # fetch time: the fallback for undated items
DOCUMENTS = sorted(p.name for p in FEEDS.iterdir() if p.name not in ("README.md", "manifest.json"))


def actual(name: str) -> dict:
    try:
        parsed = parse_feed((FEEDS / name).read_bytes(), feed=name, fetched_at=NOW)
    except ParseError as exc:
        return {"file": name, "error": str(exc).split(" (")[0]}
    return {
        "file": name, "count": len(parsed.items), "damaged": parsed.warning is not None,
        "unique_ids": len({i.item_id for i in parsed.items}),
        "items": [{"title": i.title, "url": i.url, "published_at": ts(i.published_at), "author": i.author}
                  for i in parsed.items],
    }


def test_every_shared_document_has_a_golden_file() -> None:
    assert len(DOCUMENTS) == 14
    assert sorted(p.name.removesuffix(".json") for p in GOLDEN.glob("*.json")) == DOCUMENTS


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_matches_its_golden_file(name: str) -> None:
    path = GOLDEN / f"{name}.json"
    got = actual(name)
    if os.environ.get("LISTENER_WRITE_GOLDEN"):
        checked = json.loads(path.read_text(encoding="utf-8")).get("checked") if path.exists() else None
        path.write_text(json.dumps({"checked": checked or "TODO: check by eye", **got}, ensure_ascii=False,
                                   indent=1) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    checked = expected.pop("checked", "")
    assert checked.strip() and not checked.startswith("TODO"), f"{path.name}: check the values by eye first"
    assert got == expected


def _fields(items) -> list[tuple]:
    return [(i.item_id, i.guid, i.title, i.url, i.published_at, i.author) for i in items]


@pytest.mark.parametrize("name", [n for n in DOCUMENTS if n.endswith(".xml")])
def test_fast_path_and_feedparser_agree(name: str) -> None:
    """Well-formed documents take the expat fast path; it must read them exactly as feedparser does."""
    from collectors.xmlfeed import parse_xml_feed

    body = (FEEDS / name).read_bytes()
    args = {"feed": name, "base_url": "", "content_type": None, "fetched_at": NOW, "tz": UTC}
    fast, _ = parse_xml_feed(body, **args)
    slow, _ = parse_xml_feed(body, **args, fast_path=False)
    assert _fields(fast) == _fields(slow)


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>栖云官方</title><link href="https://brand.example/"/>
<author><name>栖云乳业</name></author><id>urn:brand</id><updated>2026-11-22T10:00:00+08:00</updated>
<entry><title>关于近期产品问题的说明</title><id>urn:brand:1</id>
 <link rel="alternate" href="/news/1"/><link rel="enclosure" href="/news/1.pdf"/>
 <published>2026-11-22T10:00:00+08:00</published><updated>2026-11-22T11:00:00+08:00</updated>
 <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>我们已<b>暂停</b>该批次销售。</p></div></content>
</entry>
<entry><title type="html">&lt;b&gt;客服&lt;/b&gt; 热线延长</title><id>urn:brand:2</id><link href="https://brand.example/news/2"/>
 <author><name>客服中心</name></author><updated>2026-11-21T09:00:00Z</updated><summary>每天 8:00-22:00</summary>
</entry></feed>""".encode()


def test_atom_through_both_paths() -> None:
    from collectors.xmlfeed import parse_xml_feed

    args = {"feed": "atom", "base_url": "https://brand.example/feed.atom", "content_type": None, "fetched_at": NOW,
            "tz": UTC}
    fast, _ = parse_xml_feed(ATOM, **args)
    slow, _ = parse_xml_feed(ATOM, **args, fast_path=False)
    assert [i.url for i in fast] == ["https://brand.example/news/1", "https://brand.example/news/2"]
    assert [i.author for i in fast] == ["栖云乳业", "客服中心"]
    assert fast[0].published_at == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert "暂停" in fast[0].text and "暂停" in slow[0].text
    # the same ids, links and dates; the fast path also gives entries the feed's author, as Atom says
    assert [(i.item_id, i.url, i.published_at) for i in fast] == [(i.item_id, i.url, i.published_at) for i in slow]
    assert [i.author for i in slow] == [None, "客服中心"]
