"""schemathesis against the running API from its own OpenAPI document: no response >= 500, every
status and body as documented. Bounded: API_FUZZ_EXAMPLES examples per operation (default 25;
CI's deep run sets 200, see README), derandomized so a failure reproduces.

The fuzz acts as dave (a researcher in no group) so whatever it manages to create stays in his
own corner of the emulator.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import partner_tokens

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_document(api_portal) -> dict:
    response = requests.get(api_portal.url("/api/v1/openapi.json"), timeout=30)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def api_schema(api_document):
    return schemathesis.openapi.from_dict(api_document)


@pytest.fixture(scope="module")
def dave_headers(emulator) -> dict[str, str]:
    token = partner_tokens(emulator, "dave").by_resource_server[emulator.client("portal")["client_id"]]
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_the_document_is_valid_openapi_3_1(api_document):
    from openapi_spec_validator import validate

    validate(api_document)
    assert api_document["openapi"] == "3.1.0"
    assert len(api_document["paths"]) >= 13


# The operations are listed from the code's own spec (the same one the server serves), so each is
# its own test; schemathesis' pytest plugin does not load under this pytest, its engine does.
def _spec_operations() -> list[str]:
    from app.api import views_automations, views_files, views_me, views_tasks  # noqa: F401 - they register
    from app.api.openapi import spec

    return [f"{op.method} {op.openapi_path}" for op in spec.operations]


@pytest.mark.parametrize("operation", _spec_operations())
def test_api_fuzz(api_schema, api_portal, dave_headers, operation):
    method, path = operation.split(" ", 1)
    found = api_schema[path][method]

    @given(case=found.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(base_url=api_portal.url("/api/v1"), headers=dave_headers, checks=CHECKS, timeout=60)

    fuzz()
