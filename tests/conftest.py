"""Shared fixtures: paths to ../shared data, local servers, config files written per test."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from listener.demo.servers import LocalServer, WebhookReceiver, feed_server

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LISTENER_SHARED", ROOT.parent / "shared"))
FEEDS = SHARED / "data" / "feeds"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a TOML config into the test's directory and return its path."""
    def write(text: str, name: str = "listener.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return write


class Routes(dict):
    """Mutable routes for the feed server: tests change what a path serves between rounds."""

    def serve(self, path: str, body: bytes, content_type: str = "application/rss+xml; charset=utf-8") -> None:
        self[path] = lambda: (body, content_type)


@pytest.fixture
def feeds() -> Iterator[tuple[LocalServer, Routes]]:
    routes = Routes()
    with feed_server(routes) as server:
        yield server, routes


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(secret="test-secret") as receiver:
        yield receiver
