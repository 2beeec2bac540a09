"""Keywords: TF-IDF terms from jieba.analyse, minus stopwords and the brand's own names."""

from __future__ import annotations

from collections.abc import Iterable

import jieba.analyse

from analyzers.resources import bundled, read_text

_ALLOWED_POS = ("n", "nr", "ns", "nt", "nz", "vn", "v", "a", "an", "eng")


class KeywordExtractor:
    """Loads the stopword list once; `extract` is then a pure function of the text."""

    def __init__(self, stopwords: Iterable[str] | None = None, ignore: Iterable[str] = ()):
        if stopwords is None:
            stopwords = read_text(bundled("lexicons", "stopwords.txt")).split()
        self._stop = {w.strip().lower() for w in stopwords if w.strip()}
        self._ignore = {w.lower() for w in ignore}
        self._tfidf = jieba.analyse.TFIDF()

    def extract(self, text: str, top: int = 8) -> tuple[str, ...]:
        if not text.strip():
            return ()
        words = self._tfidf.extract_tags(text, topK=top * 3, allowPOS=_ALLOWED_POS)
        kept = [
            w for w in words
            if len(w) > 1 and w.lower() not in self._stop and w.lower() not in self._ignore and not w.isdigit()
        ]
        return tuple(kept[:top])
