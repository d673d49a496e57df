"""Which scopes the portal asks Globus Auth for, and which extra scopes it will accept.

Extra scopes arrive from consent-required errors (and, via /login?scopes=, from the URL); each
node of each scope tree must match the allowlist below before it is ever sent to Globus Auth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from globus_sdk.scopes import AuthScopes, Scope, ScopeParser, SearchScopes, TransferScopes
from globus_sdk.scopes.errors import ScopeParseError

from app.services.errors import InvalidRequest

BASE_LOGIN_SCOPES: tuple[str, ...] = tuple(
    str(scope)
    for scope in (
        AuthScopes.openid,
        AuthScopes.profile,
        AuthScopes.email,
        AuthScopes.view_identities,
        TransferScopes.all,
        SearchScopes.all,
    )
)

MAX_EXTRA_SCOPE_LENGTH = 4000
_ALLOWED_SCOPE = re.compile(
    r"^(?:openid|profile|email"
    r"|urn:globus:auth:scope:[a-z0-9.-]+:[A-Za-z0-9_.-]+"
    r"|https://auth\.globus\.org/scopes/[0-9A-Za-z.-]+/[A-Za-z0-9_]+)$"
)


def is_allowed_scope(scope: Scope) -> bool:
    """True when the scope and all its dependencies look like Globus scope strings."""
    return bool(_ALLOWED_SCOPE.match(scope.scope_string)) and all(
        is_allowed_scope(dependency) for dependency in scope.dependencies
    )


def validate_extra_scopes(scopes: Iterable[str] | str | None) -> list[str]:
    """Parse and allowlist-check extra scope strings; raises InvalidRequest on anything else."""
    if scopes is None:
        return []
    text = scopes if isinstance(scopes, str) else " ".join(scopes)
    if not text.strip():
        return []
    if len(text) > MAX_EXTRA_SCOPE_LENGTH:
        raise InvalidRequest("The requested scopes are too long.", field="scopes")
    try:
        parsed = ScopeParser.parse(text)
    except (ScopeParseError, ValueError):
        raise InvalidRequest("The requested scopes are not valid scope strings.", field="scopes") from None
    if not all(is_allowed_scope(scope) for scope in parsed):
        raise InvalidRequest("The requested scopes are not Globus scopes.", field="scopes")
    return [str(scope) for scope in parsed]


def login_scopes(previously_requested: Iterable[str], extra: Iterable[str]) -> list[str]:
    """The base login scopes merged with earlier consents and the extra ones (dependencies unioned)."""
    merged = ScopeParser.parse(" ".join(BASE_LOGIN_SCOPES))
    for text in (" ".join(previously_requested), " ".join(extra)):
        if text.strip():
            merged = ScopeParser.merge_scopes(merged, ScopeParser.parse(text))
    return [str(scope) for scope in merged]


def requested_scopes_by_resource_server(
    requested: Iterable[str], granted_by_resource_server: Mapping[str, str]
) -> dict[str, str]:
    """Assign each requested scope tree to the resource server whose token granted its root scope."""
    result: dict[str, list[str]] = {rs: [] for rs in granted_by_resource_server}
    for text in requested:
        for scope in ScopeParser.parse(text):
            for resource_server, granted in granted_by_resource_server.items():
                if scope.scope_string in granted.split():
                    result[resource_server].append(str(scope))
    return {rs: " ".join(scopes) for rs, scopes in result.items()}


def dependent_scope_strings(requested: str) -> list[str]:
    """Every scope string nested under the roots of `requested` (e.g. data_access consents)."""
    found: list[str] = []

    def walk(scope: Scope) -> None:
        for dependency in scope.dependencies:
            found.append(dependency.scope_string)
            walk(dependency)

    for root in ScopeParser.parse(requested) if requested.strip() else []:
        walk(root)
    return found
