"""Folders on a collection: list (paged, sorted, filtered), make, rename, delete (a task)."""

from __future__ import annotations

from app.api import models
from app.api.caller import as_caller
from app.api.openapi import spec
from app.services import api_requests, collections, files


@spec.operation(
    "GET",
    "/collections/<collection_id>/folders",
    summary="List a folder",
    tag="folders",
    query=models.FolderQuery,
    response=models.FolderListing,
)
def list_folder(collection_id: str, query: models.FolderQuery) -> models.FolderListing:
    """One page of a folder, folders first, then by the chosen column."""
    checked = collections.validate_collection_id(collection_id)
    options = files.ListingOptions(
        sort=query.sort,
        descending=query.order == "desc",
        name_filter=query.filter,
        show_hidden=query.hidden,
        offset=query.offset,
        limit=query.limit,
    )
    view = as_caller(lambda c: files.list_folder(c.user_id, checked, query.path, options))
    return models.FolderListing(
        collection_id=view.collection_id,
        path=view.path,
        data=[models.FileEntry.model_validate(entry) for entry in view.entries],
        offset=view.options.offset,
        limit=view.options.limit,
        total=view.total,
        has_next_page=view.has_next_page,
    )


@spec.operation(
    "POST",
    "/collections/<collection_id>/folders",
    summary="Make a folder",
    tag="folders",
    body=models.MakeFolder,
    response=models.PathResult,
    status=201,
)
def make_folder(collection_id: str, body: models.MakeFolder) -> models.PathResult:
    """Create a folder inside `parent`."""
    path = as_caller(
        lambda c: files.make_folder(
            c.user_id, collections.validate_collection_id(collection_id), body.parent, body.name
        )
    )
    return models.PathResult(collection_id=collection_id, path=path)


@spec.operation(
    "POST",
    "/collections/<collection_id>/rename",
    summary="Rename a file or folder",
    tag="folders",
    body=models.Rename,
    response=models.PathResult,
)
def rename(collection_id: str, body: models.Rename) -> models.PathResult:
    """Rename one entry of a folder."""
    path = as_caller(
        lambda c: files.rename_entry(
            c.user_id, collections.validate_collection_id(collection_id), body.parent, body.old_name, body.new_name
        )
    )
    return models.PathResult(collection_id=collection_id, path=path)


@spec.operation(
    "POST",
    "/collections/<collection_id>/delete",
    summary="Delete files and folders (a delete task)",
    tag="folders",
    body=models.DeleteRequest,
    response=models.Submitted,
    status=202,
)
def delete(collection_id: str, body: models.DeleteRequest) -> models.Submitted:
    """Start a delete task for names in one folder; the same submission_id again returns the same task."""
    submitted = as_caller(
        lambda c: api_requests.submit_deletion(
            c.user_id, collection_id, str(body.submission_id), body.parent, (body.files, body.folders), body.label
        )
    )
    return models.Submitted.model_validate(submitted)
