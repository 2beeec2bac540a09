"""E-mail over SMTP: implicit TLS (`ssl`, port 465) or STARTTLS (port 587), optional login, multipart mail.

The message is `multipart/alternative` with a text/plain and a text/html part, both UTF-8; the subject is
RFC 2047-encoded by the stdlib's SMTP policy. The Message-ID is derived from the delivery id, so a retry
carries the same id and mail systems that dedupe on it (and our receiver tests) see one message.
Header injection: the subject is flattened to one line and the stdlib policy refuses any header value
that still holds CR/LF; addresses come only from the config and are validated there.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import httpx

from alerts.channels.base import ChannelSpec
from alerts.channels.http import message_for
from alerts.errors import DeliveryError
from alerts.render_email import html_body, subject, text_body
from alerts.types import Notification

SENDER_NAME = "listener 舆情预警"


class EmailChannel:
    def __init__(self, spec: ChannelSpec):
        o = spec.options
        if not o.get("smtp_host") or not o.get("to") or not o.get("from"):
            raise DeliveryError(f"channel {spec.name}: email needs smtp_host, from and to", retryable=False)
        self.spec = spec

    def build(self, notification: Notification) -> EmailMessage:
        o = self.spec.options
        message = message_for(self.spec, notification)
        mail = EmailMessage()
        mail["Subject"] = subject(message)
        mail["From"] = formataddr((SENDER_NAME, o["from"]))
        mail["To"] = ", ".join(o["to"])
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = f"<{notification.delivery_id}@listener.invalid>"
        mail["X-Listener-Delivery"] = notification.delivery_id
        mail["X-Listener-Event"] = notification.event
        if message.urgent:
            mail["X-Priority"] = "1"
            mail["Importance"] = "high"
        mail.set_content(text_body(message), subtype="plain", charset="utf-8")
        mail.add_alternative(html_body(message), subtype="html", charset="utf-8")
        return mail

    def _context(self) -> ssl.SSLContext:
        ca_file = self.spec.options.get("smtp_ca_file")
        return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    def send(self, notification: Notification, client: httpx.Client | None = None) -> None:
        o = self.spec.options
        mail = self.build(notification)
        host, use_ssl = o["smtp_host"], bool(o.get("ssl"))
        port = int(o.get("smtp_port") or (465 if use_ssl else 587 if o.get("starttls") else 25))
        timeout = float(o.get("smtp_timeout") or 20)
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
