"""Random malformed requests to Auth, Search, the collection HTTPS servers and the control API never get a 500.

Bodies are garbage bytes, JSON of the wrong shape, or objects whose fields hold odd values; credentials are
missing, wrong or valid. The Transfer side has its own test (test_transfer_fs_bad_input.py).
"""

from __future__ import annotations

import random
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.emulator.helpers import login_user_tokens

ODD_VALUES: list[Any] = [
    None,
    "",
    "x",
    "/",
    "*",
    0,
    5,
    -1,
    1.5,
    10**30,
    True,
    [],
    ["a"],
    {},
    {"a": 1},
    "\x00",
    "é" * 300,
    "😀",
    "00000000-0000-0000-0000-000000000000",
    "../..",
    "a b",
    "urn:globus:auth:identity:nobody",
    "http://127.0.0.1:1/cb",
    "1e400",
]
RAW_BODIES = [b"", b"{", b"[1, 2", b"null", b"\xff\xfe\x00", b'"text"', b"[]", b"12", b'{"a": }']
ROUNDS = 40
SEARCH_RS = "search.api.globus.org"
AUTH_RS = "auth.globus.org"


def random_body(rng: random.Random, fields: tuple[str, ...]) -> dict[str, Any]:
    """Keyword arguments for requests: raw bytes, a JSON value of any type, or an object of odd fields."""
    roll = rng.random()
    if roll < 0.25:
        return {"data": rng.choice(RAW_BODIES), "headers": {"Content-Type": "application/json"}}
    if roll < 0.35:
        return {"json": rng.choice(ODD_VALUES)}
    return {"json": {name: rng.choice(ODD_VALUES) for name in fields if rng.random() < 0.7}}


def random_params(rng: random.Random, names: tuple[str, ...]) -> dict[str, str]:
    """Query parameters holding odd text (query strings can only carry text)."""
    return {name: str(rng.choice(ODD_VALUES)) for name in names if rng.random() < 0.6}


def random_headers(rng: random.Random, token: str) -> dict[str, str]:
    """A valid bearer token most of the time, otherwise none or a broken Authorization header."""
    return {
        "Authorization": rng.choice(
            [f"Bearer {token}"] * 3 + ["Bearer ", "Bearer not-a-token", "Basic !!", f"Bearer {token}x", "Token abc"]
        )
    }


def send(
    method: str, url: str, headers: dict[str, str] | None, body: dict[str, Any], **kwargs: Any
) -> requests.Response:
    """One request with a random body's own headers merged into the given ones."""
    merged = {**(headers or {}), **body.get("headers", {})}
    payload = {key: value for key, value in body.items() if key != "headers"}
    return requests.request(method, url, headers=merged, timeout=30, **payload, **kwargs)


def assert_not_server_error(response: requests.Response, what: Any) -> None:
    # Random bodies and headers: some are valid requests and some are refused, so any non-5xx is right.
    assert response.status_code < 500, (what, response.status_code, response.text[:300])


@pytest.fixture(scope="module")
def dave_tokens(emulator) -> dict[str, dict[str, Any]]:
    """Dave's tokens (a researcher in no group) for Auth and Search, from the real login flow."""
    return login_user_tokens(
        emulator,
        "dave",
        [
            "openid",
            "profile",
            "email",
            "urn:globus:auth:scope:auth.globus.org:view_identities",
            "urn:globus:auth:scope:search.api.globus.org:all",
        ],
    )


def test_auth_routes_never_answer_500(emulator, dave_tokens):
    base = emulator.base_url + "/auth"
    portal = emulator.client("portal")
    good_basic = (portal["client_id"], portal["client_secret"])
    auth_token = dave_tokens[AUTH_RS]["access_token"]
    rng = random.Random(20261123)
    form_fields = (
        "grant_type",
        "code",
        "redirect_uri",
        "refresh_token",
        "scope",
        "code_verifier",
        "token",
        "include",
        "client_id",
        "resource_server",
        "access_type",
    )
    for _ in range(ROUNDS):
        for path in ("/v2/oauth2/token", "/v2/oauth2/token/introspect", "/v2/oauth2/token/revoke"):
            form = {name: str(rng.choice(ODD_VALUES)) for name in form_fields if rng.random() < 0.5}
            basic = rng.choice([good_basic, good_basic, ("nobody", "x"), (portal["client_id"], "wrong"), None])
            response = requests.post(base + path, data=form, auth=basic, timeout=30)
            assert_not_server_error(response, (path, form))
        params = random_params(rng, ("ids", "usernames", "provision", "domains"))
        response = requests.get(
            base + "/v2/api/identities", params=params, headers=random_headers(rng, auth_token), timeout=30
        )
        assert_not_server_error(response, params)
        response = requests.get(
            base + "/v2/api/identity_providers",
            params=random_params(rng, ("domains", "ids")),
            headers=random_headers(rng, auth_token),
            timeout=30,
        )
        assert_not_server_error(response, "identity_providers")
        response = requests.get(base + "/v2/oauth2/userinfo", headers=random_headers(rng, auth_token), timeout=30)
        assert_not_server_error(response, "userinfo")
        params = random_params(
            rng,
            (
                "client_id",
                "redirect_uri",
                "scope",
                "response_type",
                "state",
                "code_challenge",
                "code_challenge_method",
                "access_type",
                "prompt",
                "session_required_identities",
                "session_required_single_domain",
            ),
        )
        response = requests.get(base + "/v2/oauth2/authorize", params=params, timeout=30, allow_redirects=False)
        assert_not_server_error(response, params)
        for path in ("/v2/oauth2/authorize/login", "/v2/oauth2/authorize/consent"):
            form = {
                name: str(rng.choice(ODD_VALUES))
                for name in ("username", "password", "request", "decision", "csrf_token")
                if rng.random() < 0.6
            }
            response = requests.post(base + path, data=form, timeout=30, allow_redirects=False)
            assert_not_server_error(response, (path, form))
        response = requests.get(
            base + "/v2/oauth2/authorize/continue",
            params=random_params(rng, ("request",)),
            timeout=30,
            allow_redirects=False,
        )
        assert_not_server_error(response, "continue")
        response = requests.get(
            base + "/v2/web/logout",
            params=random_params(rng, ("redirect_uri", "redirect_name")),
            timeout=30,
            allow_redirects=False,
        )
        assert_not_server_error(response, "logout")


def test_search_routes_never_answer_500(emulator, dave_tokens):
    base = emulator.base_url + "/search/v1"
    token = dave_tokens[SEARCH_RS]["access_token"]
    seeded = emulator.manifest["search_index"]["id"]
    # Writes go to an index of Dave's own so the seeded one cannot be changed by a body that happens to be valid.
    created = requests.post(
        base + "/index",
        json={"display_name": "fuzz", "description": "bad-input test"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert created.status_code == 200, created.text
    own = created.json()["id"]
    rng = random.Random(7)
    index_choices = [seeded, own, str(uuid.uuid4()), "not-a-uuid", "é", "0"]
    for _ in range(ROUNDS):
        headers = random_headers(rng, token)
        index = rng.choice(index_choices)
        reads = [
            (
                "GET",
                f"/index/{index}/search",
                random_params(
                    rng,
                    (
                        "q",
                        "limit",
                        "offset",
                        "advanced",
                        "bypass_visible_to",
                        "filter_principal_sets",
                        "query_template",
                    ),
                ),
                None,
            ),
            (
                "POST",
                f"/index/{index}/search",
                {},
                (
                    "q",
                    "limit",
                    "offset",
                    "advanced",
                    "filters",
                    "facets",
                    "sort",
                    "boosts",
                    "post_facet_filters",
                    "@version",
                ),
            ),
            ("POST", f"/index/{index}/scroll", {}, ("q", "limit", "marker", "advanced", "filters")),
            ("GET", f"/index/{index}/subject", random_params(rng, ("subject", "bypass_visible_to")), None),
            ("GET", f"/index/{index}/entry", random_params(rng, ("subject", "entry_id")), None),
            ("GET", f"/index/{index}", {}, None),
            ("GET", "/index_list", random_params(rng, ("filter_roles", "marker", "limit")), None),
            ("GET", f"/task_list/{index}", random_params(rng, ("limit", "marker")), None),
            ("GET", f"/task/{rng.choice(index_choices)}", {}, None),
            ("GET", f"/index/{index}/role_list", {}, None),
        ]
        write_index = rng.choice([own, str(uuid.uuid4()), "x"])
        writes = [
            ("POST", f"/index/{write_index}/ingest", {}, ("ingest_type", "ingest_data", "field_mapping")),
            ("POST", f"/index/{write_index}/delete_by_query", {}, ("q", "advanced", "filters")),
            ("POST", f"/index/{write_index}/batch_delete_by_subject", {}, ("subjects",)),
            ("DELETE", f"/index/{write_index}/subject", random_params(rng, ("subject",)), None),
            ("DELETE", f"/index/{write_index}/entry", random_params(rng, ("subject", "entry_id")), None),
            ("PATCH", f"/index/{write_index}", {}, ("display_name", "description")),
            ("POST", f"/index/{write_index}/role", {}, ("role_name", "principal", "principal_type")),
            ("DELETE", f"/index/{write_index}/role/{rng.choice(index_choices)}", {}, None),
            ("POST", "/index", {}, ("display_name", "description")),
        ]
        for method, path, params, fields in reads + writes:
            body = random_body(rng, fields) if fields else {}
            response = send(method, base + path, headers, body, params=params)
            assert_not_server_error(response, (method, path, params, body))
    listed = requests.get(
        base + f"/index/{seeded}/search",
        params={"q": "*", "limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert listed.status_code == 200 and listed.json()["total"] > 0


def test_https_routes_never_answer_500(emulator):
    collection = emulator.collection("alice-laptop")
    tokens = login_user_tokens(emulator, "alice", [f"https://auth.globus.org/scopes/{collection['id']}/https"])
    token = tokens[collection["id"]]["access_token"]
    root = Path(collection["data_root"])
    folder = f"bad-input-{uuid.uuid4().hex}"
    (root / folder).mkdir()
    (root / folder / "file.txt").write_bytes(b"0123456789")
    rng = random.Random(3)
    names = ["file.txt", "", "missing", "..", "../..", "%2e%2e/%2e%2e", "é" * 300, "a%00b", "dir/", "😀"]
    ranges = [
        None,
        "bytes=0-3",
        "bytes=5-",
        "bytes=-4",
        "bytes=9-2",
        "bytes=x-y",
        "bytes=0-1,3-4",
        "items=0-1",
        "bytes=99999999999999999999-",
        "bytes=",
    ]
    try:
        for _ in range(ROUNDS * 2):
            url = f"{emulator.base_url}/https/{collection['id']}/{folder}/{rng.choice(names)}"
            headers = random_headers(rng, token)
            chosen_range = rng.choice(ranges)
            if chosen_range:
                headers["Range"] = chosen_range
            method = rng.choice(["GET", "GET", "PUT", "DELETE", "HEAD"])
            data = rng.choice(RAW_BODIES) if method == "PUT" else None
            response = requests.request(method, url, headers=headers, data=data, timeout=30)
            assert_not_server_error(response, (method, url, headers.get("Range")))
        response = requests.get(
            f"{emulator.base_url}/https/{uuid.uuid4()}/x", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert_not_server_error(response, "unknown collection")
    finally:
        shutil.rmtree(root / folder, ignore_errors=True)


def test_control_routes_never_answer_500(emulator):
    settings_before = emulator.control_get("settings").json()
    good = (emulator.manifest["control"]["username"], emulator.manifest["control"]["password"])
    shared = emulator.collection("cryoem-shared")["id"]
    rng = random.Random(5)
    targets = [
        ("settings", ("throughput", "fault_rate", "access_token_lifetime", "code_lifetime")),
        (f"collections/{shared}/availability", ("available",)),
        (f"collections/{shared}/quota", ("quota_bytes",)),
        (f"collections/{uuid.uuid4()}/availability", ("available",)),
        ("collections/not-a-uuid/quota", ("quota_bytes",)),
        ("redirect-uris", ("uri",)),
    ]
    try:
        for _ in range(ROUNDS):
            for path, fields in targets:
                auth = rng.choice([good, good, good, (good[0], "wrong"), None])
                body = random_body(rng, fields)
                response = send("POST", f"{emulator.base_url}/_emulator/{path}", None, body, auth=auth)
                assert_not_server_error(response, (path, body))
            # The big folder is created once per instance; only bodies that cannot be valid go there.
            body = rng.choice(
                [{"data": rng.choice(RAW_BODIES)}, {"json": {"entries": rng.choice(["5", 0, -1, 1.5, None, True, []])}}]
            )
            response = send("POST", f"{emulator.base_url}/_emulator/big-folder", None, body, auth=good)
            # Each such body is wrong in its own way (bad JSON 400, bad credentials 401, ...): any refusal.
            assert 400 <= response.status_code < 500, (body, response.status_code, response.text[:300])
    finally:
        emulator.control_post(
            "settings",
            {
                name: settings_before[name]
                for name in ("throughput", "fault_rate", "access_token_lifetime", "code_lifetime")
            },
        )
        emulator.control_post(f"collections/{shared}/availability", {"available": True})
        emulator.control_post(f"collections/{shared}/quota", {"quota_bytes": None})
    assert emulator.control_get("settings").json() == settings_before


@pytest.mark.parametrize(
    "raw",
    [
        b'{"throughput": NaN}',
        b'{"access_token_lifetime": Infinity}',
        b'{"code_lifetime": -Infinity}',
        b'{"access_token_lifetime": 1e300}',
        b'{"access_token_lifetime": 100000000000000000000}',
        b'{"throughput": 100000000000000000000000}',
        b'{"fault_rate": NaN}',
    ],
)
def test_out_of_range_settings_are_refused_and_change_nothing(emulator, raw):
    before = emulator.control_get("settings").json()
    good = (emulator.manifest["control"]["username"], emulator.manifest["control"]["password"])
    response = requests.post(
        f"{emulator.base_url}/_emulator/settings",
        data=raw,
        auth=good,
        timeout=30,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert emulator.control_get("settings").json() == before


def test_quota_beyond_64_bits_is_refused(emulator):
    shared = emulator.collection("cryoem-shared")["id"]
    response = emulator.control_post(f"collections/{shared}/quota", {"quota_bytes": 2**63})
    assert response.status_code == 400 and "quota_bytes" in response.json()["message"]


@pytest.mark.parametrize("query", ["(" * 2000 + "cryo", "NOT " * 3000 + "cryo"])
def test_deeply_nested_queries_are_refused_with_400(emulator, dave_tokens, query):
    response = requests.get(
        f"{emulator.base_url}/search/v1/index/{emulator.manifest['search_index']['id']}/search",
        params={"q": query, "advanced": "true"},
        timeout=30,
        headers={"Authorization": f"Bearer {dave_tokens[SEARCH_RS]['access_token']}"},
    )
    assert response.status_code == 400 and response.json()["code"] == "BadRequest.InvalidQuery", response.text


def test_many_sibling_groups_are_not_nesting(emulator, dave_tokens):
    response = requests.get(
        f"{emulator.base_url}/search/v1/index/{emulator.manifest['search_index']['id']}/search",
        params={"q": "(cryo) " * 120, "advanced": "true"},
        timeout=30,
        headers={"Authorization": f"Bearer {dave_tokens[SEARCH_RS]['access_token']}"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"q": "*", "limit": Infinity}',
        b'{"q": "*", "offset": NaN}',
        b'{"q": "*", "filters": [{"type": "range", "field_name": "size", "values": [{"from": 1e400, "to": "*"}]}]}',
    ],
)
def test_non_finite_numbers_in_json_are_refused(emulator, dave_tokens, raw):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {dave_tokens[SEARCH_RS]['access_token']}"}
    response = requests.post(
        f"{emulator.base_url}/search/v1/index/{emulator.manifest['search_index']['id']}/search",
        data=raw,
        timeout=30,
        headers=headers,
    )
    assert response.status_code == 400, response.text
