"""Keywords: TF-IDF (default) or TextRank terms from jieba.analyse, minus stopwords and the brand's own names.

TF-IDF suits single posts (jieba's IDF table knows which words are rare); TextRank, which ranks words by
co-occurrence, suits longer texts and batches such as an incident's posts joined together.
"""

from __future__ import annotations

from collections.abc import Iterable

import jieba.analyse

from analyzers.resources import bundled, read_text
from analyzers.segment import Segmenter

_ALLOWED_POS = ("n", "nr", "ns", "nt", "nz", "vn", "v", "a", "an", "eng")


class KeywordExtractor:
    """Loads the stopword list once; `extract` is then a pure function of the text."""

    def __init__(self, stopwords: Iterable[str] | None = None, ignore: Iterable[str] = ()):
        if stopwords is None:
            stopwords = read_text(bundled("lexicons", "stopwords.txt")).split()
        self._stop = {w.strip().lower() for w in stopwords if w.strip()}
        self._ignore = {w.lower() for w in ignore}
        self._tfidf = jieba.analyse.TFIDF()
        self._textrank = jieba.analyse.TextRank()
        self._segmenter = Segmenter(self._tfidf.postokenizer)

    def extract(self, text: str, top: int = 8, method: str = "tfidf") -> tuple[str, ...]:
        if not text.strip():
            return ()
        if method == "textrank":
            words = self._textrank.textrank(text, topK=top * 3, allowPOS=_ALLOWED_POS)
        elif method == "tfidf":
            words = self._tfidf_terms(text, top * 3)
        else:
            raise ValueError(f"keywords: unknown method {method!r} (tfidf or textrank)")
        kept = [
            w for w in words
            if len(w) > 1 and w.lower() not in self._stop and w.lower() not in self._ignore and not w.isdigit()
        ]
        return tuple(kept[:top])

    def _tfidf_terms(self, text: str, top: int) -> list[str]:
        """jieba's TF-IDF ranking over POS-tagged words, without the HMM pass for unknown stretches.

        That HMM (a Viterbi over every POS tag) was three quarters of all analysis time; what it adds are
        out-of-dictionary guesses, more often fragments (我特, 这比) than words. Brand names are in the
        dictionary (`BrandMatcher` adds them), so they are never lost.
        """
        freq: dict[str, float] = {}
        for word, flag in self._segmenter.words(text):
            if flag not in _ALLOWED_POS or word.lower() in self._stop:
                continue
            freq[word] = freq.get(word, 0.0) + 1.0
        total = sum(freq.values()) or 1.0
        idf, median = self._tfidf.idf_freq, self._tfidf.median_idf
        return sorted(freq, key=lambda w: (-freq[w] * idf.get(w, median) / total, w))[:top]
