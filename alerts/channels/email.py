"""E-mail over SMTP: implicit TLS (`ssl`, port 465) or STARTTLS (port 587), optional login, multipart mail.

The message is `multipart/alternative` with a text/plain and a text/html part, both UTF-8; the subject is
RFC 2047-encoded by the stdlib's SMTP policy. The Message-ID is derived from the delivery id, so a retry
carries the same id and mail systems that dedupe on it (and our receiver tests) see one message.
Header injection: the subject is flattened to one line and the stdlib policy refuses any header value
that still holds CR/LF; addresses come only from the config and are validated there.
The daily digest (event `digest`) is the full HTML email the digest job rendered (alerts/digest_email.py:
text, HTML with inline CSS, the hourly chart as an inline `cid:` PNG), sent to `[digest].to` when the
digest job routed it here with `recipients`, else to this channel's `to`.
A server that accepts the connection and never answers costs at most `timeout` (default 20 s) per try.
"""

from __future__ import annotations

import base64
import binascii
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import message_for
from alerts.digest_email import fill_digest_body, one_line
from alerts.errors import DeliveryError
from alerts.privacy import mask_text
from alerts.render_email import html_body, subject, text_body
from alerts.types import Notification

SENDER_NAME = "listener 舆情预警"
DIGEST_SENDER_NAME = "listener 舆情日报"
DEFAULT_TIMEOUT = 20.0
_PLAIN_ADDRESS = re.compile(r"^[^\s,;<>\"]+@[^\s,;<>\"]+$")


class EmailChannel:
    def __init__(self, spec: ChannelSpec):
        o = spec.options
        if not o.get("smtp_host") or not o.get("to") or not o.get("from"):
            raise DeliveryError(f"channel {spec.name}: email needs smtp_host, from and to", retryable=False)
        self.spec = spec

    def recipients(self, notification: Notification) -> list[str]:
        """This channel's `to`, or for a digest the `[digest].to` list the digest job put in the payload."""
        routed = notification.payload.get("recipients") if notification.event == "digest" else None
        addresses = list(routed) if isinstance(routed, list) and routed else list(self.spec.options["to"])
        for address in addresses:
            if not isinstance(address, str) or not _PLAIN_ADDRESS.match(address):
                raise DeliveryError(f"{self.spec.name}: {address!r} is not a plain e-mail address", retryable=False)
        return addresses

    def _headers(self, mail: EmailMessage, notification: Notification, sender_name: str) -> None:
        mail["From"] = formataddr((sender_name, self.spec.options["from"]))
        mail["To"] = ", ".join(self.recipients(notification))
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = f"<{notification.delivery_id}@listener.invalid>"
        mail["X-Listener-Delivery"] = notification.delivery_id
        mail["X-Listener-Event"] = notification.event

    def build(self, notification: Notification) -> EmailMessage:
        if notification.event == "digest" and isinstance(notification.payload.get("html"), str):
            return self.build_digest(notification)
        message = message_for(self.spec, notification)
        mail = EmailMessage()
        mail["Subject"] = subject(message)
        self._headers(mail, notification, SENDER_NAME)
        if message.urgent:
            mail["X-Priority"] = "1"
            mail["Importance"] = "high"
        mail.set_content(text_body(message), subtype="plain", charset="utf-8")
        mail.add_alternative(html_body(message), subtype="html", charset="utf-8")
        return mail

    def build_digest(self, notification: Notification) -> EmailMessage:
        """The digest job's own HTML email: its subject, text, HTML and chart PNG, personal data masked."""
        p = notification.payload
        try:
            png = base64.b64decode(str(p.get("chart_png") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise DeliveryError(f"{self.spec.name}: digest chart is not base64", retryable=False) from None
        cid = str(p.get("chart_cid") or "")
        if not png.startswith(b"\x89PNG") or not cid or f"cid:{cid}" not in p["html"]:
            raise DeliveryError(f"{self.spec.name}: digest without its chart (chart_png, chart_cid)", retryable=False)
        mask = bool(self.spec.options.get("mask_pii", True))
        text, html = str(p.get("text") or ""), p["html"]
        if mask:  # the cid looks like an e-mail address to the masker: keep it out of its way
            hold = "\x00chart\x00"
            text = mask_text(text) or ""
            html = (mask_text(html.replace(f"cid:{cid}", hold)) or "").replace(hold, f"cid:{cid}")
        mail = EmailMessage()
        mail["Subject"] = one_line(str(p.get("subject") or f"{p.get('brand', '')} 舆情日报 {p.get('day', '')}"))[:200]
        self._headers(mail, notification, DIGEST_SENDER_NAME)
        return fill_digest_body(mail, text=text, html=html, png=png, cid=cid)

    def _context(self) -> ssl.SSLContext:
        ca_file = self.spec.options.get("smtp_ca_file")
        return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    def send(self, notification: Notification, client: httpx.Client | None = None) -> None:
        o = self.spec.options
        mail = self.build(notification)
        host, use_ssl = o["smtp_host"], bool(o.get("ssl"))
        port = int(o.get("smtp_port") or (465 if use_ssl else 587 if o.get("starttls") else 25))
        timeout = float(o.get("timeout") or DEFAULT_TIMEOUT)
        try:
            if use_ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                if o.get("starttls") and not use_ssl:
                    smtp.starttls(context=self._context())
                if o.get("username"):
                    password = o.get("password")
                    smtp.login(o["username"], password.reveal() if hasattr(password, "reveal") else str(password or ""))
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{self.spec.name}: SMTP login refused ({exc.smtp_code})", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"{self.spec.name}: recipients refused: {', '.join(exc.recipients)}",
                                retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{self.spec.name}: SMTP {exc.smtp_code}",
                                retryable=exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{self.spec.name}: {type(exc).__name__}: {exc}") from exc
