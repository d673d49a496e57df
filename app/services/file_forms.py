"""The file manager's forms (rename, delete confirmation) as one result object per request.

Each function answers what the page shows next: the done thing, or the form again with the
refusal and what was typed (a refusal the user can fix never loses their input).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services import access, collections, files, paths
from app.services.errors import DomainError, RemotePermissionDenied, refusable
from app.services.submissions import Submitted, new_form_token, token_after

LABEL_LIMIT = 128


@dataclass(frozen=True)
class RenameForm:
    """The rename form for one entry: where it is, its name, the name typed, and any refusal."""

    collection: collections.Collection
    folder: str
    old_name: str
    new_name: str
    error: DomainError | None = None


@dataclass(frozen=True)
class Renamed:
    """A rename that happened, for the message and the folder to go back to."""

    folder: str
    old_name: str
    new_name: str


@dataclass(frozen=True)
class DeletionReview:
    """The delete confirmation: exactly what would go, the one-time form token, and any refusal."""

    collection: collections.Collection
    plan: files.DeletionPlan
    form_token: str
    label: str
    error: DomainError | None = None


def rename_form(user_id: int, collection_id: str, raw_folder: str | None, raw_name: str | None) -> RenameForm:
    """A fresh rename form for the entry `raw_name` of a folder."""
    collection = collections.get_collection(user_id, collection_id)
    folder = paths.normalize_directory(raw_folder)
    name = paths.validate_name(raw_name, field="name")
    return RenameForm(collection=collection, folder=folder, old_name=name, new_name=name)


def rename(user_id: int, collection_id: str, folder: str, old_name: str, new_name: str) -> Renamed | RenameForm:
    """Rename one entry, or give the form back with the refusal and the names as typed."""
    with refusable() as refused:
        files.rename_entry(user_id, collection_id, folder, old_name, new_name)
        return Renamed(folder=paths.normalize_directory(folder), old_name=old_name, new_name=new_name)
    collection = collections.get_collection(user_id, collection_id)
    return RenameForm(collection, folder, old_name, new_name, refused.error)


def review_deletion(
    user_id: int, collection_id: str, folder: str, chosen_files: list[str], chosen_dirs: list[str]
) -> DeletionReview:
    """What deleting the selection would remove, with a fresh form token (raises a fixable refusal)."""
    collection = collections.get_collection(user_id, collection_id)
    if access.folder_access(user_id, collection, folder).read_only:
        # Said before the confirmation lists anything: the delete task would only fail later.
        raise RemotePermissionDenied(
            f"{access.READ_ONLY_REASON} Deleting in “{paths.normalize_directory(folder)}” needs write access."
        )
    plan = files.plan_deletion(user_id, collection_id, folder, chosen_files, chosen_dirs)
    label = f"Delete from {collection.display_name}"[:LABEL_LIMIT]
    return DeletionReview(collection=collection, plan=plan, form_token=new_form_token(), label=label)


def submit_deletion(
    user_id: int,
    collection_id: str,
    folder: str,
    chosen_files: list[str],
    chosen_dirs: list[str],
    label: str,
    form_token: str | None,
) -> Submitted | DeletionReview:
    """Submit the confirmed delete at most once, or the confirmation again with the refusal."""
    with refusable() as refused:
        return files.submit_deletion(user_id, form_token, collection_id, folder, chosen_files, chosen_dirs, label)
    collection = collections.get_collection(user_id, collection_id)
    plan = files.DeletionPlan.as_selected(collection.id, folder, chosen_files, chosen_dirs)
    return DeletionReview(collection, plan, token_after(refused.error, form_token), label, refused.error)
