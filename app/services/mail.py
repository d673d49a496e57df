"""Email over SMTP, configured by one URL: smtp://[user:password@]host:port or smtps://host:port.

Plain smtp:// upgrades to TLS with STARTTLS whenever the server offers it; smtps:// speaks TLS
from the first byte. Credentials, when given, are sent only over TLS.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_SECONDS = 20


class MailUnavailable(RuntimeError):
    """The SMTP server could not be reached or failed for now: try again later."""


class MailRefused(RuntimeError):
    """The SMTP server refused this message for good (recipient or sender rejected)."""


class MailConfigError(ValueError):
    """SMTP_URL does not describe an SMTP server."""


@dataclass(frozen=True)
class Message:
    """One plain-text email to one person."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, parsed from SMTP_URL."""

    host: str
    port: int
    use_ssl: bool
    username: str | None
    password: str | None

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return f"SmtpServer({self.host}:{self.port}, ssl={self.use_ssl}, auth={self.username is not None})"


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://host:port, smtps://host:port, optionally with user:password@."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError("SMTP_URL must look like smtp://host:port or smtps://host:port.")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise MailConfigError("SMTP_URL has a port that is not a number.") from None
    return SmtpServer(
        host=parts.hostname,
        port=port,
        use_ssl=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(sender: str, message: Message) -> EmailMessage:
    """The MIME message for `message` from `sender`."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="science-gateway")
    email.set_content(message.body)
    return email


def send(config: Mapping[str, Any], message: Message) -> None:
    """Send `message` through the configured SMTP server (MailUnavailable / MailRefused on failure)."""
    server = parse_smtp_url(config["SMTP_URL"])
    email = build_message(config["MAIL_FROM"], message)
    try:
        with _connect(server) as smtp:
            smtp.send_message(email)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise MailRefused(f"the mail server refused the message: {type(exc).__name__}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailUnavailable(f"the mail server did not take the message: {type(exc).__name__}") from exc


def _connect(server: SmtpServer) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    secure = server.use_ssl
    if server.use_ssl:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
            secure = True
    if server.username is not None:
        if not secure:
            smtp.close()
            raise MailUnavailable("the mail server offers no TLS; refusing to send the password in clear")
        smtp.login(server.username, server.password or "")
    return smtp
