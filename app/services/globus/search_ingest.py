"""Globus Search ingest for the worker's catalog step: the one place it touches the Search SDK calls.

Records are sent as one GMetaList per call; Search answers with an ingest task id (processed
asynchronously by real Globus, at once by the emulator). Re-ingesting the same subject and entry
id replaces the record, so a retried step cannot create duplicates.
"""

from __future__ import annotations

from typing import Any

import globus_sdk

from app.services.globus.errors import globus_errors, json_document

SERVICE = "search"


def ingest_entries(client: globus_sdk.SearchClient, index_id: str, entries: list[dict[str, Any]]) -> str:
    """Ingest GMetaEntry documents ({subject, visible_to, content, id}) as one GMetaList; returns the task id."""
    body = {"ingest_type": "GMetaList", "ingest_data": {"gmeta": entries}}
    with globus_errors(SERVICE):
        response = client.ingest(index_id, body)
    return str(json_document(response, SERVICE).get("task_id") or "")
