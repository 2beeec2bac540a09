"""Text from strangers: the parsers and the normaliser never crash, hang, expand entities or read local files.

Fuzzing runs a reduced number of examples in `make test`; the full run is one command:
    LISTENER_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest -q tests/test_hostile_input.py
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzers import Analyzer, BrandSpec
from analyzers.normalize import MAX_TEXT_CHARS, normalize
from collectors import FeedSource, ParseError, collect_feed, parse_document
from collectors.fetcher import make_client
from listener.demo.servers import LocalServer
from listener.store import Store

EXAMPLES = int(os.environ.get("LISTENER_FUZZ_EXAMPLES", "40"))
EXAMPLE_SECONDS = 10.0  # one example taking longer than this is a hang (generous: the CPU is shared)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BRAND = BrandSpec(name="栖云乳业", aliases=("栖云牛奶",), exclude=())
FORBIDDEN = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\x00\x07\x1b")
# Every code point, lone surrogates and bidi controls included (hypothesis leaves surrogates out by default).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
HOSTILE_TEXT = st.text(ANY_CHAR, max_size=300) | st.sampled_from([
    "栖云牛奶\u202e txt.exe", "栖云牛奶\ud800\udfff", "<div>" * 500 + "栖云牛奶", "\x00\x1b[31m栖云牛奶",
    "&#xD800;&#0;&#x10FFFF;&#99999999;", "<script>alert(1)</script>栖云牛奶", "栖云牛奶" + "\u0301" * 2000,
])


class Hang(Exception):
    pass


@contextmanager
def within(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    """Fail (not wait forever) when the body runs longer than `seconds`: a real timer, not a deadline check."""
    def expire(signum: int, frame: object) -> None:
        raise Hang(f"took longer than {seconds}s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer([BRAND])


def parse_or_reject(body: bytes, content_type: str | None = None) -> list:
    """The contract for any bytes: items, or the package's own ParseError. Anything else is a crash."""
    with within():
        try:
            return parse_document(body, feed="fuzz", base_url="https://feed.example/", content_type=content_type,
                                  fetched_at=datetime(2026, 11, 20, tzinfo=UTC))
        except ParseError as exc:
            assert str(exc).startswith("parse: ") and "\n" not in str(exc)
            return []


def assert_storable(items: list, analyzer: Analyzer) -> None:
    """Whatever a feed said ends up analysed and stored; the mention's text shows no control or bidi marks."""
    store = Store(":memory:")
    try:
        with within():
            mentions = [m for m in (analyzer.analyze(i, feed_brand=BRAND.name) for i in items) if m]
            new = store.save_mentions(mentions)
        assert len(new) == len({m.mention_id for m in mentions})
        for m in mentions:
            assert not FORBIDDEN & set(m.text + m.title + m.clean_text)
            assert len(m.text) <= MAX_TEXT_CHARS
    finally:
        store.close()


# --- fuzzing --------------------------------------------------------------------------------------

@FUZZ
@given(st.binary(max_size=4000))
def test_any_bytes_parse_or_fail_with_a_parse_error(body: bytes) -> None:
    parse_or_reject(body)
    parse_or_reject(body, "application/json")


def rss(title: str, text: str, guid: str, link: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item>'
            f"<title>{escape(title)}</title><guid>{escape(guid)}</guid><link>{escape(link)}</link>"
            f"<description>{escape(text)}</description></item></channel></rss>")


@FUZZ
@given(HOSTILE_TEXT, HOSTILE_TEXT, st.text(ANY_CHAR, max_size=40), st.text(ANY_CHAR, max_size=60),
       st.sampled_from(["surrogatepass", "replace"]))
def test_rss_with_hostile_fields_is_parsed_analysed_and_stored(analyzer, title, text, guid, link, errors) -> None:
    # "surrogatepass" writes lone surrogates as the invalid UTF-8 bytes a broken server would send.
    items = parse_or_reject(rss(title, text, guid, link).encode("utf-8", errors))
    assert_storable(items, analyzer)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHAR, max_size=50),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=20)


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(["id", "url", "title", "content_html", "content_text", "summary",
                                                  "date_published", "authors", "author", "_weibo"]),
                                JSON_VALUES | HOSTILE_TEXT, max_size=8), max_size=5))
def test_json_feed_with_hostile_values_is_parsed_analysed_and_stored(analyzer, entries) -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": entries}).encode()
    assert_storable(parse_or_reject(body), analyzer)


@FUZZ
@given(HOSTILE_TEXT, HOSTILE_TEXT)
def test_normalise_never_crashes_and_removes_controls(title: str, text: str) -> None:
    with within():
        result = normalize(title, text)
    for value in (result.display, result.clean):
        value.encode("utf-8")  # no lone surrogate survives: it could never be stored
        assert not FORBIDDEN & set(value)
        assert len(value) <= MAX_TEXT_CHARS
    assert unicodedata.is_normalized("NFC", result.display)


@FUZZ
@given(HOSTILE_TEXT)
def test_analyze_text_always_answers_a_probability_and_label(analyzer, text: str) -> None:
    with within():
        result = analyzer.analyze_text(text)
    assert 0.0 <= result.sentiment <= 1.0
    assert result.label in {"negative", "neutral", "positive"}


# --- entity expansion and external entities --------------------------------------------------------

def laughs(levels: int = 10) -> bytes:
    entities = '<!ENTITY l0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, levels))
    last = f"&l{levels - 1};"
    return (f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>{last}</title>'
            f"<item><title>栖云牛奶 {last}</title><description>{last}</description></item></channel></rss>").encode()


def test_billion_laughs_does_not_expand() -> None:
    items = parse_or_reject(laughs(10))  # 10^10 "lol"s (30 GB) if expanded
    assert sum(len(i.title) + len(i.text) for i in items) < 1000


def test_quadratic_blowup_does_not_expand() -> None:
    big = "A" * 50_000
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]><rss version="2.0"><channel><title>t</title>'
            f"<item><title>x</title><description>{'&a;' * 20_000}</description></item></channel></rss>").encode()
    items = parse_or_reject(body)  # 1 GB if expanded
    assert sum(len(i.text) for i in items) < 1_000_000


class Recorder(BaseHTTPRequestHandler):
    """A host no feed should make us reach: it remembers every request."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Recorder.hits.append(self.path)
        body = b'<!ENTITY x "REMOTE-DTD-CONTENT">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_external_entities_read_no_file_and_reach_no_host(tmp_path: Path, analyzer) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-7f3a", encoding="utf-8")
    Recorder.hits = []
    with LocalServer(Recorder) as other:
        documents = [
            f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]><rss version="2.0">'
            f"<channel><title>t</title><item><title>栖云牛奶 a&x;b</title><description>&x;</description>"
            f"</item></channel></rss>",
            f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{other.url}/evil.dtd"> %p;]>'
            f'<rss version="2.0"><channel><title>t</title><item><title>栖云牛奶 &x;</title></item></channel></rss>',
            f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{other.url}/rss.dtd"><rss version="2.0"><channel>'
            f"<title>t</title><item><title>栖云牛奶</title><description>&x;</description></item></channel></rss>",
            f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<title>t</title><entry><title>栖云牛奶</title><content><xi:include href="file://{secret}" parse="text"/>'
            f'<img src="{other.url}/pixel.gif"/></content></entry></feed>',
        ]
        for document in documents:
            items = parse_or_reject(document.encode())
            assert_storable(items, analyzer)
            dumped = json.dumps([i.__dict__ for i in items], default=str, ensure_ascii=False)
            assert "TOPSECRET" not in dumped and "REMOTE-DTD" not in dumped
    assert Recorder.hits == []


# --- sizes and shapes ------------------------------------------------------------------------------

class Huge(BaseHTTPRequestHandler):
    """A 50 MB post, with a Content-Length (/declared) or streamed in chunks without one (/chunked)."""

    protocol_version = "HTTP/1.1"
    sent: ClassVar[dict[str, int]] = {}
    SIZE = 50 * 1024 * 1024
    CHUNK = b"<p>" + "栖云牛奶太难喝了".encode() * 4000 + b"</p>"

    def do_GET(self) -> None:
        head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>big</title><description>'
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        chunked = self.path == "/chunked"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(self.SIZE))
        self.end_headers()
        sent = 0
        try:
            for piece in [head] + [self.CHUNK] * (self.SIZE // len(self.CHUNK)):
                data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
                self.wfile.write(data)
                sent += len(piece)
        except OSError:
            pass  # the client hung up, as it should
        finally:
            Huge.sent[self.path] = sent

    def log_message(self, *args: object) -> None:
        pass


def test_a_50_mb_post_is_refused_by_the_size_cap_without_downloading_it() -> None:
    Huge.sent = {}
    with LocalServer(Huge) as server:
        async def collect(path: str):
            async with make_client() as client:
                source = FeedSource(name="huge", url=f"{server.url}{path}", max_bytes=10 * 1024 * 1024)
                return await collect_feed(client, source)
        for path in ("/declared", "/chunked"):
            started = time.monotonic()
            result = asyncio.run(collect(path))
            assert result.items == [] and "cap" in result.error and result.error.startswith("fetch: ")
            assert result.state.consecutive_failures == 1
            assert time.monotonic() - started < 30
        deadline = time.monotonic() + 10
        while len(Huge.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        threading.Event().wait(0.2)
    assert Huge.sent["/chunked"] < 20 * 1024 * 1024  # the stream was cut near the cap, not read to the end


def test_a_50_mb_text_normalises_quickly_to_the_display_cap() -> None:
    text = "栖云牛奶太难喝了，\u202e退货！\x00" * (50 * 1024 * 1024 // 30)
    with within(30):
        result = normalize("", text)
    assert len(result.display) == MAX_TEXT_CHARS and "\u202e" not in result.display


def test_deeply_nested_html_is_linear() -> None:
    nested = "<div>" * 20_000 + "栖云牛奶漏液" + "</div>" * 20_000  # took 90 s before the tokenizer rewrite
    with within():
        assert normalize("", nested).clean == "栖云牛奶漏液"
    body = rss("栖云牛奶", "<div><span>" * 5_000 + "漏液" + "</span></div>" * 5_000, "g", "https://x.example/1")
    items = parse_or_reject(body.encode())
    assert items and "漏液" in normalize(items[0].title, items[0].text).clean


def test_deeply_nested_json_is_a_parse_error() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with within(), pytest.raises(ParseError, match="nested too deeply"):
        parse_document(body, feed="deep")


def test_surrogates_and_control_characters_are_stored_not_fatal(analyzer) -> None:
    """One broken post used to fail the whole batch (UnicodeEncodeError in SQLite), every round."""
    entries = [{"id": "s1", "title": "栖云牛奶\ud800", "content_text": "栖云牛奶 \udfff\x00\x1b[2J坏了",
                "authors": [{"name": "x\udc00"}], "url": "https://x.example/\ud800"},
               {"id": "s2", "title": "栖云牛奶 fine", "content_text": "栖云牛奶\u202e很好喝\u2066"}]
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": entries}).encode()
    items = parse_or_reject(body)
    assert len(items) == 2
    assert_storable(items, analyzer)
    xml = rss("栖云牛奶&#xD800;", "&#55296;栖云牛奶\x01", "g1", "https://x.example/1").replace("&amp;#", "&#")
    items = parse_or_reject(xml.encode())
    assert len(items) == 1 and "\ufffd" in items[0].title
    assert_storable(items, analyzer)


def test_invalid_utf8_in_a_utf8_feed_is_read_not_fatal(analyzer) -> None:
    body = rss("栖云牛奶", "栖云牛奶XX好喝", "g", "https://x.example/1").encode().replace(b"XX", b"\xff\xfe\xc3")
    items = parse_or_reject(body)
    assert_storable(items, analyzer)
