"""The parts of a running emulator's emulator.json the benchmarks need, with its control API."""

from __future__ import annotations

from typing import Any

import requests


class EmulatorInfo:
    """The bits of emulator.json the login helpers need (base URL, users, clients)."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self.base_url = manifest["base_url"]
        self.services = manifest["services"]

    def user(self, username: str) -> dict[str, Any]:
        wanted = username if "@" in username else f"{username}@example.edu"
        return next(u for u in self.manifest["users"] if u["username"] == wanted)

    def client(self, name: str) -> dict[str, Any]:
        return self.manifest["clients"][name]

    def collection(self, kind_name: str) -> dict[str, Any]:
        return next(c for c in self.manifest["collections"] if c["display_name"] == kind_name)

    def control(self, path: str, body: dict[str, Any]) -> requests.Response:
        control = self.manifest["control"]
        return requests.post(
            f"{self.base_url}/_emulator/{path}", json=body, auth=(control["username"], control["password"]), timeout=600
        )
