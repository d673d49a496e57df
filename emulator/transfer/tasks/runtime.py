"""What a running task needs from the catalogue: the owner's permissions, confined paths on disk.

Permissions are checked again when a task runs (an access rule may have been removed since the
submission), with the owner's identities and groups as they are now and the consents the
submitting token carried. A collection that is down is waited for, not failed on.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from emulator.auth.models import Identity
from emulator.auth.tokens import TokenContext, group_ids_for, linked_identity_ids
from emulator.db import session_scope
from emulator.errors import GlobusError
from emulator.transfer.access import READ, TRANSFER_ALL_SCOPE, WRITE, get_collection, require_access
from emulator.transfer.tasks.models import Task
from emulator.transfer.tasks.progress import CHECK_INTERVAL, TaskFailed, TaskProgress

TEMP_PREFIX = ".globus-part-"


class SourceError(Exception):
    """A source path that is missing or unreadable (skippable under skip_source_errors)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def owner_context(session, task: Task) -> TokenContext:  # noqa: ANN001 - Session
    """The task owner as a token context: current linked identities and groups, submitted consents."""
    identities = linked_identity_ids(session, task.owner_id)
    identity = session.get(Identity, task.owner_id)
    return TokenContext(
        identity_id=task.owner_id,
        client_id=task.client_id,
        resource_server="transfer.api.globus.org",
        scopes=(TRANSFER_ALL_SCOPE,),
        dependent_scopes=tuple(task.dependent_scopes.split()),
        identity_ids=frozenset(identities),
        group_ids=frozenset(group_ids_for(session, identities)),
        username=identity.username if identity is not None else task.owner_string,
    )


def child_display(parent: str, name: str, is_dir: bool) -> str:
    """The Globus path of an entry inside a directory path, directories ending in "/"."""
    return parent.rstrip("/") + "/" + name + ("/" if is_dir else "")


def temp_name(destination: str, task_id: str) -> str:
    """A hidden temporary name beside the destination (hashed, so long names still fit)."""
    folder, name = os.path.split(destination)
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]  # noqa: S324 - a name, not security
    return os.path.join(folder, f"{TEMP_PREFIX}{task_id[:8]}-{digest}")


class PathResolver:
    """Turns a task's Globus paths into checked files on disk, for its source and destination."""

    def __init__(self, app, progress: TaskProgress, task: Task, owner: TokenContext) -> None:  # noqa: ANN001
        self.app = app
        self.progress = progress
        self.owner = owner
        self.source_id = task.source_endpoint_id
        self.destination_id = task.destination_endpoint_id or task.source_endpoint_id
        with session_scope(app) as session:
            self.source_root = os.path.realpath(get_collection(session, self.source_id).root_path)
            self.destination_root = os.path.realpath(get_collection(session, self.destination_id).root_path)

    def _resolve(self, collection_id: str, path: str, mode: str, *, follow_final: bool) -> Path:
        while True:
            with session_scope(self.app) as session:
                try:
                    collection = get_collection(session, collection_id)
                    return require_access(
                        session, self.owner, collection, path, mode, via="transfer", follow_final=follow_final
                    )
                except GlobusError as err:
                    if err.code != "EndpointError":
                        raise
            # The collection is down: checkpoints record the outage and wait until it is back.
            self.progress.wait(CHECK_INTERVAL)

    def source(self, path: str) -> Path:
        """A readable source path; a denial is a source error (skippable)."""
        try:
            return self._resolve(self.source_id, path, READ, follow_final=True)
        except GlobusError as err:
            if err.code == "ConsentRequired":
                raise TaskFailed("CONSENT_REQUIRED", err.message) from err
            raise SourceError("PERMISSION_DENIED", err.message) from err

    def destination(self, path: str) -> Path:
        """A writable destination path; a denial fails the task."""
        try:
            return self._resolve(self.destination_id, path, WRITE, follow_final=False)
        except GlobusError as err:
            code = "CONSENT_REQUIRED" if err.code == "ConsentRequired" else "PERMISSION_DENIED"
            raise TaskFailed(code, err.message) from err

    def delete_target(self, path: str) -> Path:
        """A path a delete task may remove (the link itself for a symlink); a denial fails the task."""
        try:
            return self._resolve(self.source_id, path, WRITE, follow_final=False)
        except GlobusError as err:
            code = "CONSENT_REQUIRED" if err.code == "ConsentRequired" else "PERMISSION_DENIED"
            raise TaskFailed(code, err.message) from err

    def root_of_delete(self) -> Path:
        """The collection root a delete task works in (which itself may never be deleted)."""
        return Path(self.source_root)

    def inside_source(self, real_path: str) -> bool:
        """True when a resolved path lies inside the source collection."""
        return real_path == self.source_root or real_path.startswith(self.source_root + os.sep)

    def _inside_destination(self, path: str | Path) -> bool:
        real = os.path.realpath(path)
        return real == self.destination_root or real.startswith(self.destination_root + os.sep)

    def make_parents(self, destination: Path) -> None:
        """Create a file destination's missing parent folders, never through a link out of the root."""
        parent = destination.parent
        if not self._inside_destination(parent):
            raise TaskFailed("PERMISSION_DENIED", f"Path not allowed: {parent} leaves the collection.")
        if parent.exists() and not parent.is_dir():
            raise TaskFailed("NOT_A_DIRECTORY", "A parent of the destination path is a file.")
        try:
            os.makedirs(parent, exist_ok=True)
        except FileExistsError as err:
            raise TaskFailed("NOT_A_DIRECTORY", "A parent of the destination path is a file.") from err

    def make_directory(self, destination: str, display: str) -> None:
        """Create (or reuse) a destination folder of a recursive transfer."""
        if not self._inside_destination(destination):
            raise TaskFailed("PERMISSION_DENIED", f"Path not allowed: {display} leaves the collection.")
        if os.path.lexists(destination) and not os.path.isdir(destination):
            raise TaskFailed("NOT_A_DIRECTORY", f"The destination {display} exists and is not a directory.")
        self.make_parents(Path(destination))
        os.makedirs(destination, exist_ok=True)
