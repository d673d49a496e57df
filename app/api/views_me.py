"""Who am I, and collections (search, get)."""

from __future__ import annotations

from app.api import models
from app.api.caller import as_caller
from app.api.openapi import spec
from app.services import api_requests, collections


@spec.operation("GET", "/me", summary="The caller's account and linked identities", tag="me", response=models.Me)
def get_me() -> models.Me:
    """The caller's gateway account, as their token describes it."""
    found = as_caller(lambda c: api_requests.caller_profile(c.user_id, c.identity_set, c.client_id, c.scopes))
    profile = found.profile
    return models.Me(
        user_id=profile.user_id,
        primary_identity_id=profile.primary_identity_id,
        username=profile.username,
        name=profile.name,
        email=profile.email,
        identities=[models.Identity.model_validate(identity) for identity in profile.identities],
        identity_set=list(found.identity_set),
        client_id=found.client_id,
        scopes=list(found.scopes),
    )


@spec.operation(
    "GET",
    "/collections",
    summary="Search collections",
    tag="collections",
    query=models.CollectionSearchQuery,
    response=models.CollectionPage,
)
def search_collections(query: models.CollectionSearchQuery) -> models.CollectionPage:
    """One page of collections matching the words, within a scope."""
    page = as_caller(lambda c: collections.search(c.user_id, query.q, query.scope, query.offset))
    return models.CollectionPage(
        data=[models.Collection.model_validate(found) for found in page.results],
        offset=page.offset,
        limit=page.limit,
        has_next_page=page.has_next_page,
    )


@spec.operation(
    "GET", "/collections/<collection_id>", summary="One collection", tag="collections", response=models.Collection
)
def get_collection(collection_id: str) -> models.Collection:
    """A collection's details and the caller's roles on it."""
    checked = collections.validate_collection_id(collection_id)
    return models.Collection.model_validate(as_caller(lambda c: collections.get_collection(c.user_id, checked)))
