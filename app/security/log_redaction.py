"""A logging filter that removes anything token-like from log records before they are written."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_PATTERNS = [
    # Authorization headers and similar "Bearer <token>" / "Basic <credentials>" text.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # key=value / "key": "value" pairs whose key names a secret.
    (
        re.compile(
            r"(?i)((?:access_token|refresh_token|id_token|token|client_secret|secret|password|code"
            r"|code_verifier|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]{6,}"
        ),
        r"\1" + REDACTED,
    ),
    # JWTs (three base64url parts starting with a JSON header).
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Our own ciphertexts are not secrets, but have no business in logs either.
    (re.compile(r"\bv1:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{20,}"), REDACTED),
    # Any other long opaque run of letters and digits (Globus tokens are 40+ of them).
    (re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{40,}"), REDACTED),
]


def redact(text: str) -> str:
    """Return `text` with token-like substrings replaced by "[redacted]"."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Merge the arguments into the message and redact it and any exception text, in place."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        # Mismatched %-arguments: logging would report it at emit time; keep the raw text instead.
        message = f"{record.msg} [unformattable log arguments]"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


class RedactingFilter(logging.Filter):
    """A handler filter that redacts each record passing through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        redact_record(record)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Redact every record this process creates, and guard the handlers of `logger` too.

    The record factory covers handlers added later (gunicorn's, a test's capture handler); the
    handler filters cover records made by a factory someone else installs after us.
    """
    _install_record_factory()
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())


def _install_record_factory() -> None:
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_tokens", False):
        return

    def redacting_factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    redacting_factory.redacts_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
