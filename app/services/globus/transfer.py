"""Globus Transfer calls for the researcher pages: the one place they touch globus_sdk.

Every function takes a TransferClient built for the user (app/services/user_clients.py), makes exactly
the upstream calls it names — one page at a time, never a whole listing — and returns plain
dicts/lists. SDK errors leave as domain errors through `globus_errors("transfer")`.
"""

from __future__ import annotations

from typing import Any

import globus_sdk

from app.services.globus.errors import globus_errors, json_document

SERVICE = "transfer"


def _plain(response: Any) -> dict[str, Any]:
    """The decoded JSON body of an SDK response, detached from the response object."""
    return dict(json_document(response, SERVICE))


def search_collections(
    client: globus_sdk.TransferClient, *, text: str, scope: str, limit: int, offset: int
) -> dict[str, Any]:
    """One page of endpoint_search for a filter scope and optional full text."""
    kwargs: dict[str, Any] = {"filter_scope": scope, "limit": limit, "offset": offset}
    if text:
        kwargs["filter_fulltext"] = text
    with globus_errors(SERVICE):
        return _plain(client.endpoint_search(**kwargs))


def get_collection(client: globus_sdk.TransferClient, collection_id: str) -> dict[str, Any]:
    """The endpoint document of one collection."""
    with globus_errors(SERVICE):
        return _plain(client.get_endpoint(collection_id))


def list_bookmarks(client: globus_sdk.TransferClient) -> list[dict[str, Any]]:
    """Every bookmark of the user (Transfer does not page this list)."""
    with globus_errors(SERVICE):
        return [dict(item) for item in _plain(client.bookmark_list()).get("DATA") or []]


def create_bookmark(client: globus_sdk.TransferClient, *, collection_id: str, path: str, name: str) -> dict[str, Any]:
    """Create a bookmark and return its document."""
    with globus_errors(SERVICE):
        return _plain(client.create_bookmark({"endpoint_id": collection_id, "path": path, "name": name}))


def rename_bookmark(client: globus_sdk.TransferClient, bookmark_id: str, name: str) -> dict[str, Any]:
    """Give a bookmark a new name."""
    with globus_errors(SERVICE):
        return _plain(client.update_bookmark(bookmark_id, {"name": name}))


def delete_bookmark(client: globus_sdk.TransferClient, bookmark_id: str) -> None:
    """Remove a bookmark."""
    with globus_errors(SERVICE):
        client.delete_bookmark(bookmark_id)


def list_directory(
    client: globus_sdk.TransferClient,
    collection_id: str,
    path: str,
    *,
    limit: int,
    offset: int,
    orderby: list[str],
    name_filter: str | None,
    show_hidden: bool,
) -> dict[str, Any]:
    """One page of a folder listing, paged and sorted upstream (limit/offset/orderby/filter)."""
    kwargs: dict[str, Any] = {
        "limit": limit,
        "offset": offset,
        "orderby": orderby,
        "show_hidden": show_hidden,
    }
    if name_filter:
        kwargs["filter"] = name_filter
    with globus_errors(SERVICE):
        return _plain(client.operation_ls(collection_id, path=path, **kwargs))


def stat_path(client: globus_sdk.TransferClient, collection_id: str, path: str) -> dict[str, Any]:
    """The stat document of one file or folder."""
    with globus_errors(SERVICE):
        return _plain(client.operation_stat(collection_id, path))


def make_directory(client: globus_sdk.TransferClient, collection_id: str, path: str) -> None:
    """Create one folder."""
    with globus_errors(SERVICE):
        client.operation_mkdir(collection_id, path)


def rename_path(client: globus_sdk.TransferClient, collection_id: str, old_path: str, new_path: str) -> None:
    """Rename (or move within the collection) one file or folder."""
    with globus_errors(SERVICE):
        client.operation_rename(collection_id, old_path, new_path)


def probe_write(client: globus_sdk.TransferClient, collection_id: str, missing_path: str) -> None:
    """Ask Transfer to rename a path that does not exist onto itself plus a suffix: a write check with no effect.

    Transfer checks the caller's write permission on both paths before looking at the storage, so
    the answer is 403 (no write access here) or 404 (write access; nothing to rename). A rename of a
    missing path can never change anything, unlike a mkdir probe of an existing folder, which
    would recreate the folder if it was deleted in between.
    """
    with globus_errors(SERVICE):
        client.operation_rename(collection_id, missing_path, missing_path + ".renamed")


def new_submission_id(client: globus_sdk.TransferClient) -> str:
    """Ask Transfer for a fresh submission id (saved by the caller before submitting)."""
    with globus_errors(SERVICE):
        return str(client.get_submission_id()["value"])


def build_transfer_data(document: dict[str, Any]) -> globus_sdk.TransferData:
    """Turn a plain transfer request document (see services/transfers.py) into TransferData."""
    optional = {key: document[key] for key in ("label", "sync_level", "deadline") if document.get(key)}
    data = globus_sdk.TransferData(
        document["source"],
        document["destination"],
        submission_id=document["submission_id"],
        verify_checksum=bool(document.get("verify_checksum")),
        preserve_timestamp=bool(document.get("preserve_timestamp")),
        encrypt_data=bool(document.get("encrypt_data")),
        skip_source_errors=bool(document.get("skip_source_errors")),
        fail_on_quota_errors=bool(document.get("fail_on_quota_errors")),
        delete_destination_extra=bool(document.get("delete_destination_extra")),
        notify_on_succeeded=bool(document.get("notify_on_succeeded")),
        notify_on_failed=bool(document.get("notify_on_failed")),
        notify_on_inactive=bool(document.get("notify_on_inactive")),
        **optional,
    )
    for item in document["items"]:
        data.add_item(item["source"], item["destination"], recursive=bool(item.get("recursive")))
    for rule in document.get("exclude_rules") or []:
        if rule.get("type"):
            data.add_filter_rule(rule["name"], method="exclude", type=rule["type"])
        else:
            data.add_filter_rule(rule["name"], method="exclude")
    return data


def build_delete_data(document: dict[str, Any]) -> globus_sdk.DeleteData:
    """Turn a plain delete request document into DeleteData (recursive when any folder goes)."""
    optional = {key: document[key] for key in ("label", "deadline") if document.get(key)}
    data = globus_sdk.DeleteData(
        document["collection"],
        submission_id=document["submission_id"],
        recursive=any(item.get("recursive") for item in document["items"]),
        notify_on_succeeded=bool(document.get("notify_on_succeeded")),
        notify_on_failed=bool(document.get("notify_on_failed")),
        notify_on_inactive=bool(document.get("notify_on_inactive")),
        **optional,
    )
    for item in document["items"]:
        data.add_item(item["path"])
    return data


def submit_transfer(client: globus_sdk.TransferClient, document: dict[str, Any]) -> dict[str, Any]:
    """Submit a transfer under the document's saved submission id; returns the submit result."""
    data = build_transfer_data(document)
    with globus_errors(SERVICE):
        return _plain(client.submit_transfer(data))


def submit_delete(client: globus_sdk.TransferClient, document: dict[str, Any]) -> dict[str, Any]:
    """Submit a delete task under the document's saved submission id."""
    data = build_delete_data(document)
    with globus_errors(SERVICE):
        return _plain(client.submit_delete(data))


def list_tasks(
    client: globus_sdk.TransferClient,
    *,
    limit: int,
    offset: int,
    filters: dict[str, str | list[str]],
    orderby: str,
) -> dict[str, Any]:
    """One page of the user's tasks, filtered and ordered upstream (limit/offset/total)."""
    kwargs: dict[str, Any] = {"limit": limit, "offset": offset, "orderby": orderby}
    if filters:
        kwargs["filter"] = filters
    with globus_errors(SERVICE):
        return _plain(client.task_list(**kwargs))


def get_task(client: globus_sdk.TransferClient, task_id: str) -> dict[str, Any]:
    """The task document (status, counters, options)."""
    with globus_errors(SERVICE):
        return _plain(client.get_task(task_id))


def list_task_events(client: globus_sdk.TransferClient, task_id: str, *, limit: int, offset: int) -> dict[str, Any]:
    """One page of a task's events (limit/offset/total)."""
    with globus_errors(SERVICE):
        return _plain(client.task_event_list(task_id, limit=limit, offset=offset))


def list_successful_transfers(client: globus_sdk.TransferClient, task_id: str, *, marker: str | None) -> dict[str, Any]:
    """One page of the files a task moved (marker paging)."""
    with globus_errors(SERVICE):
        return _plain(client.task_successful_transfers(task_id, marker=marker or globus_sdk.MISSING))


def list_skipped_errors(client: globus_sdk.TransferClient, task_id: str, *, marker: str | None) -> dict[str, Any]:
    """One page of the paths a task skipped because of source errors (marker paging)."""
    with globus_errors(SERVICE):
        return _plain(client.task_skipped_errors(task_id, marker=marker or globus_sdk.MISSING))


def cancel_task(client: globus_sdk.TransferClient, task_id: str) -> dict[str, Any]:
    """Ask Transfer to cancel a task; returns its answer (code Canceled or TaskComplete)."""
    with globus_errors(SERVICE):
        return _plain(client.cancel_task(task_id))


def task_documents(client: globus_sdk.TransferClient, task_ids: list[str]) -> list[dict[str, Any]]:
    """The task documents of up to 1,000 of the user's tasks in ONE task_list call.

    Transfer's task_list filter takes a comma-separated list of ids (`filter=task_id:a,b,c`), so
    the worker follows all of a user's active tasks with one request instead of one per task.
    """
    if not task_ids:
        return []
    with globus_errors(SERVICE):
        response = client.task_list(filter={"task_id": task_ids}, limit=min(len(task_ids), 1000))
    return [dict(item) for item in _plain(response).get("DATA") or []]
