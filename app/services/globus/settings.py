"""What the Globus clients need to know about this portal, handed to them by the caller.

Nothing in app/services/globus/ reads Flask's config, `g` or `current_app`: the service layer
builds one GlobusSettings from the configuration (app/services/user_clients.py) and passes it,
with a user's tokens, to the client factories. So this package can run anywhere: a page, the
worker, a script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REAL_GLOBUS_AUTH_URL = "https://auth.globus.org/"
SERVICES = ("auth", "transfer", "search")


@dataclass(frozen=True)
class GlobusSettings:
    """The portal's client credentials, service URLs (None: real Globus) and call limits."""

    client_id: str | None
    client_secret: str | None = None
    auth_url: str | None = None
    transfer_url: str | None = None
    search_url: str | None = None
    auth_issuer: str | None = None
    http_timeout: float = 10.0
    max_retries: int = 1
    worker_http_timeout: float = 60.0
    worker_max_retries: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GlobusSettings:
        """Read the GLOBUS_* / WORKER_* settings of the portal's configuration."""
        return cls(
            client_id=config.get("GLOBUS_CLIENT_ID"),
            client_secret=config.get("GLOBUS_CLIENT_SECRET"),
            auth_url=config.get("GLOBUS_AUTH_URL"),
            transfer_url=config.get("GLOBUS_TRANSFER_URL"),
            search_url=config.get("GLOBUS_SEARCH_URL"),
            auth_issuer=config.get("GLOBUS_AUTH_ISSUER"),
            http_timeout=float(config.get("GLOBUS_HTTP_TIMEOUT", 10.0)),
            max_retries=int(config.get("GLOBUS_MAX_RETRIES", 1)),
            worker_http_timeout=float(config.get("WORKER_HTTP_TIMEOUT", 60.0)),
            worker_max_retries=int(config.get("WORKER_MAX_RETRIES", 5)),
        )

    def timeout(self, for_worker: bool) -> float:
        """Seconds to wait for one answer: short for a page, longer for a background job."""
        return self.worker_http_timeout if for_worker else self.http_timeout

    def retries(self, for_worker: bool) -> int:
        """How often a failed call is retried: rarely for a page, more for a background job."""
        return self.worker_max_retries if for_worker else self.max_retries

    def service_url(self, service: str) -> str | None:
        """The configured base URL of `service` (auth, transfer, search), None for real Globus."""
        return {"auth": self.auth_url, "transfer": self.transfer_url, "search": self.search_url}.get(service)

    def service_prefixes(self) -> tuple[tuple[str, str], ...]:
        """(base URL, service) for each configured service URL, longest first (the emulator shares one host)."""
        pairs = [(url, name) for name in SERVICES if (url := self.service_url(name))]
        return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))
