"""The logging filter removes token-like text before anything is written."""

from __future__ import annotations

import logging

import pytest

from app.security.log_redaction import RedactingFilter, install_redaction, redact

ACCESS = "AgXyZ1234567890abcdefghijklmnopqrstuvwxYZ0987654321qwertyuiopASDF"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXN0cmluZy1oZXJl"


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {ACCESS}",
        f"GET /auth/callback?code={ACCESS[:30]}&state=abc",
        f'{{"access_token": "{ACCESS}", "expires_in": 3600}}',
        f"refresh_token={ACCESS}",
        f"id_token={JWT}",
        f"decoded {JWT} ok",
        f"client_secret={ACCESS[:20]}",
        f"stray {ACCESS} in a message",
        "stored v1:k1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo",
    ],
)
def test_token_like_text_is_redacted(text):
    cleaned = redact(text)
    assert "[redacted]" in cleaned
    assert ACCESS not in cleaned and JWT not in cleaned and ACCESS[:20] not in cleaned


def test_ordinary_messages_are_left_alone():
    text = "user 12 listed /home/alice on collection 0a1b2c3d-0000-4000-8000-123456789abc (404)"
    assert redact(text) == text


def test_filter_redacts_arguments_and_exception_text():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "token %s failed", (ACCESS,), None)
    try:
        raise ValueError(f"bad refresh_token={ACCESS}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert ACCESS not in record.getMessage()
    assert ACCESS not in record.exc_text


def test_every_record_is_redacted_even_on_handlers_added_later(caplog):
    install_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("sending Authorization: Bearer %s", ACCESS)
        logging.getLogger("other").warning("bad args %d", "not-a-number")
    assert ACCESS not in caplog.text and "sending Authorization: [redacted]" in caplog.text
    assert "unformattable" in caplog.text
