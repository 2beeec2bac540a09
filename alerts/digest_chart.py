"""The digest's hourly chart as a PNG, drawn with Pillow: anti-aliased axis labels in a real font.

Why a PNG: mail clients do not agree on SVG (Gmail and Outlook drop it) or data: URIs (Gmail and
Outlook desktop block them), but every common client (Gmail, Outlook, Apple Mail, Thunderbird, QQ
Mail, Foxmail) shows a PNG attached inline and referenced as `cid:`. The archived copy and the
dashboard use the same PNG as a data: URI, which browsers show.

Why this size: the image is shown at the email's full content width (704 CSS px on a desktop,
about 340 on a phone), so it is drawn at 1040 x 400 with 28 px labels: sharp on desktop and retina
screens, and the labels stay legible when a phone shrinks the picture to a third.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

NEGATIVE, NEUTRAL, POSITIVE = (216, 57, 49), (166, 171, 179), (46, 161, 33)
GRID, AXIS, TEXT, STRONG, WHITE = (229, 230, 235), (143, 149, 158), (100, 106, 115), (31, 35, 41), (255, 255, 255)

WIDTH, HEIGHT = 1040, 400
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 40, HEIGHT - 52  # plot area; labels live in the margins
FONT_SIZE = 28
# Fonts with CJK glyphs, most common first: Debian/Ubuntu (fonts-noto-cjk, fonts-wqy), macOS, Windows.
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


@lru_cache(maxsize=4)
def label_font(size: int = FONT_SIZE) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """A CJK-capable font when the machine has one (then hour labels read 9时), else Pillow's own."""
    for candidate in CJK_FONTS:
        if Path(candidate).is_file():
            try:
                return ImageFont.truetype(candidate, size), True
            except OSError:
                continue
    return ImageFont.load_default(size=size), False


def nice_ceiling(peak: int) -> int:
    """The scale's top: a round even number at or above the peak, so the top and middle gridlines carry
    whole, round numbers (12 and 6, 50 and 25, 200 and 100)."""
    for magnitude in (10 ** k for k in range(12)):
        for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            top = round(step * magnitude)
            if top >= max(peak, 4) and top % 2 == 0:
                return top
    return peak + peak % 2


def bar_center(hour: int, slots: int = 24) -> int:
    slot = (WIDTH - LEFT - RIGHT) / slots
    return LEFT + int(hour * slot + slot / 2)


def hourly_png(hourly: Sequence[dict[str, int]]) -> bytes:
    """Stacked bars per hour (negative at the bottom, then neutral, positive), a scale, labels every 3 hours."""
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    font, cjk = label_font()
    peak = max((h["volume"] for h in hourly), default=0)
    peak_hour = next((hour for hour, h in enumerate(hourly) if h["volume"] == peak), None)
    top = nice_ceiling(peak)
    plot_h = BOTTOM - TOP
    for fraction in (0.0, 0.5, 1.0):
        y = BOTTOM - round(plot_h * fraction)
        draw.line([(LEFT, y), (WIDTH - RIGHT, y)], fill=AXIS if fraction == 0 else GRID, width=2 if not fraction else 1)
        draw.text((LEFT - 12, y), str(round(top * fraction)), font=font, fill=TEXT, anchor="rm")
    slots = max(1, len(hourly))
    bar = max(4, int((WIDTH - LEFT - RIGHT) / slots * 0.72))
    for hour, h in enumerate(hourly):
        x = bar_center(hour, slots) - bar // 2
        neutral = max(0, h["volume"] - h.get("negative", 0) - h.get("positive", 0))
        y = BOTTOM
        for count, color in ((h.get("negative", 0), NEGATIVE), (neutral, NEUTRAL), (h.get("positive", 0), POSITIVE)):
            size = round(plot_h * count / top)
            if size:
                draw.rectangle([x, y - size, x + bar - 1, y - 1], fill=color)
                y -= size
        if peak and hour == peak_hour:  # the busiest hour's total, once: the caption names the hour too
            draw.text((x + bar // 2, y - 6), str(peak), font=font, fill=STRONG, anchor="md")
        if hour % 3 == 0:
            draw.text((x + bar // 2, BOTTOM + 10), f"{hour}时" if cjk else f"{hour}h", font=font, fill=TEXT,
                      anchor="ma")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
