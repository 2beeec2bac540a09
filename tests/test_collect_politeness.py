"""Host politeness against a real local server: a per-host cap on requests in flight and a minimum gap."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

from collectors import FeedSource, collect_feed
from collectors.fetcher import make_client
from collectors.politeness import HostLimiter
from tests.fault_server import FaultServer, Reply, rss


def test_one_host_gets_one_request_at_a_time_with_the_gap_between_starts() -> None:
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow_feed(number: int, headers: dict[str, str]) -> Reply:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return Reply(rss(f"p{number}", 1), headers={"Content-Type": "application/rss+xml"})

    with FaultServer() as server:
        for n in range(4):
            server.routes[f"/f{n}"] = slow_feed

        async def scenario():
            limiter = HostLimiter(per_host=1, min_delay=0.5)
            async with make_client() as client:
                return await asyncio.gather(*(
                    collect_feed(client, FeedSource(f"f{n}", f"{server.url}/f{n}"), limiter=limiter)
                    for n in range(4)))

        results = asyncio.run(scenario())
        starts = sorted(t for n in range(4) for t, _ in server.requests[f"/f{n}"])
    assert all(r.error is None and len(r.items) == 1 for r in results)
    assert peak[0] == 1
    # seen by the server, so allow for scheduling jitter on this shared machine (the gap asked is 0.5 s)
    assert all(b - a >= 0.3 for a, b in itertools.pairwise(starts))
    assert starts[-1] - starts[0] >= 1.3


def test_hosts_are_limited_separately() -> None:
    limiter = HostLimiter(per_host=1)
    assert limiter.host("http://127.0.0.1:1200/weibo/a") == limiter.host("http://127.0.0.1:1200/zhihu/b")
    assert limiter.host("http://127.0.0.1:1200/a") != limiter.host("http://localhost:1200/a")
    assert limiter.host("https://Weibo.com/x") == "weibo.com"
