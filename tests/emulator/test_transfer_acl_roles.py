"""Collection roles through the SDK: listing, granting, revoking, and their effect on ACL management."""

from __future__ import annotations

import uuid

import globus_sdk
import pytest

from tests.emulator.transfer_clients import api_error, collection_id, transfer_as

ARCHIVE = collection_id("lab-archive")
SHARED = collection_id("cryoem-shared")


@pytest.fixture
def granted(carol):
    """Grant roles for one test; each is revoked afterwards."""
    made: list[tuple[str, str]] = []

    def grant(collection: str, principal: str, role: str, principal_type: str = "identity") -> dict:
        document = carol.add_endpoint_role(
            collection, {"DATA_TYPE": "role", "principal_type": principal_type, "principal": principal, "role": role}
        )
        made.append((collection, document["id"]))
        return document.data

    yield grant
    for collection, role_id in made:
        try:
            carol.delete_endpoint_role(collection, role_id)
        except globus_sdk.TransferAPIError as err:
            assert err.http_status == 404


def test_role_list_shows_seeded_roles(emulator, carol):
    carol_id = emulator.user("carol")["identity_id"]
    archive = carol.endpoint_role_list(ARCHIVE)
    assert archive["DATA_TYPE"] == "role_list"
    assert [(r["principal_type"], r["principal"], r["role"]) for r in archive["DATA"]] == [
        ("identity", carol_id, "administrator")
    ]
    for role in archive["DATA"]:
        assert role["DATA_TYPE"] == "role" and role["id"]
    shared_roles = {(r["principal"], r["role"]) for r in carol.endpoint_role_list(SHARED)["DATA"]}
    assert (carol_id, "access_manager") in shared_roles


def test_grant_get_and_revoke(emulator, carol, granted):
    bob_id = emulator.user("bob")["identity_id"]
    document = granted(ARCHIVE, bob_id, "activity_monitor")
    assert document["DATA_TYPE"] == "role"
    assert (document["principal_type"], document["principal"], document["role"]) == (
        "identity",
        bob_id,
        "activity_monitor",
    )
    fetched = carol.get_endpoint_role(ARCHIVE, document["id"])
    assert fetched.data == document
    assert "activity_monitor" in transfer_as(emulator, "bob").get_endpoint(ARCHIVE)["my_effective_roles"]
    deleted = carol.delete_endpoint_role(ARCHIVE, document["id"])
    assert deleted["code"] == "Deleted"
    error = api_error(carol.get_endpoint_role, ARCHIVE, document["id"])
    assert error.http_status == 404 and error.code == "RoleNotFound"
    assert transfer_as(emulator, "bob").get_endpoint(ARCHIVE)["my_effective_roles"] == []


def test_access_manager_role_lets_a_user_manage_acls(emulator, granted, carol):
    bob = transfer_as(emulator, "bob")
    assert api_error(bob.endpoint_acl_list, SHARED).http_status == 403
    role = granted(SHARED, emulator.user("bob")["identity_id"], "access_manager")
    assert bob.endpoint_acl_list(SHARED)["DATA"]
    carol.delete_endpoint_role(SHARED, role["id"])
    assert api_error(bob.endpoint_acl_list, SHARED).http_status == 403


def test_group_roles_apply_to_members(emulator, granted):
    group_id = next(g["id"] for g in emulator.manifest["groups"] if g["name"] == "Cryo-EM Lab")
    granted(ARCHIVE, group_id, "activity_manager", principal_type="group")
    assert "activity_manager" in transfer_as(emulator, "alice").get_endpoint(ARCHIVE)["my_effective_roles"]
    assert transfer_as(emulator, "dave").get_endpoint(ARCHIVE)["my_effective_roles"] == []


def test_duplicate_role_is_409(emulator, carol, granted):
    bob_id = emulator.user("bob")["identity_id"]
    granted(ARCHIVE, bob_id, "activity_manager")
    error = api_error(
        carol.add_endpoint_role,
        ARCHIVE,
        {"DATA_TYPE": "role", "principal_type": "identity", "principal": bob_id, "role": "activity_manager"},
    )
    assert error.http_status == 409 and error.code == "Exists"


def test_only_administrators_change_roles(emulator):
    bob_id = emulator.user("bob")["identity_id"]
    for user in ("alice", "dave"):
        error = api_error(
            transfer_as(emulator, user).add_endpoint_role,
            ARCHIVE,
            {"principal_type": "identity", "principal": bob_id, "role": "administrator"},
        )
        assert error.http_status == 403, user
    assert api_error(transfer_as(emulator, "dave").endpoint_role_list, ARCHIVE).http_status == 403


@pytest.mark.parametrize(
    "body",
    [
        {"principal_type": "identity", "principal": "6062f76a-ea77-5439-ab94-d744001da8d6", "role": "overlord"},
        {"principal_type": "anonymous", "principal": "", "role": "administrator"},
        {"principal_type": "identity", "principal": "bob", "role": "administrator"},
        {"principal_type": "identity", "role": "administrator"},
        {
            "principal_type": "identity",
            "principal": "6062f76a-ea77-5439-ab94-d744001da8d6",
            "role": "activity_manager",
            "colour": "red",
        },
    ],
)
def test_invalid_roles_are_400(carol, body):
    before = len(carol.endpoint_role_list(ARCHIVE)["DATA"])
    assert api_error(carol.add_endpoint_role, ARCHIVE, body).http_status == 400
    assert len(carol.endpoint_role_list(ARCHIVE)["DATA"]) == before


def test_unknown_role_ids_are_404(carol):
    for call in (carol.get_endpoint_role, carol.delete_endpoint_role):
        error = api_error(call, ARCHIVE, str(uuid.uuid4()))
        assert error.http_status == 404 and error.code == "RoleNotFound"
