"""The transfer pages' two forms (review a selection, a batch list) and what they show again when refused.

A refused submission comes back as the same form with the refusal beside the field it names and
everything the user typed still in place, so nothing has to be typed twice.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

from app.services import access, batch_sources, collection_chooser, collections, transfers
from app.services.errors import DomainError, InvalidRequest, RemotePermissionDenied, refusable
from app.services.submissions import Submitted, new_form_token, token_after
from app.services.transfers import TransferItem, TransferOptions

BATCH_FIELDS = ("source", "source_path", "destination", "destination_path", "batch")


@dataclass(frozen=True)
class ReviewForm:
    """The review page: both collections and folders, the items, the options, its token and any refusal."""

    source: collections.Collection
    destination: collections.Collection
    source_path: str
    destination_path: str
    items: list[TransferItem]
    options: TransferOptions
    form_token: str
    error: DomainError | None = None

    @property
    def items_json(self) -> str:
        """The items as the hidden field posts them back."""
        return json.dumps([item.document() for item in self.items])


@dataclass(frozen=True)
class BatchForm:
    """The batch page: the typed fields (the list included), the options, its token and any refusal."""

    values: dict[str, str]
    options: TransferOptions = field(default_factory=TransferOptions)
    form_token: str = field(default_factory=new_form_token)
    error: DomainError | None = None
    choosers: dict[str, collection_chooser.Chooser] = field(default_factory=dict)

    @property
    def chooser_state(self) -> dict[str, str]:
        """The choosers' query arguments, carried along by their links."""
        return collection_chooser.chooser_state(self.values)

    @property
    def line_errors(self) -> list[transfers.BatchLineError]:
        """The refused lines of the list, when that was the refusal."""
        return self.error.line_errors if isinstance(self.error, transfers.BatchListInvalid) else []


def typed_options(form: Mapping[str, str]) -> TransferOptions:
    """The options as typed, for re-display when one of them was refused (nothing typed is lost)."""
    sync_level = form.get("sync_level")
    return TransferOptions(
        label=(form.get("label") or "")[: transfers.MAX_LABEL * 2],
        sync_level=sync_level if sync_level in transfers.SYNC_LEVELS else "",
        deadline=form.get("deadline") or "",
        exclude_rules=tuple(
            (line.strip(), "") for line in (form.get("exclude_rules") or "").splitlines() if line.strip()
        ),
        flags=frozenset(name for name in transfers.BOOLEAN_OPTIONS if form.get(name)),
    )


def _review(
    user_id: int,
    form: Mapping[str, str],
    items: list[TransferItem],
    options: TransferOptions,
    form_token: str,
    error: DomainError | None = None,
) -> ReviewForm:
    return ReviewForm(
        source=collections.get_collection(user_id, form.get("source", "")),
        destination=collections.get_collection(user_id, form.get("destination", "")),
        source_path=form.get("source_path", ""),
        destination_path=form.get("destination_path", ""),
        items=items,
        options=options,
        form_token=form_token,
        error=error,
    )


def review_selection(user_id: int, form: Mapping[str, str], chosen: list[tuple[str, bool]]) -> ReviewForm:
    """A fresh review form for names picked in one folder, to be copied into another folder."""
    items = transfers.items_from_selection(form.get("source_path", ""), form.get("destination_path", ""), chosen)
    return _review(user_id, form, items, TransferOptions(), new_form_token())


def _check_destination_writable(user_id: int, destination_id: str, destination_path: str) -> None:
    """Refuse, in plain words, a transfer into a folder Transfer says the user may only read.

    Transfer would accept the task and let it fail minutes later; the form can say so now.
    """
    destination = collections.get_collection(user_id, destination_id)
    if access.folder_access(user_id, destination, destination_path).read_only:
        raise RemotePermissionDenied(
            f"{access.READ_ONLY_REASON} “{destination.display_name}” lets you read “{destination_path}”, "
            "not write there: choose a folder you may change as the destination."
        )


def start_selection(user_id: int, form: Mapping[str, str], chosen: list[tuple[str, bool]]) -> Submitted | ReviewForm:
    """Submit a two-pane selection straight away with the options typed beside the panes (once per
    form token), or the review form with the refusal and everything as typed."""
    token = form.get("form_token", "")
    items: list[TransferItem] = []
    options = None
    with refusable() as refused:
        items = transfers.items_from_selection(form.get("source_path", ""), form.get("destination_path", ""), chosen)
        options = transfers.parse_options(form)
        transfer = transfers.build_request(form.get("source", ""), form.get("destination", ""), items, options)
        _check_destination_writable(user_id, transfer.destination, form.get("destination_path", ""))
        return transfers.submit_transfer(user_id, token, transfer)
    return _review(
        user_id, form, items, options or typed_options(form), token_after(refused.error, token), refused.error
    )


def _posted_items(raw: str | None) -> list[TransferItem]:
    try:
        document = json.loads(raw or "null")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser allows
        document = None
    return transfers.items_from_document(document)


def submit_review(user_id: int, form: Mapping[str, str]) -> Submitted | ReviewForm:
    """Submit a reviewed transfer once (the task, new or reused), or its form back with the refusal and the options as typed."""
    token = form.get("form_token", "")
    items = _posted_items(form.get("items"))
    options = None
    with refusable() as refused:
        options = transfers.parse_options(form)
        transfer = transfers.build_request(form.get("source", ""), form.get("destination", ""), items, options)
        _check_destination_writable(user_id, transfer.destination, form.get("destination_path", ""))
        return transfers.submit_transfer(user_id, token, transfer)
    return _review(
        user_id, form, items, options or typed_options(form), token_after(refused.error, token), refused.error
    )


def restored_review(user_id: int, form: Mapping[str, str]) -> ReviewForm:
    """The review form as it was posted before a login interrupted it, with a fresh token."""
    return _review(user_id, form, _posted_items(form.get("items")), typed_options(form), new_form_token())


def restored_selection(user_id: int, form: Mapping[str, str], chosen: list[tuple[str, bool]]) -> ReviewForm:
    """A two-pane selection and its options as posted before a login interrupted it, to review and send."""
    items = transfers.items_from_selection(form.get("source_path", ""), form.get("destination_path", ""), chosen)
    return _review(user_id, form, items, typed_options(form), new_form_token())


def restored_batch(user_id: int, form: Mapping[str, str]) -> BatchForm:
    """The batch form as it was posted before a login interrupted it (an uploaded file is not kept)."""
    values = {key: form.get(key, "") for key in BATCH_FIELDS}
    return BatchForm(values=values, options=typed_options(form), choosers=collection_chooser.choosers(user_id, values))


def batch_form(user_id: int, args: Mapping[str, str]) -> BatchForm:
    """A fresh batch form, prefilled from the link that opened it, with both collection choosers."""
    values = {key: args.get(key, "") for key in BATCH_FIELDS}
    for side in collection_chooser.SIDES:
        values[f"{side}_q"] = args.get(f"{side}_q", "")
    found = collection_chooser.choosers(user_id, values)
    for side, chooser in found.items():
        if chooser.collection is not None and not values[f"{side}_path"]:
            values[f"{side}_path"] = chooser.collection.start_path
    return BatchForm(values=values, choosers=found)


def uploaded_list(upload: IO[bytes]) -> str:
    """The text of an uploaded batch list (UTF-8, at most 1 MB; only that much is ever read)."""
    raw = upload.read(transfers.MAX_BATCH_BYTES + 1)
    transfers.check_batch_size(len(raw), "The uploaded list")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The uploaded list is not UTF-8 text.", field="batch") from None


def submit_batch(user_id: int, form: Mapping[str, str], upload: IO[bytes] | None = None) -> Submitted | BatchForm:
    """Validate every line of a batch list and submit it once (the task), or the form back with what to fix."""
    values = {key: form.get(key, "") for key in BATCH_FIELDS}
    token = form.get("form_token", "")
    options = None
    with refusable() as refused:
        if upload is not None:
            values["batch"] = uploaded_list(upload)
        for side in collection_chooser.SIDES:
            if not values[side].strip():
                raise InvalidRequest(f"Choose a {side} collection above (step 1) first.", field=side)
        options = transfers.parse_options(form)
        lines = transfers.parse_batch_lines(values["batch"], values["source_path"], values["destination_path"])
        transfer = transfers.build_request(
            values["source"], values["destination"], [item for _, _, item in lines], options
        )
        checked = batch_sources.check_sources(
            user_id, transfer.source, lines, skip_missing="skip_source_errors" in options.flags
        )
        _check_destination_writable(user_id, transfer.destination, values["destination_path"] or "/")
        submitted = transfers.submit_transfer(user_id, token, transfer)
        return dataclasses.replace(submitted, note=checked.note)
    return BatchForm(
        values=values,
        options=options or typed_options(form),
        form_token=token_after(refused.error, token),
        error=refused.error,
        choosers=collection_chooser.choosers(user_id, values),
    )
