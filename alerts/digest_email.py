"""The digest as an email: plain text, and HTML whose chart is an inline PNG referenced by `cid:`.

multipart/alternative(text/plain, multipart/related(text/html, image/png)): the structure Gmail,
Outlook, Apple Mail, Thunderbird and QQ Mail all show with the picture in place; text-only clients
and previews read the plain part.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from alerts.digest import Digest, render_html, render_text
from alerts.digest_chart import hourly_png


def digest_subject(digest: Digest) -> str:
    c = digest.counts
    share = f"{c.negative_share * 100:.0f}%"
    subject = f"{digest.brand} 舆情日报 {digest.day}：提及 {c.volume}，负面 {c.negative}（{share}）"
    return subject + (f"，预警 {len(digest.incidents)} 起" if digest.incidents else "")


def digest_email(digest: Digest, *, sender: str, to: list[str] | tuple[str, ...],
                 domain: str = "listener") -> EmailMessage:
    cid = make_msgid(idstring="hourly", domain=domain)  # "<...@domain>"
    message = EmailMessage()
    message["Subject"] = " ".join(digest_subject(digest).split())  # one line: no header injection from a name
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Message-ID"] = make_msgid(idstring=f"digest-{digest.day}", domain=domain)
    message["Date"] = format_datetime(datetime.fromisoformat(digest.generated_at.replace("Z", "+00:00")))
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest, chart_src=f"cid:{cid[1:-1]}"), subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(hourly_png(digest.hourly), maintype="image", subtype="png", cid=cid,
                          filename="hourly.png", disposition="inline")
    return message
