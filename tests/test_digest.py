"""The digest renders every mention field escaped; links are only ever http(s)."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
