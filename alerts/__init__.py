"""Alerts: spike detection, incident lifecycle, notifications, the daily digest and response playbooks.

Never fetches feeds or runs NLP: it is handed counts, Mentions and settings by the daemon.
"""

from alerts.errors import AlertError, DeliveryError
from alerts.types import Incident, Notification

__all__ = ["AlertError", "DeliveryError", "Incident", "Notification"]
