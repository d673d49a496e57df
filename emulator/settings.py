"""Run-time settings of one emulator process, from the command line (see emulator/cli.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EmulatorSettings:
    instance_dir: str
    host: str = "127.0.0.1"
    port: int = 8111
    reset: bool = False
    # Extra exact redirect URIs allowed for the portal client (tests on random ports add theirs).
    redirect_uris: list[str] = field(default_factory=list)
    access_token_lifetime: int = 172800  # Globus' own: 48 hours
    code_lifetime: int = 600
    # Bytes per second each transfer task may move; 0 = unthrottled.
    throughput: int = 0
    # Probability (0..1) that a file copy hits a transient fault (retried, shown as an event).
    fault_rate: float = 0.0
    # Create a folder with this many entries at start (0 = don't); also available on demand.
    big_folder_entries: int = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"
