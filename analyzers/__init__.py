"""Analyzers: clean Chinese text, find the brand, score sentiment, pull out keywords and crisis signals.

Pure functions over `RawItem` -> `Mention`; the only I/O is loading models and lexicons once.
"""

from analyzers.errors import AnalyzerError
from analyzers.pipeline import Analyzer, TextAnalysis
from analyzers.sentiment import SentimentSettings
from analyzers.types import BrandMatch, BrandSpec, Mention, Signal

__all__ = [
    "Analyzer", "AnalyzerError", "BrandMatch", "BrandSpec", "Mention", "SentimentSettings", "Signal",
    "TextAnalysis",
]
