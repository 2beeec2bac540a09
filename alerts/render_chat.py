"""Chat renderings of one Message: DingTalk and WeCom markdown, Slack blocks, a Feishu post.

Mention text is attacker-controlled. Chat markdown dialects differ in what they support and none has a
reliable escape (DingTalk and WeCom ignore backslashes; Slack's mrkdwn has none for `*_~`), so every
markup character in text we did not write is replaced by its full-width twin: `[点我](http://x)` shows as
［点我］（http://x） and is no link, `<script>` shows as ＜script＞, `@all` shows as ＠all and pings nobody,
`**` and `#` lose their meaning. Chinese readers see the same text. Newlines are flattened by render.py.
Feishu posts are structured (every text run is a plain `text` tag), so there only links need care.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from alerts.render import Message, RenderedPost

_DEFANG = str.maketrans({
    "*": "＊", "_": "＿", "`": "｀", "[": "［", "]": "］", "(": "（", ")": "）", "#": "＃", "<": "＜", ">": "＞",
    "!": "！", "|": "｜", "~": "～", "@": "＠", "&": "＆", "\\": "＼", "{": "｛", "}": "｝", "$": "＄",
})
MAX_POSTS = 5


def defang(text: Any) -> str:
    return str(text or "").translate(_DEFANG)


def link_target(url: str) -> str:
    """A URL safe inside `(...)` / `<...|...>`: characters that would end the link are percent-encoded."""
    return quote(url, safe=":/?=&%#+,;~.-_!*'@$")


def _post_line(i: int, post: RenderedPost, *, link: str) -> str:
    folded = post.folded_note
    head = f"{i}. {defang(post.title or post.excerpt[:30])}"
    meta = f"{defang(post.source)} · {defang(post.author)} · 阅读/互动 {post.reach}{folded} · {post.published}"
    tail = link.format(url=link_target(post.url)) if post.url else ""
    return f"{head}\n> {defang(post.excerpt)}\n> {meta} {tail}".rstrip()


def markdown(message: Message, *, flavour: str = "dingtalk", budget: int = 3800) -> str:
    """DingTalk / WeCom markdown. WeCom caps content at 4096 bytes, so posts are dropped to fit the budget."""
    def bold(s: str) -> str:
        return f"**{s}**"

    if flavour == "wecom":
        colour = {"critical": "warning", "notice": "info"}.get(message.severity, "comment")
        title = f'### <font color="{colour}">{defang(message.headline)}</font>'
    else:
        title = f"### {defang(message.headline)}"
    head = [title] + [f"- {bold(defang(k))}：{defang(v)}" for k, v in message.facts]
    if message.body:
        head.append(defang(message.body))
    if message.signals:
        head.append(f"{bold('危机信号')}：{defang('、'.join(message.signals))}")
    if message.keywords:
        head.append(f"{bold('投诉关键词')}：{defang('、'.join(message.keywords[:10]))}")
    tail = []
    if message.playbook:
        pb = message.playbook
        tail.append(f"{bold('应对建议')}：{defang(pb.get('title'))}")
        tail += [f"{i}. {defang(step)}" for i, step in enumerate(pb.get("steps") or [], 1)]
        if pb.get("avoid"):
            tail.append(f"{bold('切忌')}：" + "；".join(defang(a) for a in pb["avoid"]))
        if pb.get("holding_statement"):
            tail.append(f"{bold('首次回应模板')}：{defang(pb['holding_statement'])}")
    if message.link:
        tail.append(f"[查看事件详情]({link_target(message.link)})")
    posts = [_post_line(i, p, link="[原文]({url})") for i, p in enumerate(message.posts[:MAX_POSTS], 1)]
    while True:
        parts = head + ([bold("代表性负面帖子"), *posts] if posts else []) + tail
        text = "\n\n".join(parts)
        if len(text.encode("utf-8")) <= budget or not (posts or tail):
            break
        if posts:
            posts.pop()
        else:
            tail.pop(0)  # the playbook shrinks last, the link survives longest
    return text


def slack_blocks(message: Message) -> dict[str, Any]:
    """Slack incoming-webhook body: `text` (notification fallback) and Block Kit blocks."""
    def section(text: str) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}

    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": message.headline[:150]}}]
    facts = "\n".join(f"*{defang(k)}*：{defang(v)}" for k, v in message.facts)
    if facts:
        blocks.append(section(facts))
    if message.body:
        blocks.append(section(defang(message.body)))
    extra = []
    if message.signals:
        extra.append(f"*危机信号*：{defang('、'.join(message.signals))}")
    if message.keywords:
        extra.append(f"*投诉关键词*：{defang('、'.join(message.keywords[:10]))}")
    if extra:
        blocks.append(section("\n".join(extra)))
    if message.posts:
        blocks.append({"type": "divider"})
        for i, post in enumerate(message.posts[:MAX_POSTS], 1):
            blocks.append(section(_post_line(i, post, link="<{url}|原文>")))
    if message.playbook:
        pb = message.playbook
        lines = [f"*应对建议*：{defang(pb.get('title'))}"]
        lines += [f"{i}. {defang(step)}" for i, step in enumerate(pb.get("steps") or [], 1)]
        blocks.append({"type": "divider"})
        blocks.append(section("\n".join(lines)))
        if pb.get("avoid"):
            blocks.append(section("*切忌*：" + "；".join(defang(a) for a in pb["avoid"])))
        if pb.get("holding_statement"):
            blocks.append(section(f"*首次回应模板*：{defang(pb['holding_statement'])}"))
    if message.link:
        blocks.append(section(f"<{link_target(message.link)}|查看事件详情>"))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"listener · {message.delivery_id}"}]})
    return {"text": defang(message.headline), "blocks": blocks[:50]}


def feishu_post(message: Message) -> dict[str, Any]:
    """Feishu/Lark rich-text `post` content: a title and lines of `text` / `a` runs (text runs are never markup)."""
    def text(s: str) -> dict[str, str]:
        return {"tag": "text", "text": s}

    lines: list[list[dict[str, str]]] = [[text(f"{k}：{v}")] for k, v in message.facts]
    if message.body:
        lines.append([text(message.body)])
    if message.signals:
        lines.append([text("危机信号：" + "、".join(message.signals))])
    if message.keywords:
        lines.append([text("投诉关键词：" + "、".join(message.keywords[:10]))])
    for i, post in enumerate(message.posts[:MAX_POSTS], 1):
        folded = post.folded_note
        lines.append([text(f"{i}. {post.title or post.excerpt[:30]}")])
        run = [text(f"    {post.excerpt}（{post.source} · {post.author} · 阅读/互动 {post.reach}{folded} · "
                    f"{post.published}） ")]
        if post.url:
            run.append({"tag": "a", "text": "原文", "href": post.url})
        lines.append(run)
    if message.playbook:
        pb = message.playbook
        lines.append([text(f"应对建议：{pb.get('title', '')}")])
        lines += [[text(f"{i}. {step}")] for i, step in enumerate(pb.get("steps") or [], 1)]
        if pb.get("avoid"):
            lines.append([text("切忌：" + "；".join(map(str, pb["avoid"])))])
        if pb.get("holding_statement"):
            lines.append([text(f"首次回应模板：{pb['holding_statement']}")])
    if message.link:
        lines.append([{"tag": "a", "text": "查看事件详情", "href": message.link}])
    return {"post": {"zh_cn": {"title": message.headline, "content": lines}}}
