"""Fault injection: one collection round over a real local server where most feeds misbehave.

Every fault must land on its own feed's health, and every sound feed in the same round must be
collected into the store, through the real pipeline (collect_round -> Analyzer -> Store).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from analyzers import Analyzer
from collectors import FeedSource, collect_feed
from collectors.fetcher import make_client
from listener.collection import collect_round
from listener.config import load_config
from listener.store import Store
from tests.fault_server import FaultServer, Reply, gzipped, rss

GBK_TITLE = "栖云牛奶喝了肚子疼，客服踢皮球"
XML = "application/rss+xml; charset=utf-8"


def gbk_document(declare: bool) -> bytes:
    decl = '<?xml version="1.0" encoding="gb2312"?>' if declare else ""
    return (f'{decl}<rss version="2.0"><channel><title>论坛</title><item><title>{GBK_TITLE}</title>'
            f"<guid>gbk-1</guid><link>http://bbs.example/t/1</link><description>退款三周还没到账</description>"
            f"</item></channel></rss>").encode("gbk")


def flaky(first: Reply, then: Reply):
    return lambda number, headers: first if number == 1 else then


def etag(number: int, headers: dict[str, str]) -> Reply:
    if headers.get("If-None-Match") == '"v1"':
        return Reply(status=304, headers={"ETag": '"v1"'})
    return Reply(rss("etag", 2), headers={"Content-Type": XML, "ETag": '"v1"'})


FAULTS: dict[str, Reply | object] = {
    "/good-a": Reply(rss("a", 5), headers={"Content-Type": XML}),
    "/good-b": Reply(rss("b", 3), headers={"Content-Type": XML}),
    "/slow": Reply(rss("slow", 1), headers={"Content-Type": XML}, delay=3),  # its feed allows 1 s
    "/error500": Reply(b"upstream exploded", 500),
    "/flaky500": flaky(Reply(b"oops", 500), Reply(rss("flaky", 2), headers={"Content-Type": XML})),
    "/ratelimited": flaky(Reply(b"slow down", 429, {"Retry-After": "1"}),
                          Reply(rss("rl", 2), headers={"Content-Type": XML})),
    "/ratelimited-long": Reply(b"come back tomorrow", 429, {"Retry-After": "3600"}),
    "/etag": etag,
    "/gzip": gzipped(rss("gz", 4)),
    "/gbk-undeclared": Reply(gbk_document(declare=False), headers={"Content-Type": "text/xml"}),
    "/lying-charset": Reply(gbk_document(declare=True), headers={"Content-Type": "text/xml; charset=utf-8"}),
    "/lying-latin1": Reply(rss("latin", 2), headers={"Content-Type": "text/xml; charset=iso-8859-1"}),
    "/oversized": Reply(rss("big", 3) + b" " * 300_000, headers={"Content-Type": XML}),
    "/oversized-chunked": Reply(rss("bigc", 3) + b" " * 300_000, headers={"Content-Type": XML}, chunked=True),
    "/loop-a": Reply(status=302, headers={"Location": "/loop-b"}),
    "/loop-b": Reply(status=302, headers={"Location": "/loop-a"}),
    "/truncated": Reply(rss("cut", 4)[:-180], headers={"Content-Type": XML}),
    "/reset": Reply(action="reset"),
    "/not-a-feed": Reply(b"<html><body><h1>Document moved</h1></body></html>", headers={"Content-Type": "text/html"}),
}
# feed name -> what its health must say after the round (None: collected)
EXPECTED_ERRORS = {
    "good-a": None, "good-b": None, "flaky500": None, "ratelimited": None, "etag": None, "gzip": None,
    "gbk-undeclared": None, "lying-charset": None, "lying-latin1": None, "truncated": None,
    "slow": "timed out", "error500": "HTTP 500", "ratelimited-long": "HTTP 429", "oversized": "cap",
    "oversized-chunked": "cap", "loop-a": "too many redirects", "reset": "fetch: ", "not-a-feed": "parse: ",
}


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        srv.routes.update(FAULTS)  # type: ignore[arg-type]
        yield srv


@pytest.fixture
def round_config(server: FaultServer, write_config):
    feeds = "".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{server.url}/{name}"\ninterval = "1m"\n'
        f'timeout = "{"1s" if name == "slow" else "15s"}"\n'
        f'brand = "栖云乳业"\n\n' for name in EXPECTED_ERRORS
    )
    return load_config(write_config("""
        [store]
        path = "faults.db"

        [[brands]]
        name = "栖云乳业"
        aliases = ["栖云牛奶"]

        [collector]
        concurrency = 20
        retries = 1
        backoff = 0.05
        max_bytes = 65536

    """ + feeds))


def test_each_fault_is_recorded_on_its_feed_only_and_the_rest_are_collected(server, round_config) -> None:
    store = Store(round_config.store_path)
    analyzer = Analyzer(round_config.brands, round_config.sentiment)
    started = datetime.now(UTC).replace(microsecond=0)  # the store keeps whole seconds
    reports = asyncio.run(collect_round(round_config, store, analyzer, lambda: datetime.now(UTC)))
    by_feed = {r.feed: r for r in reports}
    rows = {r["feed"]: r for r in store.feed_rows()}
    assert set(by_feed) == set(EXPECTED_ERRORS)
    for feed, expected in EXPECTED_ERRORS.items():
        report, row = by_feed[feed], rows[feed]
        if expected is None:
            assert report.error is None, (feed, report.error)
            assert row["last_error"] is None and row["consecutive_failures"] == 0 and row["last_success_at"]
        else:
            assert report.error and expected in report.error, (feed, report.error)
            assert row["last_error"] == report.error and row["consecutive_failures"] == 1
            assert row["last_success_at"] is None and row["next_attempt_at"]
    new = {f: r.new for f, r in by_feed.items()}
    assert new["good-a"] == 5 and new["good-b"] == 3 and new["gzip"] == 4 and new["etag"] == 2
    assert new["flaky500"] == 2 and new["ratelimited"] == 2 and new["lying-latin1"] == 2
    # truncated: the items before the cut are kept, and the damage is a warning on that feed alone
    assert new["truncated"] == 3 and "damaged" in (by_feed["truncated"].warning or "")
    assert rows["truncated"]["last_warning"] == by_feed["truncated"].warning
    assert [f for f, r in rows.items() if r["last_warning"]] == ["truncated"]
    # GBK decoded right whether undeclared or contradicted by the header
    titles = {m.feed: m.title for m in store.mentions(limit=None)}
    assert titles["gbk-undeclared"] == GBK_TITLE and titles["lying-charset"] == GBK_TITLE
    assert all("\ufffd" not in m.title for m in store.mentions(limit=None))
    # the search index covers every mention the round stored (it is filled once per commit, not per feed)
    assert {m.feed for m in store.mentions(search=GBK_TITLE[4:12], limit=None)} == {"gbk-undeclared", "lying-charset"}
    assert store.conn.execute("SELECT count(*) FROM mentions_fts").fetchone()[0] == store.count_mentions()
    # relative links resolved against the feed URL, tracking parameters kept out of the id but the link intact
    good = [m for m in store.mentions(limit=None) if m.feed == "good-a"]
    assert all(m.url and m.url.startswith(f"{server.url}/posts/a/") for m in good)
    # retries: 500 twice (retries = 1), 429 waited Retry-After before the second request, a long Retry-After
    # is not waited for in the round but moves the feed's next attempt past it
    assert len(server.requests["/error500"]) == 2 and len(server.requests["/flaky500"]) == 2
    (first, _), (second, _) = server.requests["/ratelimited"]
    assert second - first >= 1.0
    assert len(server.requests["/ratelimited-long"]) == 1
    long_wait = datetime.fromisoformat(rows["ratelimited-long"]["next_attempt_at"].replace("Z", "+00:00"))
    assert long_wait >= started + timedelta(seconds=3600)
    assert store.count_mentions() == sum(new.values())

    # second round: 304 for the ETag feed, nothing doubled, failures counted up only where they happen
    again = {r.feed: r for r in asyncio.run(collect_round(round_config, store, analyzer,
                                                             lambda: datetime.now(UTC)))}
    assert again["etag"].not_modified and again["etag"].error is None
    assert server.requests["/etag"][-1][1].get("If-None-Match") == '"v1"'
    assert all(r.new == 0 for r in again.values())
    rows = {r["feed"]: r for r in store.feed_rows()}
    assert rows["error500"]["consecutive_failures"] == 2 and rows["good-a"]["consecutive_failures"] == 0
    store.close()


def test_gzip_body_cap_applies_to_the_decompressed_size(server) -> None:
    """A small gzip that inflates past the cap (a zip bomb) is refused."""
    server.routes["/bomb"] = gzipped(rss("bomb", 1) + b" " * 2_000_000)

    async def scenario():
        async with make_client() as client:
            return await collect_feed(client, FeedSource("bomb", f"{server.url}/bomb", max_bytes=100_000,
                                                         attempts=1))

    result = asyncio.run(scenario())
    assert result.error and "cap" in result.error
    assert len(server.requests["/bomb"]) == 1  # a cap is not worth retrying


def test_connection_reset_is_retried_and_then_collected(server) -> None:
    server.routes["/reset-once"] = flaky(Reply(action="reset"), Reply(rss("r", 2), headers={"Content-Type": XML}))

    async def scenario():
        async with make_client() as client:
            return await collect_feed(client, FeedSource("r", f"{server.url}/reset-once", attempts=2,
                                                         backoff_seconds=0.05))

    result = asyncio.run(scenario())
    assert result.error is None and len(result.items) == 2
    assert len(server.requests["/reset-once"]) == 2
