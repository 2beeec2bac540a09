"""Text normalisation: HTML to text, 繁 -> 简, full-width -> half-width, social-media furniture pulled out.

The display text keeps what the author wrote; the clean text is what every analyser reads.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from analyzers.htmltext import visible_text

MAX_TEXT_CHARS = 20_000  # a post longer than this is truncated for analysis; nobody reads further

_URL = re.compile(r"https?://[^\s<>\"'，。！？）】]+", re.IGNORECASE)
_HANDLE = re.compile(r"@([\w\u4e00-\u9fff·\-]{1,30})")
_TOPIC = re.compile(r"#([^#\n]{1,60})#")
_EMOTICON = re.compile(r"\[([\u4e00-\u9fffA-Za-z]{1,8})\]")
# A Han character followed by its pinyin in brackets, as some converted pages carry: 技術(shù), 營銷(yíng xiāo),
# 技术(ji4 shu4). A tone mark or a tone digit is required, so 苹果(Apple) or 中国(China) is left alone.
_PY = r"[a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ]{1,7}[1-5]?"
_TONED = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]|[a-zü][1-5]\b")
_PINYIN_CANDIDATE = re.compile(rf"(?<=[\u4e00-\u9fff])[(（]\s?{_PY}(?:[ \-']{_PY}){{0,5}}\s?[)）]")
_KEEP_FULLWIDTH = set("，。！？：；（）")  # Chinese punctuation stays as written
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t\r\f\v\u3000\xa0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
MAX_HTML_CHARS = 20 * MAX_TEXT_CHARS  # markup beyond this is never parsed: the display text is capped anyway
_TAG_HINT = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")


@dataclass(frozen=True)
class NormalizedText:
    display: str
    clean: str
    urls: tuple[str, ...]
    handles: tuple[str, ...]
    topics: tuple[str, ...]
    emoticons: tuple[str, ...]


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment; plain text passes through untouched."""
    if not _TAG_HINT.search(value):
        return value
    return visible_text(value[:MAX_HTML_CHARS])  # linear in depth; markup past the cap is never read


def tidy(value: str) -> str:
    """Remove control and bidi characters, collapse runs of spaces and blank lines."""
    value = _CONTROL.sub("", value)
    value = _SPACES.sub(" ", value)
    value = _BLANK_LINES.sub("\n", value)
    return "\n".join(line.strip() for line in value.split("\n")).strip()


_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in _KEEP_FULLWIDTH}
_HALFWIDTH[0x3000] = ord(" ")


def to_halfwidth(value: str) -> str:
    """Full-width ASCII forms (ＡＢＣ１２３ ＠ ＃ ［ ］) to ASCII; Chinese punctuation (，。！？：；（）) stays.

    One `str.translate` (C) instead of a Python loop per character: that loop was 7% of analysis."""
    if value.isascii():
        return value
    return value.translate(_HALFWIDTH)


def strip_pinyin_notes(value: str) -> str:
    """Remove `(pinyin)` notes after Han characters; a bracket without a tone is kept (it may be a name)."""
    return _PINYIN_CANDIDATE.sub(lambda m: "" if _TONED.search(m.group(0)) else m.group(0), value)


def to_simplified(value: str) -> str:
    return _t2s().convert(value)


def normalize(title: str, text: str) -> NormalizedText:
    """Both forms of a post: display text and analysis text, plus URLs, @handles, #topics# and [emoticons]."""
    body = tidy(html_to_text((text or "")[:MAX_HTML_CHARS]))  # huge input: markup past the cap is never read
    heading = tidy(html_to_text(title or ""))
    if heading and body.startswith(heading):
        heading = ""  # RSSHub often repeats the post's start as its title
    display = (f"{heading}\n{body}" if heading and body else heading or body)[:MAX_TEXT_CHARS]
    display = unicodedata.normalize("NFC", display)
    urls = tuple(dict.fromkeys(_URL.findall(display)))
    clean = _URL.sub(" ", display)
    clean = to_simplified(to_halfwidth(strip_pinyin_notes(clean)))
    clean = tidy(clean)
    return NormalizedText(
        display=display,
        clean=clean,
        urls=urls,
        handles=tuple(dict.fromkeys(_HANDLE.findall(clean))),
        topics=tuple(dict.fromkeys(t.strip() for t in _TOPIC.findall(clean) if t.strip())),
        emoticons=tuple(_EMOTICON.findall(clean)),
    )
