"""The digest as an email: plain text, and HTML whose chart is an inline PNG referenced by `cid:`.

multipart/alternative(text/plain, multipart/related(text/html, image/png)): the structure Gmail,
Outlook, Apple Mail, Thunderbird and QQ Mail all show with the picture in place; text-only clients
and previews read the plain part. Both text parts are base64: HTML with inline CSS has lines longer
than SMTP's 998-octet limit, and relays without 8BITMIME would mangle raw UTF-8.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from alerts.digest import Digest, render_html, render_text
from alerts.digest_chart import hourly_png

CHART_FILENAME = "hourly.png"


def digest_subject(digest: Digest) -> str:
    c = digest.counts
    share = f"{c.negative_share * 100:.0f}%"
    subject = f"{digest.brand} 舆情日报 {digest.day}：提及 {c.volume}，负面 {c.negative}（{share}）"
    return subject + (f"，预警 {len(digest.incidents)} 起" if digest.incidents else "")


def chart_cid(day: str, domain: str = "listener.invalid") -> str:
    """The chart's Content-ID without brackets (RFC 2392: `cid:` + addr-spec); the HTML says `cid:` + this."""
    return f"hourly-{''.join(c for c in day if c.isalnum() or c == '-')}@{domain}"


def one_line(text: str) -> str:
    """A header value on one line: CR, LF and other breaks from any name cannot start a new header."""
    return " ".join(text.split())


def fill_digest_body(mail: EmailMessage, *, text: str, html: str, png: bytes, cid: str) -> EmailMessage:
    """Give `mail` the digest's parts; `html` must reference the chart as `cid:<cid>`."""
    mail.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    mail.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    html_part = mail.get_payload()[1]
    html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=CHART_FILENAME,
                          disposition="inline")
    return mail


def digest_email(digest: Digest, *, sender: str, to: list[str] | tuple[str, ...],
                 domain: str = "listener") -> EmailMessage:
    cid = chart_cid(digest.day, domain)
    message = EmailMessage()
    message["Subject"] = one_line(digest_subject(digest))
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Message-ID"] = make_msgid(idstring=f"digest-{digest.day}", domain=domain)
    message["Date"] = format_datetime(datetime.fromisoformat(digest.generated_at.replace("Z", "+00:00")))
    return fill_digest_body(message, text=render_text(digest), html=render_html(digest, chart_src=f"cid:{cid}"),
                            png=hourly_png(digest.hourly), cid=cid)
