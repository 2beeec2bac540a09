"""The digest's hourly chart as a PNG, drawn in pure Python (zlib + struct): no plotting library to install.

Why a PNG: mail clients do not agree on SVG (Gmail and Outlook drop it) or data: URIs (Gmail and
Outlook desktop block them), but every common client (Gmail, Outlook, Apple Mail, Thunderbird, QQ
Mail, Foxmail) shows a PNG attached inline and referenced as `cid:`. The archived copy and the
dashboard use the same PNG as a data: URI, which browsers show.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

NEGATIVE, NEUTRAL, POSITIVE = (216, 57, 49), (166, 171, 179), (46, 161, 33)
GRID, AXIS, TEXT, WHITE = (229, 230, 235), (143, 149, 158), (100, 106, 115), (255, 255, 255)

# 3x5 digits, one string of 15 bits per glyph, rows top to bottom: enough for hour labels and the scale.
_DIGITS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111",
}


class Canvas:
    def __init__(self, width: int, height: int, background: tuple[int, int, int] = WHITE):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x: int, y: int, w: int, h: int, color: tuple[int, int, int]) -> None:
        x0, y0, x1, y1 = max(0, x), max(0, y), min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        row = bytes(color) * (x1 - x0)
        for yy in range(y0, y1):
            start = (yy * self.width + x0) * 3
            self.pixels[start:start + len(row)] = row

    def text(self, x: int, y: int, digits: str, color: tuple[int, int, int], scale: int = 2) -> None:
        for i, char in enumerate(digits):
            glyph = _DIGITS.get(char)
            if glyph is None:
                continue
            for bit, on in enumerate(glyph):
                if on == "1":
                    self.rect(x + (i * 4 + bit % 3) * scale, y + (bit // 3) * scale, scale, scale, color)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[r * self.width * 3:(r + 1) * self.width * 3])
                       for r in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + \
            chunk(b"IEND", b"")


def text_width(digits: str, scale: int = 2) -> int:
    return (len(digits) * 4 - 1) * scale


def hourly_png(hourly: Sequence[dict[str, int]], *, width: int = 680, height: int = 200) -> bytes:
    """Stacked bars per hour (negative at the bottom, then neutral, positive), a scale, labels every 3 hours."""
    canvas = Canvas(width, height)
    left, right, top, bottom = 40, 8, 10, height - 24
    peak = max((h["volume"] for h in hourly), default=0) or 1
    plot_h = bottom - top
    for fraction in (0.0, 0.5, 1.0):
        y = bottom - round(plot_h * fraction)
        canvas.rect(left, y, width - left - right, 1, GRID if fraction else AXIS)
        label = str(round(peak * fraction))
        canvas.text(left - 6 - text_width(label), y - 5, label, TEXT)
    slot = (width - left - right) / max(1, len(hourly))
    bar = max(2, int(slot * 0.7))
    for hour, h in enumerate(hourly):
        x = left + int(hour * slot + (slot - bar) / 2)
        neutral = max(0, h["volume"] - h.get("negative", 0) - h.get("positive", 0))
        y = bottom
        for count, color in ((h.get("negative", 0), NEGATIVE), (neutral, NEUTRAL), (h.get("positive", 0), POSITIVE)):
            size = round(plot_h * count / peak)
            if size:
                canvas.rect(x, y - size, bar, size, color)
                y -= size
        if hour % 3 == 0:
            label = str(hour)
            canvas.text(x + bar // 2 - text_width(label) // 2, bottom + 8, label, TEXT)
    return canvas.png()
