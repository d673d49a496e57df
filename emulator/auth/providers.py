"""The identity providers the emulator knows: one per seeded domain, plus the one for client identities."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


def provider_id(domain: str) -> str:
    """Stable id of the identity provider for a domain (same across resets)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:idp:{domain}"))


@dataclass(frozen=True)
class IdentityProvider:
    """An identity provider as Globus Auth describes it in `/v2/api/identity_providers`."""

    short_name: str
    name: str
    domains: tuple[str, ...]

    @property
    def id(self) -> str:
        """The provider's stable id."""
        return provider_id(self.domains[0])

    def to_dict(self) -> dict:
        """The provider document of the Auth API."""
        return {
            "short_name": self.short_name,
            "id": self.id,
            "alternative_names": [],
            "domains": list(self.domains),
            "name": self.name,
        }


IDENTITY_PROVIDERS: tuple[IdentityProvider, ...] = (
    IdentityProvider("example.edu", "Example University", ("example.edu",)),
    IdentityProvider("orcid.example.org", "ORCID (local)", ("orcid.example.org",)),
    IdentityProvider("clients.auth.globus.org", "Globus Auth clients", ("clients.auth.globus.org",)),
)


def provider_for_username(username: str) -> IdentityProvider | None:
    """The provider whose domain matches the part of a username after '@'."""
    domain = username.rpartition("@")[2].lower()
    for provider in IDENTITY_PROVIDERS:
        if domain in provider.domains:
            return provider
    return None


def provider_by_id(idp_id: str) -> IdentityProvider | None:
    """Look a provider up by its id."""
    for provider in IDENTITY_PROVIDERS:
        if provider.id == idp_id:
            return provider
    return None
