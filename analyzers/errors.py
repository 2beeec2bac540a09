"""Analyzer errors: a model or lexicon that cannot be loaded."""


class AnalyzerError(Exception):
    """Base for analyzer failures; the message starts with the stage (`sentiment:`, `lexicon:`)."""
