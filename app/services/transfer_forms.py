"""The transfer pages' two forms (review a selection, a batch list) and what they show again when refused.

A refused submission comes back as the same form with the refusal beside the field it names and
everything the user typed still in place, so nothing has to be typed twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO

from app.services import collections, transfers
from app.services.errors import DomainError, InvalidRequest, refusable
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
        return transfers.submit_transfer(user_id, token, transfer)
    return _review(
        user_id, form, items, options or typed_options(form), token_after(refused.error, token), refused.error
    )


def batch_form(args: Mapping[str, str]) -> BatchForm:
    """A fresh batch form, prefilled from the link that opened it."""
    return BatchForm(values={key: args.get(key, "") for key in BATCH_FIELDS})


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
        options = transfers.parse_options(form)
        items = transfers.parse_batch(values["batch"], values["source_path"], values["destination_path"])
        transfer = transfers.build_request(values["source"], values["destination"], items, options)
        return transfers.submit_transfer(user_id, token, transfer)
    return BatchForm(
        values=values,
        options=options or typed_options(form),
        form_token=token_after(refused.error, token),
        error=refused.error,
    )
