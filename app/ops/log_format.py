"""Log line formats: one JSON object per line (production), readable text (development, demo).

Both carry the request id, put on each record by RequestIdFilter. Messages arrive already
redacted (app/security/log_redaction); the JSON formatter redacts message and traceback once
more, since a handler may get records from a factory installed after ours.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from app.ops.request_context import current_request_id
from app.security.log_redaction import redact

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """A handler filter that stamps each record with the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Set record.request_id (None outside a request) unless it has one; never drops it."""
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class TextLogFormatter(logging.Formatter):
    """Readable lines with the request id in brackets."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line, with "-" for a record outside any request (the record itself is not changed)."""
        values = dict(record.__dict__)
        values["request_id"] = values.get("request_id") or current_request_id() or "-"
        return TEXT_FORMAT % values


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (newlines inside values are escaped)."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT ("json" or "text")."""
    return JsonLogFormatter() if log_format == "json" else TextLogFormatter()
