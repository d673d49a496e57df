"""The authenticated caller of the current API request (authenticated once, on first need)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import g, request

from app.services import api_auth
from app.services.api_auth import ApiCaller

T = TypeVar("T")


def current_caller() -> ApiCaller:
    """The request's caller: its bearer token introspected (cached) and checked, or BearerRejected."""
    caller = g.get("api_caller")
    if caller is None:
        caller = g.api_caller = api_auth.authenticate(request.headers.get("Authorization"))
    return caller


def as_caller(action: Callable[[ApiCaller], T]) -> T:
    """Run one service call for the caller (dependent tokens re-fetched once if Globus refuses them)."""
    caller = current_caller()
    return api_auth.call_as_caller(caller, lambda: action(caller))
