"""GatewayClient: one method per API operation, over requests, with a globus-sdk authorizer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import globus_sdk
import requests

DONE = ("SUCCEEDED", "FAILED")


class ApiError(Exception):
    """The gateway answered with an error: its status and {error, message, request_id, details}."""

    def __init__(self, status: int, body: dict[str, Any]):
        self.status = status
        self.code = str(body.get("error") or "error")
        self.message = str(body.get("message") or "")
        self.request_id = body.get("request_id")
        self.details = body.get("details") or {}
        super().__init__(f"{status} {self.code}: {self.message}")


class TaskFailed(Exception):
    """A task that was waited for ended FAILED."""

    def __init__(self, task: dict[str, Any]):
        self.task = task
        super().__init__(f"task {task['task_id']} failed: {task.get('fatal_error') or task.get('nice_status')}")


class TaskTimeout(Exception):
    """A task was still running when the wait ran out."""

    def __init__(self, task: dict[str, Any]):
        self.task = task
        super().__init__(f"task {task['task_id']} still {task['status']}")


def api_base(base_url: str) -> str:
    """https://gateway.example.org → https://gateway.example.org/api/v1 (an /api/v1 URL is kept)."""
    base = base_url.rstrip("/")
    return base if base.endswith("/api/v1") else base + "/api/v1"


class GatewayClient:
    """The gateway's API acting for one user (or, in client-credentials mode, a client identity)."""

    def __init__(
        self,
        base_url: str,
        authorizer: globus_sdk.authorizers.GlobusAuthorizer,
        *,
        session: requests.Session | None = None,
        timeout: float = 60.0,
    ):
        self.base_url = api_base(base_url)
        self.authorizer = authorizer
        self.http = session or requests.Session()
        self.timeout = timeout

    @classmethod
    def restore(cls, base_url: str | None = None, *, profile: str = "default") -> GatewayClient:
        """A client from the cached login of `gateway-client login` (refresh token; no browser, no password).

        With GATEWAY_CLIENT_ID and GATEWAY_CLIENT_SECRET set and no cached login, acts as that
        confidential client (client credentials), for CI pipelines.
        """
        from gateway_client.login import restored_authorizer

        authorizer, cached_base = restored_authorizer(base_url, profile=profile)
        return cls(base_url or cached_base, authorizer)

    # --- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self.base_url + path
        for attempt in (1, 2):
            header = self.authorizer.get_authorization_header()
            headers = {"Authorization": header} if header else {}
            response = self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            # A 401 may mean the access token just expired: renew once (refresh tokens) and retry.
            if response.status_code == 401 and attempt == 1 and self.authorizer.handle_missing_authorization():
                continue
            break
        try:
            body = response.json()
        except ValueError:
            body = {"error": "not_json", "message": response.text[:200]}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body if isinstance(body, dict) else {})
        return body

    def openapi(self) -> dict[str, Any]:
        """The API's OpenAPI document."""
        return requests.get(self.base_url + "/openapi.json", timeout=self.timeout).json()

    # --- operations --------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """The caller's gateway account and linked identities."""
        return self._call("GET", "/me")

    def search_collections(self, q: str = "", scope: str = "all", offset: int = 0) -> dict[str, Any]:
        """One page of collections."""
        return self._call("GET", "/collections", params={"q": q, "scope": scope, "offset": offset})

    def collection(self, collection_id: str) -> dict[str, Any]:
        """One collection."""
        return self._call("GET", f"/collections/{collection_id}")

    def ls(self, collection_id: str, path: str | None = None, **options: Any) -> dict[str, Any]:
        """One page of a folder (limit, offset, sort, order, filter, hidden)."""
        params = {"path": path, **options}
        return self._call(
            "GET", f"/collections/{collection_id}/folders", params={k: v for k, v in params.items() if v is not None}
        )

    def ls_all(self, collection_id: str, path: str | None = None, **options: Any) -> Iterator[dict[str, Any]]:
        """Every entry of a folder, page by page."""
        offset = 0
        while True:
            page = self.ls(collection_id, path, offset=offset, **options)
            yield from page["data"]
            if not page["has_next_page"]:
                return
            offset = page["offset"] + page["limit"]

    def mkdir(self, collection_id: str, parent: str, name: str) -> dict[str, Any]:
        """Make folder `name` inside `parent`."""
        return self._call("POST", f"/collections/{collection_id}/folders", json={"parent": parent, "name": name})

    def rename(self, collection_id: str, parent: str, old_name: str, new_name: str) -> dict[str, Any]:
        """Rename an entry of `parent`."""
        body = {"parent": parent, "old_name": old_name, "new_name": new_name}
        return self._call("POST", f"/collections/{collection_id}/rename", json=body)

    def delete(
        self,
        collection_id: str,
        parent: str,
        files: Iterable[str] = (),
        folders: Iterable[str] = (),
        *,
        submission_id: str | None = None,
        label: str = "",
    ) -> dict[str, Any]:
        """Start a delete task (the same submission_id again returns the same task)."""
        body = {
            "submission_id": submission_id or str(uuid.uuid4()),
            "parent": parent,
            "files": list(files),
            "folders": list(folders),
            "label": label,
        }
        return self._call("POST", f"/collections/{collection_id}/delete", json=body)

    def transfer(
        self,
        source: str,
        destination: str,
        items: Iterable[dict[str, Any]],
        *,
        submission_id: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Start a transfer with any Transfer option; pass a submission_id to make retries safe."""
        body = {
            "submission_id": submission_id or str(uuid.uuid4()),
            "source": source,
            "destination": destination,
            "items": list(items),
            **options,
        }
        return self._call("POST", "/transfers", json=body)

    def tasks(self, **filters: Any) -> dict[str, Any]:
        """One page of tasks (status, type, label, from, to, offset)."""
        return self._call("GET", "/tasks", params=filters)

    def task(self, task_id: str) -> dict[str, Any]:
        """One task."""
        return self._call("GET", f"/tasks/{task_id}")

    def task_events(self, task_id: str, offset: int = 0) -> dict[str, Any]:
        """One page of a task's events."""
        return self._call("GET", f"/tasks/{task_id}/events", params={"offset": offset})

    def cancel(self, task_id: str) -> dict[str, Any]:
        """Cancel a task."""
        return self._call("POST", f"/tasks/{task_id}/cancel")

    def automations(self) -> dict[str, Any]:
        """The caller's automations."""
        return self._call("GET", "/automations")

    def run_automation(self, automation_id: int | str) -> dict[str, Any]:
        """Start a run of an automation now (the gateway's worker runs it)."""
        return self._call("POST", f"/automations/{automation_id}/run")

    def automation_runs(self, automation_id: int | str, offset: int = 0) -> dict[str, Any]:
        """One page of an automation's runs."""
        return self._call("GET", f"/automations/{automation_id}/runs", params={"offset": offset})

    def wait(
        self, task_id: str, *, timeout: float = 3600, interval: float = 5, sleep: Callable[[float], None] = time.sleep
    ) -> dict[str, Any]:
        """Poll until the task ends; returns it (TaskFailed if it failed, TaskTimeout if still running)."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.task(task_id)
            if task["status"] == "SUCCEEDED":
                return task
            if task["status"] == "FAILED":
                raise TaskFailed(task)
            if time.monotonic() >= deadline:
                raise TaskTimeout(task)
            sleep(min(interval, max(0.0, deadline - time.monotonic())))
