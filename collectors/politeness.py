"""Host politeness: at most N requests in flight per host and a minimum gap between their starts.

Hundreds of feeds often live on one host (an RSSHub instance, one news site); a burst of
parallel requests there gets us rate-limited or banned, and hurts the people running it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit


class HostLimiter:
    """Shared by every fetch of one round; one instance per event loop."""

    def __init__(self, per_host: int = 4, min_delay: float = 0.0):
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self.min_delay = max(0.0, min_delay)
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._gates: dict[str, asyncio.Lock] = {}
        self._last_start: dict[str, float] = {}

    @staticmethod
    def host(url: str) -> str:
        parts = urlsplit(url)
        return (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's slots for the duration of a request, after the host's minimum gap."""
        host = self.host(url)
        slots = self._slots.setdefault(host, asyncio.Semaphore(self.per_host))
        gate = self._gates.setdefault(host, asyncio.Lock())
        async with slots:
            if self.min_delay:
                async with gate:
                    wait = self._last_start.get(host, float("-inf")) + self.min_delay - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._last_start[host] = time.monotonic()
            yield
