"""A hostile post (<script>, markdown links, @all, newlines in a title, javascript: links) renders inert in every
channel, and personal data is masked unless a channel opts out."""

from __future__ import annotations

import json
import re

import pytest

from alerts.channels import build_channel
from alerts.privacy import mask_text
from alerts.types import Notification
from listener.config import load_config
from tests.alert_samples import hostile_payload
from tests.test_channels import text_of

OUR_LINKS = {"https://weibo.example/p/1?a=%281%29&b=2", "http://127.0.0.1:8080/incidents/inc-1"}


def channel(write_config, kind: str, extra: str = ""):
    url = "" if kind == "email" else 'url = "http://127.0.0.1:9/hook"'
    email = 'smtp_host = "127.0.0.1"\nfrom = "a@b.example"\nto = ["c@d.example"]' if kind == "email" else ""
    config = load_config(write_config(f"""
        [[brands]]
        name = "栖云乳业"
        [[channels]]
        name = "x"
        type = "{kind}"
        {url}
        {email}
        {extra}
    """))
    return build_channel(config.channels[0])


def notification() -> Notification:
    return Notification("hostile-1", "x", "incident.opened", hostile_payload())


def assert_common_inert(text: str) -> None:
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "javascript:" not in text.lower()
    assert "@all" not in text and "@所有人" not in text  # nobody is pinged by a stranger's text
    assert "紧急 通知" in text  # the title's CR/LF was flattened, not allowed to start a new line
    assert "13812345678" not in text and re.search("138[*＊]{4}5678", text)  # chat markdown defangs the stars
    assert "victim.name@example.com" not in text and "110105199003071234" not in text


@pytest.mark.parametrize("kind", ["dingtalk", "wecom"])
def test_markdown_channels(kind, write_config) -> None:
    body = channel(write_config, kind).body(notification())
    text = text_of(kind, body)
    assert_common_inert(text)
    links = re.findall(r"\[([^\]]*)\]\(([^)]*)\)", text)
    assert {target for _, target in links} == OUR_LINKS  # only our links: the post's [点我](evil) is no link
    assert {label for label, _ in links} == {"原文", "查看事件详情"}
    assert "evil.example" in text and "［点我］（http://evil.example/x）" in text  # shown, defanged
    assert "**喝了" not in text and "`code`" not in text and "<!channel>" not in text
    for line in text.split("\n"):
        assert not line.startswith(("# 标题", "> 引用", "＃")), line  # post text never starts a markdown block
    if kind == "dingtalk":
        assert body["at"] == {"atMobiles": [], "isAtAll": False}
        assert "\n" not in body["markdown"]["title"]


def test_slack(write_config) -> None:
    body = channel(write_config, "slack").body(notification())
    text = text_of("slack", body) + "\n" + body["text"]
    assert_common_inert(text)
    assert "<!channel>" not in text and "<@U123>" not in text and "<!here" not in text
    targets = re.findall(r"<([^|>]+)\|[^>]*>", text)
    assert set(targets) == OUR_LINKS
    assert re.findall(r"<[^>]*>", text) == [f"<{t}|{label}>" for t, label in
                                             re.findall(r"<([^|>]+)\|([^>]*)>", text)]  # every <...> is one of ours
    assert "~删除~" not in text and "**喝了" not in text


def test_feishu(write_config) -> None:
    body = channel(write_config, "feishu").body(notification(), "1700000000")
    post = body["content"]["post"]["zh_cn"]
    assert "\n" not in post["title"] and "\r" not in post["title"]
    runs = [run for line in post["content"] for run in line]
    assert {run["tag"] for run in runs} == {"text", "a"}  # no `at` run: @all in text is only text
    assert {run["href"] for run in runs if run["tag"] == "a"} == {"https://weibo.example/p/1?a=(1)&b=2",
                                                                 "http://127.0.0.1:8080/incidents/inc-1"}
    text = text_of("feishu", body)
    assert "javascript:" not in json.dumps(body) and "13812345678" not in text and "紧急 通知" in text


def test_email(write_config) -> None:
    mail = channel(write_config, "email").build(notification())
    html = mail.get_body(("html",)).get_content()
    plain = mail.get_body(("plain",)).get_content()
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;b&gt;攻击者&lt;/b&gt;" in html
    assert set(re.findall(r'href="([^"]*)"', html)) == {"https://weibo.example/p/1?a=(1)&amp;b=2",
                                                        "http://127.0.0.1:8080/incidents/inc-1"}
    assert "javascript:" not in html and "javascript:" not in plain
    assert "13812345678" not in html + plain and "138****5678" in plain


def test_webhook_json_carries_text_but_masks_pii(write_config) -> None:
    from alerts.privacy import mask_payload

    payload = mask_payload(hostile_payload())
    blob = json.dumps(payload, ensure_ascii=False)
    assert "13812345678" not in blob and "victim.name@example.com" not in blob
    assert payload["posts"][0]["title"].startswith("紧急")  # raw (escaped by JSON), per the contract
    assert payload["posts"][1]["url"] is None  # the javascript: link was dropped when the payload was built


def test_pii_masking_can_be_turned_off_per_channel(write_config) -> None:
    body = channel(write_config, "wecom", "mask_pii = false").body(notification())
    assert "13812345678" in body["markdown"]["content"]


@pytest.mark.parametrize("raw, masked", [
    ("电话 13812345678。", "电话 138****5678。"),
    ("+86 139-1234-5678", "+86 139****5678"),
    ("身份证 11010519900307123X", "身份证 110105***********X"),
    ("邮箱 zhang.san@example.com", "邮箱 z***@example.com"),
    ("卡号 6222021234567890123", "卡号 6222 **** 0123"),
    ("订单号 2026112212", "订单号 2026112212"),  # ten digits: not a phone
])
def test_mask_text(raw, masked) -> None:
    assert mask_text(raw) == masked
