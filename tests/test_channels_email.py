"""E-mail against a real SMTP server (aiosmtpd): plain, STARTTLS with login, implicit TLS; the parsed message."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts.types import Notification
from listener.config import load_config
from listener.delivery import deliver_due
from listener.store import Store
from tests.alert_samples import NOW, hostile_payload
from tests.chat_receivers import MailSink


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"pr", b"pw-123")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls(ca: trustme.CA, tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


def smtp(sink: MailSink, **kwargs) -> Iterator[int]:
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def email_config(write_config, port: int, extra: str, to: str = '["pr@brand.example", "ceo@brand.example"]'):
    return load_config(write_config(f"""
        [store]
        path = "l.db"
        [[brands]]
        name = "栖云乳业"
        [[channels]]
        name = "mail"
        type = "email"
        smtp_host = "127.0.0.1"
        smtp_port = {port}
        from = "alerts@listener.example"
        to = {to}
        {extra}
    """))


def send_one(config, payload: dict | None = None) -> Store:
    store = Store(config.store_path)
    payload = payload or hostile_payload()
    with store.transaction() as conn:
        store.enqueue(Notification(delivery_id="mail-1", channel="mail", event=payload["event"], payload=payload,
                                   created_at=NOW), conn)
    report = deliver_due(store, config, NOW)
    assert report.sent == 1, store.outbox_rows()
    return store


def check_message(sink: MailSink) -> None:
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert sink.envelopes == [("alerts@listener.example", ["pr@brand.example", "ceo@brand.example"])]
    headers = sink.raw[0].split(b"\r\n\r\n", 1)[0]
    assert headers.count(b"Subject: ") == 1 and headers.startswith(b"Subject: =?utf-8?")  # RFC 2047: ASCII on the wire
    assert mail["Subject"] == "【严重】栖云乳业：负面声量突增"  # decoded by the parser
    assert mail["Date"] and mail["From"] == "listener 舆情预警 <alerts@listener.example>"
    assert mail["Message-ID"] == "<mail-1@listener.invalid>" and mail["X-Listener-Delivery"] == "mail-1"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert "负面帖数：42" in text.get_content() and "首次回应模板" in text.get_content()
    assert "<h2" in html.get_content() and "栖云乳业" in html.get_content()


def test_plain_smtp(write_config) -> None:
    sink = MailSink()
    for port in smtp(sink):
        send_one(email_config(write_config, port, ""))
    check_message(sink)


def test_starttls_with_login(write_config, tls, monkeypatch) -> None:
    context, ca_file = tls
    monkeypatch.setenv("SMTP_PASSWORD", "pw-123")
    sink = MailSink()
    for port in smtp(sink, tls_context=context, require_starttls=True, authenticator=authenticator,
                     auth_require_tls=True):
        config = email_config(write_config, port, f'starttls = true\nusername = "pr"\npassword = "${{SMTP_PASSWORD}}"'
                                                  f'\nsmtp_ca_file = "{ca_file}"')
        send_one(config)
    check_message(sink)


def test_implicit_tls_with_login(write_config, tls, monkeypatch) -> None:
    context, ca_file = tls
    monkeypatch.setenv("SMTP_PASSWORD", "pw-123")
    sink = MailSink()
    for port in smtp(sink, ssl_context=context, authenticator=authenticator, auth_require_tls=False):
        config = email_config(write_config, port, f'ssl = true\nusername = "pr"\npassword = "${{SMTP_PASSWORD}}"'
                                                  f'\nsmtp_ca_file = "{ca_file}"')
        send_one(config)
    check_message(sink)


def test_wrong_password_fails_for_good_and_never_leaks(write_config, monkeypatch, caplog) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-pw-xyz")
    sink = MailSink()
    for port in smtp(sink, authenticator=authenticator, auth_require_tls=False):
        config = email_config(write_config, port, 'username = "pr"\npassword = "${SMTP_PASSWORD}"')
        store = Store(config.store_path)
        with store.transaction() as conn:
            store.enqueue(Notification("m-2", "mail", "test", {"event": "test"}, created_at=NOW), conn)
        assert deliver_due(store, config, NOW).failed == 1
    row = store.outbox_rows()[0]
    assert row["status"] == "failed" and "login refused" in row["last_error"]
    assert "wrong-pw-xyz" not in caplog.text and "wrong-pw-xyz" not in str(row)
    assert sink.messages == []


def test_untrusted_certificate_is_refused(write_config, tls) -> None:
    context, _ = tls
    sink = MailSink()
    for port in smtp(sink, tls_context=context, require_starttls=True):
        config = email_config(write_config, port, "starttls = true")  # system CAs do not know our test CA
        store = Store(config.store_path)
        with store.transaction() as conn:
            store.enqueue(Notification("m-3", "mail", "test", {"event": "test"}, created_at=NOW), conn)
        assert deliver_due(store, config, NOW).retrying == 1
    assert "CERTIFICATE_VERIFY_FAILED" in store.outbox_rows()[0]["last_error"] and sink.messages == []


def test_header_injection_through_brand_or_title_adds_no_header(write_config) -> None:
    payload = hostile_payload()
    payload["brand"] = "栖云乳业\r\nBcc: evil@attacker.example\r\nX-Injected: 1"
    sink = MailSink()
    for port in smtp(sink):
        send_one(email_config(write_config, port, ""), payload)
    mail = sink.messages[0]
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    assert sink.envelopes[0][1] == ["pr@brand.example", "ceo@brand.example"]
    assert "\n" not in str(make_header(decode_header(mail["Subject"])))


@pytest.mark.parametrize("to, extra, message", [
    ('["pr@brand.example\\r\\nBcc: x@evil.example"]', "", "not a plain e-mail address"),
    ("[]", "", "at least one recipient"),
    ('["pr@brand.example"]', "ssl = true\nstarttls = true", "not both"),
])
def test_bad_email_config_is_one_clear_error(write_config, to, extra, message) -> None:
    from listener.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        email_config(write_config, 25, extra, to=to)


# --- an SMTP server that accepts the connection and never answers ----------------------------------

class SilentServer:
    """Accepts TCP connections on `port` and never sends a byte (a wedged relay, a black-holing firewall)."""

    def __init__(self, port: int) -> None:
        import threading

        self.port, self.held, self.accepted = port, [], 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)

    def close(self) -> None:
        """Free the port at once: wake the blocked accept() and reset held connections (no TIME_WAIT)."""
        import struct

        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)
        for conn in self.held:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        self.held.clear()


def test_smtp_that_never_answers_times_out_is_retried_then_delivered(write_config) -> None:
    import time

    port = free_port()
    silent = SilentServer(port)
    try:
        config = email_config(write_config, port, 'timeout = "1s"')
        store = Store(config.store_path)
        with store.transaction() as conn:
            store.enqueue(Notification("slow-1", "mail", "test", {"event": "test"}, created_at=NOW), conn)
        started = time.monotonic()
        report = deliver_due(store, config, NOW)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert silent.accepted == 1 and report.retrying == 1 and report.sent == 0
    assert elapsed < 6, f"the worker waited {elapsed:.1f}s on a 1s timeout"
    row = store.outbox_rows()[0]
    assert row["status"] == "pending" and row["attempts"] == 1 and "timed out" in row["last_error"].lower()
    assert row["next_attempt_at"] > row["created_at"]
    sink = MailSink()
    for _ in smtp_on(sink, port):  # the relay is back: the retry goes out, once
        assert deliver_due(store, config, NOW).sent == 0  # not before its back-off
        assert deliver_due(store, config, NOW + timedelta(hours=1)).sent == 1
    assert len(sink.messages) == 1 and sink.messages[0]["Message-ID"] == "<slow-1@listener.invalid>"
    assert store.outbox_rows()[0]["status"] == "sent"


def smtp_on(sink: MailSink, port: int) -> Iterator[int]:
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_daemon_keeps_running_through_an_smtp_that_never_answers(write_config, feeds, tmp_path: Path) -> None:
    """The delivery job times out and records it, collection goes on, and the relay gets the mail once it answers."""
    from tests.procs import BRAND_TOML, DaemonProc, query, rss, status, wait_until

    server, routes = feeds
    routes.serve("/f", rss("f", 3))
    port = free_port()
    silent = SilentServer(port)
    config = write_config(f"""
        [store]
        path = "slow.db"
        {BRAND_TOML}
        [[feeds]]
        name = "f"
        url = "{server.url}/f"
        interval = "10s"
        [[channels]]
        name = "mail"
        type = "email"
        smtp_host = "127.0.0.1"
        smtp_port = {port}
        from = "alerts@listener.example"
        to = ["pr@brand.example"]
        timeout = "1s"
        [delivery]
        first_retry = "1s"
        max_retry = "2s"
    """)
    store = Store(tmp_path / "slow.db")
    store.enqueue(Notification("slow-2", "mail", "test", {"event": "test"}, created_at=datetime.now(UTC)))
    store.close()
    daemon = DaemonProc(config, tmp_path / "daemon.log")
    sink = MailSink()
    try:
        report = wait_until(lambda: (r := status(config)) and (o := r["outbox"]["oldest_pending"])
                            and "timed out" in (o["last_error"] or "").lower() and r, 90,
                            "a timed-out delivery recorded in the outbox", every=1)
        assert daemon.alive() and report["daemon"]["running"]
        assert any(j["job"] == "deliver" and j["ok"] for j in report["jobs"])  # the job itself did not crash
        wait_until(lambda: query(tmp_path / "slow.db", "SELECT count(*) FROM mentions")[0][0] == 3, 60,
                   "collection going on meanwhile")
        silent.close()
        for _ in smtp_on(sink, port):
            wait_until(lambda: sink.messages, 60, "the retry reaching the relay once it answers")
            wait_until(lambda: status(config)["outbox"]["sent"] == 1, 30, "the row marked sent")
        assert daemon.stop() == 0
    finally:
        silent.close()
        daemon.cleanup()
    assert len(sink.messages) == 1 and "Traceback" not in daemon.stderr()
