"""E-mail rendering of one Message: a one-line subject, a plain-text part and an HTML part.

Everything from a feed is HTML-escaped (`html.escape`, quotes included) in the HTML part, only http(s)
links become anchors, and the subject is flattened to one line so a title with CR/LF cannot add headers.
"""

from __future__ import annotations

from html import escape

from alerts.render import Message, one_line

COLOURS = {"critical": "#c0392b", "warning": "#d35400", "notice": "#2c3e50"}


def subject(message: Message) -> str:
    return one_line(message.headline.replace("\r", " ").replace("\n", " "), 150)


def text_body(message: Message) -> str:
    lines = [message.headline, ""]
    lines += [f"{k}：{v}" for k, v in message.facts]
    if message.body:
        lines += ["", message.body]
    if message.signals:
        lines.append(f"危机信号：{'、'.join(message.signals)}")
    if message.keywords:
        lines.append(f"投诉关键词：{'、'.join(message.keywords[:10])}")
    if message.posts:
        lines += ["", "代表性负面帖子："]
        for i, p in enumerate(message.posts, 1):
            folded = p.folded_note
            lines += [f"{i}. {p.title or p.excerpt[:30]}", f"   {p.excerpt}",
                      f"   {p.source} · {p.author} · 阅读/互动 {p.reach}{folded} · {p.published}"]
            if p.url:
                lines.append(f"   {p.url}")
    if message.playbook:
        pb = message.playbook
        lines += ["", f"应对建议：{pb.get('title', '')}"]
        lines += [f"{i}. {s}" for i, s in enumerate(pb.get("steps") or [], 1)]
        if pb.get("avoid"):
            lines += ["切忌："] + [f"  × {a}" for a in pb["avoid"]]
        if pb.get("holding_statement"):
            lines += ["首次回应模板：", pb["holding_statement"]]
    if message.link:
        lines += ["", f"事件详情：{message.link}"]
    lines += ["", f"-- listener · 通知编号 {message.delivery_id}"]
    return "\n".join(lines) + "\n"


def _a(url: str | None, label: str) -> str:
    return f'<a href="{escape(url, quote=True)}">{escape(label)}</a>' if url else ""


def html_body(message: Message) -> str:
    colour = COLOURS.get(message.severity, COLOURS["warning"])
    out = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head>',
        '<body style="font-family:-apple-system,\'PingFang SC\',\'Microsoft YaHei\',sans-serif;color:#222">',
        f'<h2 style="color:{colour};margin:0 0 12px">{escape(message.headline)}</h2>',
        '<table style="border-collapse:collapse">',
    ]
    out += [f'<tr><th style="text-align:left;padding:2px 12px 2px 0">{escape(k)}</th><td>{escape(v)}</td></tr>'
            for k, v in message.facts]
    out.append("</table>")
    if message.body:
        out.append(f"<p>{escape(message.body)}</p>")
    if message.signals:
        out.append(f"<p><b>危机信号</b>：{escape('、'.join(message.signals))}</p>")
    if message.keywords:
        out.append(f"<p><b>投诉关键词</b>：{escape('、'.join(message.keywords[:10]))}</p>")
    if message.posts:
        out.append("<h3>代表性负面帖子</h3><ol>")
        for p in message.posts:
            folded = p.folded_note
            out.append(f"<li><b>{escape(p.title or p.excerpt[:30])}</b><br>{escape(p.excerpt)}<br>"
                       f'<small>{escape(p.source)} · {escape(p.author)} · 阅读/互动 {p.reach}{escape(folded)} · '
                       f"{escape(p.published)} {_a(p.url, '原文')}</small></li>")
        out.append("</ol>")
    if message.playbook:
        pb = message.playbook
        out.append(f"<h3>应对建议：{escape(str(pb.get('title', '')))}</h3><ol>")
        out += [f"<li>{escape(str(s))}</li>" for s in pb.get("steps") or []]
        out.append("</ol>")
        if pb.get("avoid"):
            out.append("<p><b>切忌</b></p><ul>" + "".join(f"<li>{escape(str(a))}</li>" for a in pb["avoid"]) + "</ul>")
        if pb.get("holding_statement"):
            out.append(f'<p><b>首次回应模板</b></p><blockquote>{escape(str(pb["holding_statement"]))}</blockquote>')
    if message.link:
        out.append(f"<p>{_a(message.link, '查看事件详情')}</p>")
    out.append(f'<p style="color:#888;font-size:12px">listener · 通知编号 {escape(message.delivery_id)}</p>')
    out.append("</body></html>")
    return "\n".join(out)
