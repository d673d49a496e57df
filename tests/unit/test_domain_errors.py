"""Which domain errors a user can fix on the page they are on, and the one helper that catches them."""

from __future__ import annotations

import pytest

from app.services import errors
from app.services.transfers import BatchListInvalid


@pytest.mark.parametrize(
    "error",
    [
        errors.InvalidRequest("bad name", field="name"),
        errors.StorageRefused("exists", reason="exists"),
        errors.RemotePermissionDenied("no write access"),
        BatchListInvalid([]),
    ],
)
def test_refusals_the_user_can_fix_are_caught_with_their_message(error):
    with errors.refusable() as refused:
        raise error
    assert refused.error is error and error.fixable


@pytest.mark.parametrize(
    "error",
    [
        errors.RemoteUnavailable("transfer"),
        errors.CollectionUnavailable("transfer"),
        errors.RemoteNotFound("gone"),
        errors.ReauthenticationRequired(["scope"]),
        errors.LoginRefused("state", "bad state"),
    ],
)
def test_other_domain_errors_still_reach_the_error_pages(error):
    with pytest.raises(type(error)), errors.refusable():
        raise error
    assert not error.fixable


def test_a_block_that_goes_through_leaves_no_error_and_other_exceptions_propagate():
    with errors.refusable() as refused:
        pass
    assert refused.error is None
    with pytest.raises(KeyError), errors.refusable():
        raise KeyError("x")
