"""Dictionary word segmentation with POS tags: jieba's own result (HMM off), in one pass, a few times faster.

jieba's `posseg.cut(text, HMM=False)` builds a DAG of dictionary words (a dict of lists), then a route
(a dict of tuples, via a generator and `max`), then walks it making a `pair` object per word, single
characters included. The keyword extractor only wants words of two or more characters with their tags, so
this does the same maximum-probability route over the same dictionary in one backward loop with plain
lists, and returns only those words. The words, their order and their tags are jieba's (tested).
"""

from __future__ import annotations

import re
from math import log

import jieba
import jieba.posseg

_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._]+)")  # jieba.posseg's re_han_internal: what it segments
_ALNUM1 = re.compile("^[a-zA-Z0-9]$")  # a single letter or digit: jieba glues runs of these into 'eng'
CACHE_BLOCKS = 200_000  # blocks remembered (a few tens of MB at most), then the cache starts over
CACHE_MAX_CHARS = 64  # longer blocks rarely recur and would make the cache's size unbounded in bytes


class Segmenter:
    """Reads jieba's dictionary live, so words added later (brand names) count, as they do for jieba."""

    def __init__(self, posseg: jieba.posseg.POSTokenizer | None = None):
        self._pos = posseg or jieba.posseg.dt
        self._tok = self._pos.tokenizer
        # Block -> its words. Posts repeat blocks (reposts, boilerplate, 转发微博, a brand's stock phrases);
        # the route of a block depends only on the dictionary: the cache starts over when a word is added
        # (jieba's total grows), and a hit whose words were deleted since (frequency 0) is recomputed.
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}
        self._dictionary: tuple[int, int] = (0, 0)

    def words(self, text: str) -> list[tuple[str, str]]:
        """(word, tag) for every word of at least two characters, in text order (single characters dropped)."""
        self._tok.check_initialized()
        self._pos.makesure_userdict_loaded()
        dictionary = (self._tok.total, len(self._tok.FREQ))
        if dictionary != self._dictionary or len(self._cache) > CACHE_BLOCKS:
            self._cache, self._dictionary = {}, dictionary
        cache, freq = self._cache, self._tok.FREQ
        out: list[tuple[str, str]] = []
        for block in _HAN.findall(text):
            if len(block) < 2:  # a one-character block holds no word of two
                continue
            words = cache.get(block)
            if words is None or not all(tag == "eng" or freq.get(word) for word, tag in words):
                found: list[tuple[str, str]] = []
                self._block(block, found)
                words = tuple(found)
                if len(block) <= CACHE_MAX_CHARS:
                    cache[block] = words
            out.extend(words)
        return out

    def _block(self, sentence: str, out: list[tuple[str, str]]) -> None:
        freq, tags = self._tok.FREQ, self._pos.word_tag_tab
        logtotal = log(self._tok.total)
        n = len(sentence)
        score = [0.0] * (n + 1)
        end = list(range(n + 1))
        for idx in range(n - 1, -1, -1):
            # jieba: max((log(FREQ.get(word) or 1) - logtotal + route[x + 1][0], x) for x in DAG[idx]);
            # the DAG holds every dictionary word starting at idx (frequency > 0), else the character alone.
            best = None
            i = idx
            frag = sentence[idx]
            while True:
                count = freq.get(frag)
                if count is None:  # not even a prefix of a dictionary word: no longer word starts here
                    break
                if count:  # 0: only a prefix of longer words
                    value = log(count) - logtotal + score[i + 1]
                    if best is None or value >= best:  # ties: the longer word, as max() over (score, x)
                        best, end[idx] = value, i
                i += 1
                if i == n:
                    break
                frag = sentence[idx:i + 1]
            score[idx] = -logtotal + score[idx + 1] if best is None else best
        x, buf = 0, ""
        while x < n:
            y = end[x] + 1
            word = sentence[x:y]
            if y - x == 1 and _ALNUM1.match(word):
                buf += word
            else:
                if len(buf) > 1:
                    out.append((buf, "eng"))
                buf = ""
                if y - x > 1:
                    out.append((word, tags.get(word, "x")))
            x = y
        if len(buf) > 1:
            out.append((buf, "eng"))
