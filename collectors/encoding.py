"""Decode fetched bytes to text from evidence, never from a guess about `.text`.

Chinese sources lie about encodings in every direction: GBK pages served as
`charset=utf-8`, UTF-8 feeds still declaring `gb2312`, Big5 blogs declaring nothing.
The order of evidence, strongest first:

1. a byte-order mark;
2. the bytes are valid UTF-8 and not plain ASCII (random GBK/Big5 almost never is);
3. the document's own declaration (`<?xml encoding=…?>`, `<meta charset=…>`), then the
   HTTP header — each only if the bytes decode under it without a single error;
4. undeclared (or every declaration failed): GB18030 and Big5 scored by how many of the
   decoded characters are common Han characters in that encoding; the better one wins.

GB2312 and GBK are read as GB18030, their superset, so a GBK character in a "gb2312" page
is not lost. Only when nothing decodes cleanly are bad bytes replaced (U+FFFD), so one bad
byte never loses a whole feed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Read the common Chinese encodings as their supersets: a "gb2312" page routinely holds GBK characters.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
              "big5": "big5hkscs", "cp950": "big5hkscs", "iso-8859-1": "cp1252", "latin-1": "cp1252",
              "us-ascii": "utf-8", "ascii": "utf-8"}
_UNICODE = frozenset({"utf-8", "utf-16", "utf-32"})
_WEAK = frozenset({"cp1252", "latin-1", "iso8859-15", "ascii"})


@dataclass(frozen=True)
class Decoded:
    """The text and how we knew: `source` is bom, utf-8, declared, header, detected or replaced."""

    text: str
    encoding: str
    source: str


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    try:
        canonical = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(label, _SUPERSETS.get(canonical, canonical))


def declared_encoding(body: bytes) -> str | None:
    """The encoding the document names itself (XML declaration or HTML meta), if any."""
    head = body[:4096]
    match = _XML_DECL.match(head) or _META.search(head)
    return match.group(1).decode("ascii") if match else None


def header_encoding(content_type: str | None) -> str | None:
    match = _HEADER.search(content_type or "")
    return match.group(1) if match else None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_allowing_truncation(body: bytes) -> str | None:
    """Strict UTF-8, except that a character cut off by a truncated download is dropped, not fatal."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return None


def _common_han_share(text: str, encoding: str) -> float:
    """Share of Han characters that sit in the encoding's frequent-character block."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    common = 0
    for char in han:
        try:
            lead = char.encode(encoding)[0]
        except UnicodeEncodeError:
            continue
        # GB2312 level 1 (3,755 most used, lead 0xB0-0xD7); Big5 frequent block (5,401, lead 0xA4-0xC6).
        if (encoding == "gb2312" and 0xB0 <= lead <= 0xD7) or (encoding == "big5" and 0xA4 <= lead <= 0xC6):
            common += 1
    return common / len(han)


def _detect_chinese(body: bytes) -> Decoded | None:
    candidates = []
    for codec, scorer in (("gb18030", "gb2312"), ("big5hkscs", "big5")):
        text = _strict(body, codec)
        if text is not None:
            candidates.append((_common_han_share(text, scorer), codec, text))
    if not candidates:
        return None
    score, codec, text = max(candidates)
    return Decoded(text, codec, "detected") if score > 0 or len(candidates) == 1 else None


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a document; see the module docstring for the order of evidence."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return Decoded(body.decode(codec, errors="replace"), codec.replace("-sig", ""), "bom")
    utf8 = _utf8_allowing_truncation(body)
    if utf8 is not None and not body.isascii():
        return Decoded(utf8, "utf-8", "utf-8")
    declared, header = _codec(declared_encoding(body)), _codec(header_encoding(content_type))
    claims = [(c, s) for c, s in ((declared, "declared"), (header, "header")) if c and c not in _UNICODE]
    for codec, source in claims:
        if codec not in _WEAK and (text := _strict(body, codec)) is not None:
            return Decoded(text, codec, source)
    if utf8 is not None:
        return Decoded(utf8, "utf-8", "utf-8")
    # Western single-byte claims decode anything, so they are the usual lie (an old server default):
    # Chinese bytes that decode cleanly as Chinese win over them.
    detected = _detect_chinese(body)
    if detected is not None:
        return detected
    for codec, source in claims:
        if (text := _strict(body, codec)) is not None:
            return Decoded(text, codec, source)
    fallback = declared or header or "utf-8"
    return Decoded(body.decode(fallback, errors="replace"), fallback, "replaced")
