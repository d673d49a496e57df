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


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (arguments merged in) and exception text, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of `logger` (default: root) that lacks one."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())
