"""Alerting errors; `DeliveryError.retryable` tells the outbox whether to try again."""


class AlertError(Exception):
    """Base for the alerting layer."""


class DeliveryError(AlertError):
    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(f"deliver: {message}")
        self.retryable = retryable
