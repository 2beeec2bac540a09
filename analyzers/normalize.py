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
# A Han character followed by its pinyin in brackets, as some converted pages carry: 技術(shù)
_PINYIN_NOTE = re.compile(r"(?<=[\u4e00-\u9fff])[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹ]{1,8}\d?[)）]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
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


def to_halfwidth(value: str) -> str:
    """Full-width Latin letters and digits to ASCII; Chinese punctuation stays as written."""
    out = []
    for char in value:
        code = ord(char)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(chr(code - 0xFEE0))
        elif code == 0x3000:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def to_simplified(value: str) -> str:
    return _t2s().convert(value)


def normalize(title: str, text: str) -> NormalizedText:
    """Both forms of a post: display text and analysis text, plus URLs, @handles, #topics# and [emoticons]."""
    body = tidy(html_to_text(text or ""))
    heading = tidy(html_to_text(title or ""))
    if heading and body.startswith(heading):
        heading = ""  # RSSHub often repeats the post's start as its title
    display = (f"{heading}\n{body}" if heading and body else heading or body)[:MAX_TEXT_CHARS]
    display = unicodedata.normalize("NFC", display)
    urls = tuple(dict.fromkeys(_URL.findall(display)))
    clean = _URL.sub(" ", display)
    clean = _PINYIN_NOTE.sub("", clean)
    clean = to_simplified(to_halfwidth(clean))
    clean = tidy(clean)
    return NormalizedText(
        display=display,
        clean=clean,
        urls=urls,
        handles=tuple(dict.fromkeys(_HANDLE.findall(clean))),
        topics=tuple(dict.fromkeys(t.strip() for t in _TOPIC.findall(clean) if t.strip())),
        emoticons=tuple(_EMOTICON.findall(clean)),
    )
