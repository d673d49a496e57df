"""The API's request and response bodies (pydantic v2); the OpenAPI document is built from them.

Responses are built from the service layer's plain dataclasses (`from_attributes`), so what the
API says about a task or a folder is exactly what the pages show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.services.files import PAGE_SIZES


class Body(BaseModel):
    """Base of every body: read from the services' dataclasses, unknown request fields refused."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class Query(BaseModel):
    """Base of query-string models: unknown parameters are ignored, as browsers' forms are."""

    model_config = ConfigDict(extra="ignore")


class ErrorBody(Body):
    """Every error, whatever the status."""

    error: str = Field(description="A stable code, e.g. invalid_token, not_found, rate_limited")
    message: str
    request_id: str | None
    details: dict[str, object] = Field(default_factory=dict)


# --- me ---------------------------------------------------------------------------------------


class Identity(Body):
    identity_id: str
    username: str
    name: str | None
    email: str | None
    organization: str | None
    identity_provider: str | None
    primary: bool


class Me(Body):
    """The caller's gateway account and the token they called with."""

    user_id: int
    primary_identity_id: str
    username: str
    name: str | None
    email: str | None
    identities: list[Identity]
    identity_set: list[str] = Field(description="Every Globus identity linked to the token's account")
    client_id: str = Field(description="The Globus client (partner portal, script) that holds the token")
    scopes: list[str]


# --- collections --------------------------------------------------------------------------------


class Collection(Body):
    id: str
    display_name: str
    owner: str
    entity_type: str
    description: str
    organization: str
    department: str
    contact_email: str
    keywords: str
    https_server: str | None
    high_assurance: bool
    host_collection_id: str | None
    default_directory: str | None
    my_roles: list[str]


class CollectionSearchQuery(Query):
    q: str = Field("", max_length=200, description="Words from the name, owner or description")
    scope: Literal["my-endpoints", "shared-with-me", "recently-used", "administered-by-me", "all"] = "all"
    offset: int = Field(0, ge=0, le=999)


class CollectionPage(Body):
    data: list[Collection]
    offset: int
    limit: int
    has_next_page: bool


# --- folders ------------------------------------------------------------------------------------


class FolderQuery(Query):
    path: str | None = Field(None, max_length=4096, description="Folder to list; the collection's default if absent")
    limit: int = Field(100, json_schema_extra={"enum": list(PAGE_SIZES)}, description="Entries per page")
    offset: int = Field(0, ge=0, le=100_000)
    sort: Literal["name", "size", "modified"] = "name"
    order: Literal["asc", "desc"] = "asc"
    filter: str = Field("", max_length=255, description="Part of a name, or a pattern with * ? [")
    hidden: bool = False

    @field_validator("limit")
    @classmethod
    def _page_size(cls, value: int) -> int:
        if value not in PAGE_SIZES:
            raise ValueError(f"limit is one of {', '.join(map(str, PAGE_SIZES))}")
        return value


class FileEntry(Body):
    name: str
    kind: str = Field(description="dir, file or link")
    size: int
    last_modified: datetime | None
    permissions: str
    path: str


class FolderListing(Body):
    collection_id: str
    path: str
    data: list[FileEntry]
    offset: int
    limit: int
    total: int | None
    has_next_page: bool


class MakeFolder(Body):
    parent: str = Field(max_length=4096)
    name: str = Field(min_length=1, max_length=255)


class Rename(Body):
    parent: str = Field(max_length=4096)
    old_name: str = Field(min_length=1, max_length=255)
    new_name: str = Field(min_length=1, max_length=255)


class PathResult(Body):
    collection_id: str
    path: str


class DeleteRequest(Body):
    submission_id: UUID = Field(description="Chosen by the caller: the same id again returns the same task")
    parent: str = Field(max_length=4096)
    files: list[str] = Field(default_factory=list, max_length=10_000)
    folders: list[str] = Field(default_factory=list, max_length=10_000)
    label: str = Field("", max_length=128)


# --- transfers ----------------------------------------------------------------------------------


class TransferItem(Body):
    source: str = Field(min_length=1, max_length=4096)
    destination: str = Field(min_length=1, max_length=4096)
    recursive: bool = False


class ExcludeRule(Body):
    name: str = Field(min_length=1, max_length=255, description="A name pattern such as *.tmp (no '/')")
    type: Literal["file", "dir"] | None = None


class TransferRequest(Body):
    """Every option of Globus Transfer, as on the transfer form."""

    submission_id: UUID = Field(description="Chosen by the caller: the same id again returns the same task, never two")
    source: str = Field(description="Source collection id")
    destination: str = Field(description="Destination collection id")
    items: list[TransferItem] = Field(min_length=1, max_length=10_000)
    label: str = Field("", max_length=128)
    sync_level: Literal["", "exists", "size", "mtime", "checksum"] = ""
    verify_checksum: bool = True
    preserve_timestamp: bool = False
    encrypt_data: bool = False
    delete_destination_extra: bool = False
    skip_source_errors: bool = False
    fail_on_quota_errors: bool = False
    deadline: datetime | None = Field(None, description="ISO 8601; UTC when no offset is given")
    exclude_rules: list[ExcludeRule] = Field(default_factory=list, max_length=50)
    notify_on_succeeded: bool = True
    notify_on_failed: bool = True
    notify_on_inactive: bool = True


class Submitted(Body):
    task_id: str
    kind: str
    reused: bool = Field(description="True when this submission id had already made the task")


# --- tasks --------------------------------------------------------------------------------------


class TaskQuery(Query):
    status: Literal["", "ACTIVE", "INACTIVE", "SUCCEEDED", "FAILED"] = ""
    type: Literal["", "TRANSFER", "DELETE"] = ""
    label: str = Field("", max_length=128)
    from_: str = Field("", alias="from", description="First day, e.g. 2026-11-23")
    to: str = Field("", description="Last day, e.g. 2026-11-30")
    offset: int = Field(0, ge=0, le=100_000)


class Task(Body):
    task_id: str
    kind: str
    status: str
    status_label: str
    label: str
    source_id: str | None
    source_name: str
    destination_id: str | None
    destination_name: str
    requested: datetime | None
    completed: datetime | None
    deadline: datetime | None
    files: int
    directories: int
    files_transferred: int
    files_skipped: int
    skipped_errors: int
    bytes_transferred: int
    bytes_per_second: int
    faults: int
    percent: int
    nice_status: str
    fatal_error: str
    cancelled: bool
    is_done: bool


class TaskPage(Body):
    data: list[Task]
    offset: int
    limit: int
    total: int
    has_next_page: bool


class OffsetQuery(Query):
    offset: int = Field(0, ge=0, le=100_000)


class MarkerQuery(Query):
    marker: str | None = Field(None, max_length=512)


class Event(Body):
    time: datetime | None
    code: str
    description: str
    details: str
    is_error: bool


class EventPage(Body):
    data: list[Event]
    offset: int
    limit: int
    total: int
    has_next_page: bool


class FileResult(Body):
    source_path: str
    destination_path: str
    error: str


class FileResultPage(Body):
    data: list[FileResult]
    marker: str | None
    next_marker: str | None
    has_next_page: bool


class Cancellation(Body):
    task_id: str
    message: str


# --- automations --------------------------------------------------------------------------------


class AutomationFields(Body):
    """An automation as its form describes it (the same fields and checks as the automation page)."""

    fields: dict[str, str] = Field(
        description=(
            "The automation form's fields: name, description, source, source_path, destination, "
            "destination_path, preset, at, every, cron, day_of_month, timezone, starts_on, ends_on, "
            "max_runs, label, sync_level, deadline, exclude_rules, backup, backup_collection, "
            "backup_path, delete_source, delete_confirm, ingest; ticked boxes are 'on'"
        ),
        max_length=100,
    )
    weekly_days: list[str] = Field(default_factory=list, max_length=7, description="ISO weekdays 1-7 for weekly runs")


class AutomationSummary(Body):
    id: int
    name: str
    route: str
    schedule: str
    status: str
    paused_reason: str | None
    next_run: str | None
    last_status: str | None


class AutomationListing(Body):
    data: list[AutomationSummary]
    paused_for_tokens: int
    tokens_dead: bool


class AutomationSaved(Body):
    automation_id: int


class AutomationStep(Body):
    id: int
    label: str
    status: str
    attempts: int
    task_id: str | None
    error: str | None
    retryable: bool


class AutomationRun(Body):
    id: int
    trigger: str
    scheduled_for: datetime
    local_time: str
    status: str
    skip_reason: str | None
    error: str | None
    task_id: str | None
    bytes_transferred: int | None
    files_transferred: int | None
    files_skipped: int | None
    steps: list[AutomationStep]


class AutomationRuns(Body):
    automation_id: int
    name: str
    schedule: str
    data: list[AutomationRun]
    offset: int
    total: int
    has_next_page: bool


class RunStarted(Body):
    run_id: int
    skipped: str | None


class Done(Body):
    message: str
