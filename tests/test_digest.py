"""The digest renders every mention field escaped; links are only ever http(s)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.digest import DayCounts, build_digest, markdown_escape, render_html, render_markdown
from analyzers import BrandMatch, Mention

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def hostile(mention_id: str, label: str, url: str) -> Mention:
    return Mention(mention_id=mention_id, feed="weibo", url=url, title="", clean_text="x",
                   text="栖云牛奶<img src=x onerror=alert(1)><script>alert(2)</script>**粗体**", author="<b>坏人</b>",
                   published_at=NOW, fetched_at=NOW, brands=(BrandMatch("栖云乳业"),), sentiment=0.1, label=label,
                   keywords=("<i>词</i>",), metrics={"followers": 10})


def test_html_digest_escapes_mentions_and_drops_script_links() -> None:
    digest = build_digest(
        "栖云乳业", date(2026, 11, 22), [hostile("a", "negative", "javascript:alert(3)"),
                                         hostile("b", "positive", "https://weibo.com/1")],
        previous=DayCounts(volume=1, negative=0, neutral=1, positive=0), week_average=DayCounts(volume=1),
        incidents=[], tz=ZoneInfo("Asia/Shanghai"), generated_at=NOW)
    html = render_html(digest)
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>坏人" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://weibo.com/1"' in html
    assert digest.counts.volume == 2 and digest.hourly[20]["volume"] == 2  # 12:00 UTC is 20:00 in Shanghai
    markdown = render_markdown(digest)
    assert "<img" not in markdown and "\\*\\*粗体\\*\\*" in markdown


def test_markdown_escape_neutralises_links_and_headings() -> None:
    assert markdown_escape("[点我](http://evil)") == "\\[点我\\]\\(http://evil\\)"
    assert markdown_escape("# 标题\n下一行") == "\\# 标题 下一行"


# --- the daily digest for a seeded week --------------------------------------------------------

def _png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Decode the PNG back to RGB pixels: what a mail client will show."""
    import io

    from PIL import Image

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGB"
    return image.width, image.height, image.tobytes()


def test_hourly_png_draws_stacked_bars_on_a_round_scale() -> None:
    from alerts.digest_chart import BOTTOM, HEIGHT, NEGATIVE, POSITIVE, TOP, WIDTH, bar_center, hourly_png

    hourly = [{"volume": 0, "negative": 0, "positive": 0} for _ in range(24)]
    hourly[9] = {"volume": 10, "negative": 6, "positive": 3}
    width, height, pixels = _png_pixels(hourly_png(hourly))
    assert (width, height) == (WIDTH, HEIGHT) == (1040, 400)
    colors = {pixels[i:i + 3] for i in range(0, len(pixels), 3)}
    assert bytes(NEGATIVE) in colors and bytes(POSITIVE) in colors

    def column(x: int) -> list[bytes]:
        return [pixels[(y * width + x) * 3:(y * width + x) * 3 + 3] for y in range(height)]
    bar = column(bar_center(9))
    # The scale's top is 10 (the peak is already round): 6 of 10 negative fill 60% of the plot's height.
    assert abs(bar.count(bytes(NEGATIVE)) - 0.6 * (BOTTOM - TOP)) <= 2
    assert bar.count(bytes(NEGATIVE)) > bar.count(bytes(POSITIVE)) > 0
    assert bytes(NEGATIVE) not in column(bar_center(3))


def test_chart_labels_are_drawn_in_a_real_font() -> None:
    """Anti-aliased glyphs under the axis (many grey levels), not 3x5 blocks of one colour; 时 when CJK is there."""
    from alerts.digest_chart import BOTTOM, HEIGHT, LEFT, WIDTH, hourly_png, label_font, nice_ceiling

    assert [nice_ceiling(n) for n in (0, 5, 11, 21, 41, 99)] == [4, 6, 12, 30, 50, 100]
    hourly = [{"volume": 3, "negative": 1, "positive": 1} for _ in range(24)]
    width, _, pixels = _png_pixels(hourly_png(hourly))
    below = {pixels[(y * width + x) * 3:(y * width + x) * 3 + 3] for y in range(BOTTOM + 4, HEIGHT)
             for x in range(LEFT, WIDTH)}
    assert len(below) > 8  # smooth edges: many shades between text grey and white
    _, cjk = label_font()
    assert cjk  # the test machine has fonts-noto-cjk (DESIGN.md); elsewhere the chart falls back to "9h"


def test_rising_keywords_compare_with_the_baseline() -> None:
    from collections import Counter

    from alerts.digest import rising_keywords

    def m(i: int, words: tuple[str, ...]) -> Mention:
        return Mention(mention_id=str(i), feed="f", url=None, title="", text="t", clean_text="t", author=None,
                       published_at=NOW, fetched_at=NOW, brands=(BrandMatch("b"),), sentiment=0.2,
                       label="negative", keywords=words)
    today = [m(i, ("异味", "客服")) for i in range(6)] + [m(10, ("新品",))]
    rising = rising_keywords(today, Counter({"客服": 42, "异味": 1}), 7)
    assert [r["keyword"] for r in rising] == ["异味"]  # 客服 is as usual (6 a day); 新品 is once, not a trend
    assert rising[0] == {"keyword": "异味", "count": 6, "baseline": 0.1, "ratio": 6.1}


def _seeded_digest(tmp_path, webhook_url: str | None = None):
    from tests.web_seed import NOW as SEED_NOW
    from tests.web_seed import seeded_config

    channel = f'[[channels]]\nname = "chat"\ntype = "webhook"\nurl = "{webhook_url}"\nsecret = "test-secret"\n' \
              'events = ["digest"]\n' if webhook_url else ""
    config = seeded_config(tmp_path, channel)
    day = SEED_NOW.astimezone(config.timezone).date() - timedelta(days=1)
    return config, day


def test_digest_for_a_seeded_week_compares_day_before_and_week(tmp_path) -> None:
    import json

    from listener.digests import build_digests
    from listener.store import Store
    from tests.web_seed import BRAND
    from tests.web_seed import NOW as SEED_NOW

    config, _ = _seeded_digest(tmp_path)
    store = Store(config.store_path)
    today = SEED_NOW.astimezone(config.timezone).date()
    files = {f.brand: f for f in build_digests(store, config, today, SEED_NOW)}
    data = json.loads(files[BRAND].json.read_text(encoding="utf-8"))
    # The seed: 4 posts every 2 hours on ordinary days (1 negative), then a burst of 31 negative posts.
    assert data["previous"] == {"volume": 48, "negative": 12, "neutral": 12, "positive": 24, "negative_share": 0.25}
    assert data["week_average"]["volume"] == 48
    assert data["counts"]["negative"] > data["previous"]["negative"] * 2
    rising = [r["keyword"] for r in data["rising"]]
    assert "异味" in rising and "拉肚子" not in rising  # every ordinary day has 12 拉肚子 posts: not rising
    assert data["top_negative"][0]["reach"] >= data["top_negative"][1]["reach"]
    assert max(p["reposts_folded"] for p in data["top_negative"]) >= 5
    assert data["incidents"][0]["status"] == "open" and data["feed_warnings"][0].startswith("news: 连续失败 3 次")
    assert "官方回应" in data["incidents"][0]["response"] or "黄金4小时" in data["incidents"][0]["response"]
    html = files[BRAND].html.read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html and "<svg" not in html and "上升热词" in html
    assert "&lt;img src=x" in html and "<script>" not in html
    text = files[BRAND].text.read_text(encoding="utf-8")
    assert "上升热词" in text and "较前日" in text and "<img src=x" in text  # plain text: shown, never rendered
    assert [d["day"] for d in store.digests() if d["brand"] == BRAND] == [today.isoformat()]


def test_digest_email_has_text_html_and_inline_png_over_real_smtp(tmp_path) -> None:
    import email
    import email.policy
    import json
    import smtplib

    from aiosmtpd.controller import Controller

    from alerts.digest_email import digest_email
    from listener.digests import build_digests
    from listener.store import Store
    from tests.web_seed import BRAND
    from tests.web_seed import NOW as SEED_NOW

    config, _ = _seeded_digest(tmp_path)
    store = Store(config.store_path)
    build_digests(store, config, SEED_NOW.astimezone(config.timezone).date(), SEED_NOW)
    from alerts.digest import DayCounts, Digest, DigestPost

    row = next(d for d in store.digests() if d["brand"] == BRAND)
    raw = json.loads(row["json"])
    for key in ("counts", "previous", "week_average"):
        raw[key].pop("negative_share")
        raw[key] = DayCounts(**raw[key])
    raw["top_negative"] = [DigestPost(**p) for p in raw["top_negative"]]
    raw["top_positive"] = [DigestPost(**p) for p in raw["top_positive"]]
    digest = Digest(**raw)

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            return "250 OK"

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(digest_email(digest, sender="listener@example.com", to=["brand@example.com"]))
    finally:
        controller.stop()
    message = email.message_from_bytes(received[0], policy=email.policy.default)
    assert BRAND in message["Subject"] and "负面" in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    assert "提及量" in text and "<img src=x" in text
    cid = html.split('src="cid:', 1)[1].split('"', 1)[0]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == f"<{cid}>"
    assert images[0].get_content().startswith(b"\x89PNG") and "data:image" not in html
    assert "&lt;img src=x" in html


def test_digest_goes_out_through_the_channels(tmp_path, webhook) -> None:
    import base64

    from listener.delivery import deliver_due
    from listener.digests import build_digests
    from listener.store import Store
    from tests.web_seed import BRAND
    from tests.web_seed import NOW as SEED_NOW

    config, day = _seeded_digest(tmp_path, f"{webhook.url}/hook")
    store = Store(config.store_path)
    build_digests(store, config, day, SEED_NOW, brands=[BRAND], send=True)
    report = deliver_due(store, config, SEED_NOW)
    assert report.sent == 1
    payload = webhook.received[0]["payload"]
    assert payload["event"] == "digest" and payload["brand"] == BRAND and payload["markdown"].startswith("###")
    assert base64.b64decode(payload["chart_png"]).startswith(b"\x89PNG")
    assert f'src="cid:{payload["chart_cid"]}"' in payload["html"] and payload["text"]


# --- the digest as a real email through the delivery layer ----------------------------------------

class FlakySink:
    """An aiosmtpd handler that answers 451 (try later) to the first `fail_first` messages, then keeps them raw."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first, self.raw, self.envelopes = fail_first, [], []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 4.3.0 try again later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(envelope.original_content)
        return "250 OK"


def test_digest_job_mails_the_html_digest_to_digest_to(tmp_path) -> None:
    """Seeded store → digest job → outbox → email channel → aiosmtpd; the parsed message is the full digest."""
    import base64
    import email
    import email.policy
    import json
    import socket

    from aiosmtpd.controller import Controller

    from listener.delivery import deliver_due
    from listener.digests import build_digests
    from listener.store import Store
    from tests.chat_receivers import ChatReceiver
    from tests.web_seed import BRAND, OTHER
    from tests.web_seed import NOW as SEED_NOW

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = FlakySink(fail_first=1)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    chat = ChatReceiver("dingtalk")
    chat.__enter__()
    try:
        config = _seeded_digest_config(tmp_path, f"""
            [[channels]]
            name = "mail"
            type = "email"
            smtp_host = "127.0.0.1"
            smtp_port = {port}
            from = "digest@listener.example"
            to = ["oncall@brand.example"]
            brands = ["{BRAND}"]
            events = ["incident.opened"]
            [[channels]]
            name = "group"
            type = "dingtalk"
            url = "{chat.url}/robot/send?access_token=t0k3n"
            events = ["digest"]
            brands = ["{BRAND}"]
            [delivery]
            first_retry = "1m"
            [digest]
            to = ["brand@brand.example", "ceo@brand.example"]
        """)
        store = Store(config.store_path)
        day = SEED_NOW.astimezone(config.timezone).date() - timedelta(days=1)  # what the daemon sends: yesterday
        build_digests(store, config, day, SEED_NOW, send=True)
        rows = {r["channel"]: r for r in store.outbox_rows()}
        assert sorted(rows) == ["group", "mail"]  # OTHER has no mail channel and no subscribed chat channel
        first = deliver_due(store, config, SEED_NOW)
        assert (first.sent, first.retrying) == (1, 1) and sink.raw == []  # the relay said 451: retried later
        later = deliver_due(store, config, SEED_NOW + timedelta(minutes=2))
        assert later.sent == 1 and deliver_due(store, config, SEED_NOW + timedelta(hours=2)).sent == 0
    finally:
        controller.stop()
        chat.__exit__(None, None, None)
    assert len(sink.raw) == 1  # nothing sent twice
    assert sink.envelopes == [("digest@listener.example", ["brand@brand.example", "ceo@brand.example"])]
    raw = sink.raw[0]
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998 and raw.isascii()  # wire-safe without 8BITMIME
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.count(b"\r\nSubject: ") + head.startswith(b"Subject: ") == 1 and b"Subject: =?utf-8?" in head
    message = email.message_from_bytes(raw, policy=email.policy.default)
    subject = message["Subject"]
    assert subject.startswith(f"{BRAND} 舆情日报 {day.isoformat()}：提及 ") and OTHER not in subject
    assert message["From"] == "listener 舆情日报 <digest@listener.example>"
    assert message["To"] == "brand@brand.example, ceo@brand.example" and message["Bcc"] is None
    assert message["Message-ID"] == f"<{rows['mail']['delivery_id']}@listener.invalid>"
    assert message["X-Listener-Event"] == "digest"

    assert message.get_content_type() == "multipart/alternative"
    plain, related = message.get_payload()
    assert plain.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html" and image.get_content_type() == "image/png"
    for part in (plain, html_part):
        assert part.get_content_charset() == "utf-8" and part["Content-Transfer-Encoding"] == "base64"
    text, html = plain.get_content(), html_part.get_content()
    assert "较前日" in text and "负面热帖" in text and "数据源告警" in text
    assert "<table" in html and 'style="' in html and "<style" not in html and "<link" not in html  # inline CSS
    assert "<script" not in html and "data:image" not in html
    assert '<table role="presentation" width="760"' in html  # Outlook ignores max-width on a div, not on a table
    assert 'width="720" height="277"' in html  # the chart at the content width where CSS is ignored
    cid = html.split('src="cid:', 1)[1].split('"', 1)[0]
    assert "@" in cid and image["Content-ID"] == f"<{cid}>"
    assert image.get_content_disposition() == "inline" and image.get_filename() == "hourly.png"
    width, height, pixels = _png_pixels(image.get_content())
    assert (width, height) == (1040, 400)
    from alerts.digest_chart import NEGATIVE
    assert bytes(NEGATIVE) in {pixels[i:i + 3] for i in range(0, len(pixels), 3)}
    # The same day's archived digest and this mail show the same numbers.
    archived = json.loads(next(d for d in store.digests() if d["brand"] == BRAND)["json"])
    assert f"提及 {archived['counts']['volume']}，负面 {archived['counts']['negative']}" in subject
    assert base64.b64decode(json.loads(rows["mail"]["payload"])["chart_png"]) == image.get_content()
    # Chat keeps its Markdown summary: no HTML, no image.
    body = chat.received[0]["body"]
    assert body["msgtype"] == "markdown" and BRAND in body["markdown"]["text"]
    assert "<table" not in body["markdown"]["text"] and "chart_png" not in body["markdown"]["text"]


def _seeded_digest_config(tmp_path, extra: str):
    import textwrap

    from tests.web_seed import seeded_config

    return seeded_config(tmp_path, textwrap.dedent(extra))
