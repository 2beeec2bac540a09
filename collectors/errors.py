"""The collector error hierarchy; messages start with the stage that failed."""


class CollectorError(Exception):
    """Base for everything a collector can fail with."""


class FetchError(CollectorError):
    """The source could not be fetched (network, HTTP status, size cap)."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None):
        super().__init__(f"fetch: {message}")
        self.retryable = retryable
        self.retry_after = retry_after


class ParseError(CollectorError):
    """The fetched document is not something we can read as a feed."""

    def __init__(self, message: str):
        super().__init__(f"parse: {message}")
