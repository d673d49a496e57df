"""A real local SMTP server for the demo and the tests: every message it receives becomes a .eml file.

Built on aiosmtpd (threaded controller). It listens on 127.0.0.1 only and accepts any sender and
recipient: it is a mailbox for reading what the gateway sends, not a relay.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class _SaveToFolder:
    """aiosmtpd handler: write each accepted message to the folder, one file per message."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        with self._lock:
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{next(self._counter):05d}.eml"
        data = envelope.original_content or envelope.content
        path = self.folder / name
        # Written under a temporary name and renamed, so a reader never sees half a message.
        partial = path.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data if isinstance(data, bytes) else str(data).encode())
        partial.rename(path)
        return "250 Message accepted for delivery"


class LocalMailbox:
    """An SMTP server on 127.0.0.1 that stores what it receives in `folder` as .eml files."""

    def __init__(self, folder: Path, port: int = 0):
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._controller = Controller(_SaveToFolder(self.folder), hostname="127.0.0.1", port=port or _free_port())

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """The SMTP_URL for the gateway."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> LocalMailbox:
        """Start listening (a background thread)."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default) for path in sorted(self.folder.glob("*.eml"))
        ]

    def messages_to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to `address`."""
        return [message for message in self.messages() if address in str(message.get("To", ""))]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
