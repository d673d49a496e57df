"""Guest-collection access rules (ACLs): CRUD through the SDK, their effect, and bad input."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import globus_sdk
import pytest

from tests.emulator.transfer_clients import api_error, collection_id, transfer_as

SHARED = collection_id("cryoem-shared")
PROJECT = collection_id("alice-project")
ARCHIVE = collection_id("lab-archive")


@pytest.fixture
def rules(carol):
    """Create ACL rules on the lab share; every one is deleted after the test."""
    created: list[str] = []

    def add(**rule) -> str:
        response = carol.add_endpoint_acl_rule(SHARED, {"DATA_TYPE": "access", **rule})
        created.append(response["access_id"])
        return response["access_id"]

    yield add
    for rule_id in created:
        try:
            carol.delete_endpoint_acl_rule(SHARED, rule_id)
        except globus_sdk.TransferAPIError as err:
            assert err.http_status == 404  # the test deleted it itself


def dave_rule(emulator, path: str = "/run 01/", permissions: str = "r") -> dict:
    return {
        "principal_type": "identity",
        "principal": emulator.user("dave")["identity_id"],
        "path": path,
        "permissions": permissions,
    }


def test_access_list_shows_the_seeded_group_rule(emulator, carol):
    listing = carol.endpoint_acl_list(SHARED)
    assert listing["DATA_TYPE"] == "access_list"
    assert listing["endpoint"] == SHARED
    group_id = next(g["id"] for g in emulator.manifest["groups"] if g["name"] == "Cryo-EM Lab")
    seeded = [rule for rule in listing["DATA"] if rule["principal"] == group_id]
    assert len(seeded) == 1
    rule = seeded[0]
    assert rule["DATA_TYPE"] == "access"
    assert (rule["principal_type"], rule["path"], rule["permissions"]) == ("group", "/", "rw")
    assert {"id", "create_time", "role_id", "role_type", "notify_email", "expiration_date"} <= set(rule)


def test_public_collection_rules(emulator):
    listing = transfer_as(emulator, "carol").endpoint_acl_list(collection_id("public-reference"))
    kinds = {(rule["principal_type"], rule["principal"], rule["permissions"]) for rule in listing["DATA"]}
    assert kinds == {("anonymous", "", "r"), ("all_authenticated_users", "", "r")}


def test_rule_lifecycle(emulator, carol, rules):
    rule_id = rules(**dave_rule(emulator))
    document = carol.get_endpoint_acl_rule(SHARED, rule_id)
    assert document["id"] == rule_id
    for key, value in dave_rule(emulator).items():
        assert document[key] == value
    updated = carol.update_endpoint_acl_rule(SHARED, rule_id, {"DATA_TYPE": "access", "permissions": "rw"})
    assert updated["DATA_TYPE"] == "result" and updated["code"] == "Updated"
    assert "permissions updated successfully" in updated["message"]
    assert carol.get_endpoint_acl_rule(SHARED, rule_id)["permissions"] == "rw"
    deleted = carol.delete_endpoint_acl_rule(SHARED, rule_id)
    assert deleted["DATA_TYPE"] == "result" and deleted["code"] == "Deleted"
    assert "deleted successfully" in deleted["message"]
    error = api_error(carol.get_endpoint_acl_rule, SHARED, rule_id)
    assert error.http_status == 404 and error.code == "AccessRuleNotFound"


def test_create_result_shape(emulator, carol):
    response = carol.add_endpoint_acl_rule(SHARED, {"DATA_TYPE": "access", **dave_rule(emulator, "/notebooks/")})
    try:
        assert response.http_status == 201
        assert response["DATA_TYPE"] == "access_create_result"
        assert response["code"] == "Created"
        assert response["message"] == "Access rule created successfully."
        assert {"access_id", "request_id", "resource"} <= set(response.data)
    finally:
        carol.delete_endpoint_acl_rule(SHARED, response["access_id"])


def test_rules_take_effect_immediately(emulator, carol, rules):
    dave = transfer_as(emulator, "dave")
    on_disk = Path(emulator.collection("cryoem-shared")["data_root"]) / "run 01"
    folder = f"dave-{uuid.uuid4().hex[:8]}"
    assert api_error(dave.operation_ls, SHARED, path="/run 01/").http_status == 403
    rule_id = rules(**dave_rule(emulator))
    try:
        assert dave.operation_ls(SHARED, path="/run 01/")["DATA"]
        assert api_error(dave.operation_ls, SHARED, path="/run 02/").http_status == 403
        assert api_error(dave.operation_ls, SHARED, path="/").http_status == 403
        assert api_error(dave.operation_mkdir, SHARED, f"/run 01/{folder}/").http_status == 403
        carol.update_endpoint_acl_rule(SHARED, rule_id, {"permissions": "rw"})
        dave.operation_mkdir(SHARED, f"/run 01/{folder}/")
        assert (on_disk / folder).is_dir()
        carol.delete_endpoint_acl_rule(SHARED, rule_id)
        assert api_error(dave.operation_ls, SHARED, path="/run 01/").http_status == 403
    finally:
        shutil.rmtree(on_disk / folder, ignore_errors=True)


def test_owner_manages_rules_on_own_share_and_others_cannot(emulator):
    alice = transfer_as(emulator, "alice")
    listing = alice.endpoint_acl_list(PROJECT)
    bob_id = emulator.user("bob")["identity_id"]
    assert [(r["principal"], r["permissions"]) for r in listing["DATA"]] == [(bob_id, "r")]
    for user in ("bob", "dave"):
        error = api_error(transfer_as(emulator, user).endpoint_acl_list, PROJECT)
        assert error.http_status == 403 and error.code == "PermissionDenied"
    error = api_error(
        transfer_as(emulator, "dave").add_endpoint_acl_rule,
        SHARED,
        {"DATA_TYPE": "access", **dave_rule(emulator, "/", "rw")},
    )
    assert error.http_status == 403


def test_acl_rules_exist_only_on_guest_collections(carol):
    error = api_error(carol.endpoint_acl_list, ARCHIVE)
    assert error.http_status == 409


def test_duplicate_rule_is_409_exists(emulator, carol, rules):
    rules(**dave_rule(emulator, "/processed/"))
    error = api_error(
        carol.add_endpoint_acl_rule, SHARED, {"DATA_TYPE": "access", **dave_rule(emulator, "/processed/")}
    )
    assert error.http_status == 409 and error.code == "Exists"


@pytest.mark.parametrize(
    "change",
    [
        {"path": "/run 01"},  # must end with "/"
        {"path": "run 01/"},  # must start with "/"
        {"path": "/a/../b/"},
        {"path": "/a\x00b/"},
        {"principal_type": "robot"},
        {"principal": "not-a-uuid"},
        {"principal_type": "anonymous", "principal": "", "permissions": "rw"},
        {"principal_type": "all_authenticated_users", "principal": "someone"},
        {"permissions": "w"},
        {"permissions": "rwx"},
        {"colour": "red"},
        {"DATA_TYPE": "bookmark"},
    ],
)
def test_invalid_rules_are_400_and_create_nothing(emulator, carol, change):
    before = len(carol.endpoint_acl_list(SHARED)["DATA"])
    error = api_error(carol.add_endpoint_acl_rule, SHARED, {"DATA_TYPE": "access", **dave_rule(emulator), **change})
    assert error.http_status == 400
    assert error.message
    assert len(carol.endpoint_acl_list(SHARED)["DATA"]) == before


def test_missing_fields_and_non_json_are_400(carol):
    for body in ({"DATA_TYPE": "access", "principal_type": "anonymous"}, "not json", ["a"]):
        error = api_error(carol.post, f"/v0.10/endpoint/{SHARED}/access", data=body)
        assert error.http_status == 400


def test_update_cannot_move_a_rule_or_set_bad_permissions(emulator, carol, rules):
    rule_id = rules(**dave_rule(emulator, "/Müller_2024/"))
    for change in ({"path": "/elsewhere/", "permissions": "r"}, {"permissions": "admin"}, {}):
        error = api_error(carol.update_endpoint_acl_rule, SHARED, rule_id, change)
        assert error.http_status == 400
    assert carol.get_endpoint_acl_rule(SHARED, rule_id)["path"] == "/Müller_2024/"


def test_unknown_rule_ids_are_404(carol):
    for call in (carol.get_endpoint_acl_rule, carol.delete_endpoint_acl_rule):
        error = api_error(call, SHARED, str(uuid.uuid4()))
        assert error.http_status == 404 and error.code == "AccessRuleNotFound"
