"""Local receivers that behave like the chat platforms: they check each format and verify signatures the way
the platforms document them (re-implemented here independently of the channel code), answer in the
platform's own error shapes, and can fail the first N requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from listener.demo.servers import LocalServer


class ChatReceiver(LocalServer):
    """One platform's robot endpoint. `platform`: dingtalk, feishu, wecom or slack."""

    def __init__(self, platform: str, *, secret: str | None = None, fail_first: int = 0):
        self.platform, self.secret, self.failures_left = platform, secret, fail_first
        self.received: list[dict[str, Any]] = []
        self.requests = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = receiver.accept(self.path, dict(self.headers), raw)
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)

    def accept(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        with self._lock:
            self.requests += 1
            if self.failures_left > 0:
                self.failures_left -= 1
                return self.busy()
            try:
                if not headers.get("Content-Type", "").startswith("application/json"):
                    raise AssertionError(f"content type {headers.get('Content-Type')}")
                body = json.loads(raw.decode("utf-8"))
                getattr(self, f"_check_{self.platform}")(path, body)
            except (AssertionError, KeyError, TypeError, ValueError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                return self.refuse(str(exc))
            self.received.append({"path": path, "body": body, "raw": raw})
            return self.ok()

    # --- answers in each platform's shape ---------------------------------------------------------------

    def ok(self) -> tuple[int, Any]:
        return {"dingtalk": (200, {"errcode": 0, "errmsg": "ok"}), "feishu": (200, {"code": 0, "msg": "success"}),
                "wecom": (200, {"errcode": 0, "errmsg": "ok"}), "slack": (200, "ok")}[self.platform]

    def busy(self) -> tuple[int, Any]:
        return {"dingtalk": (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
                "feishu": (200, {"code": 11232, "msg": "frequency limited"}),
                "wecom": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
                "slack": (429, "rate_limited")}[self.platform]

    def refuse(self, why: str) -> tuple[int, Any]:
        return {"dingtalk": (200, {"errcode": 310000, "errmsg": why}), "feishu": (200, {"code": 19021, "msg": why}),
                "wecom": (200, {"errcode": 40008, "errmsg": why}), "slack": (400, "invalid_payload")}[self.platform]

    # --- format and signature checks -----------------------------------------------------------------

    def _check_dingtalk(self, path: str, body: dict) -> None:
        if self.secret:
            query = parse_qs(urlsplit(path).query)
            timestamp, sign = query["timestamp"][0], query["sign"][0]  # parse_qs undoes the urlEncode
            assert abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000, "timestamp more than an hour off"
            expected = base64.b64encode(hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            assert hmac.compare_digest(expected, sign), "sign mismatch"
        assert body["msgtype"] == "markdown"
        assert isinstance(body["markdown"]["title"], str) and body["markdown"]["title"]
        assert isinstance(body["markdown"]["text"], str) and body["markdown"]["text"]
        assert isinstance(body.get("at", {}).get("atMobiles", []), list)

    def _check_feishu(self, path: str, body: dict) -> None:
        if self.secret:
            timestamp = body["timestamp"]
            assert abs(time.time() - int(timestamp)) < 3600, "timestamp more than an hour off"
            key = f"{timestamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            assert hmac.compare_digest(expected, body["sign"]), "sign match fail"
        assert body["msg_type"] == "post"
        post = body["content"]["post"]["zh_cn"]
        assert isinstance(post["title"], str)
        for line in post["content"]:
            for run in line:
                assert run["tag"] in ("text", "a", "at", "img"), run
                if run["tag"] == "a":
                    assert run["href"].startswith(("http://", "https://")), run

    def _check_wecom(self, path: str, body: dict) -> None:
        assert body["msgtype"] == "markdown"
        assert len(body["markdown"]["content"].encode("utf-8")) <= 4096, "content over 4096 bytes"

    def _check_slack(self, path: str, body: dict) -> None:
        assert isinstance(body["text"], str) and body["text"]
        blocks = body["blocks"]
        assert 0 < len(blocks) <= 50
        for block in blocks:
            assert block["type"] in ("header", "section", "divider", "context"), block
            if block["type"] == "header":
                assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
            if block["type"] == "section":
                assert block["text"]["type"] == "mrkdwn" and len(block["text"]["text"]) <= 3000


class MailSink:
    """An aiosmtpd handler that keeps every message as a parsed email.message.EmailMessage."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content))
        return "250 OK"
