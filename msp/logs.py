"""Logging helpers (settings.LOGGING)."""

import logging


class OneLineClientErrors(logging.Filter):
    """A refused request (403, 404, 400...) is the client's mistake, not the server's: Django
    logs it with the exception's traceback; keep its one line ("Forbidden (Permission
    denied): /tickets/7/") and drop the traceback. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
