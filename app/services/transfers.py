"""Transfer and delete requests: every TransferData option, items from a selection or a batch list.

A request is validated into a plain JSON document (what `services/globus/transfer.py` turns into
TransferData/DeleteData and what `submissions.py` saves before the call), so a resubmission
later reproduces exactly the same options.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.services import paths, submissions, transfer_sizes
from app.services.collections import validate_collection_id
from app.services.errors import InvalidRequest

SYNC_LEVELS = {
    "": "Always copy every file",
    "exists": "Only copy files missing at the destination",
    "size": "Copy when the size differs",
    "mtime": "Copy when the source is newer",
    "checksum": "Copy when the contents differ (checksum)",
}
BOOLEAN_OPTIONS = (
    "verify_checksum",
    "preserve_timestamp",
    "encrypt_data",
    "delete_destination_extra",
    "skip_source_errors",
    "fail_on_quota_errors",
    "notify_on_succeeded",
    "notify_on_failed",
    "notify_on_inactive",
)
# What a fresh form has ticked: Globus' own defaults (integrity check and every notification).
DEFAULT_TICKED = frozenset({"verify_checksum", "notify_on_succeeded", "notify_on_failed", "notify_on_inactive"})
MAX_LABEL = 128
MAX_EXCLUDE_RULES = 50
MAX_ITEMS = 10_000
MAX_BATCH_BYTES = 1_000_000
RECURSIVE_FLAGS = ("--recursive", "-r")


@dataclass(frozen=True)
class TransferOptions:
    """The options of a transfer, as the form collects them."""

    label: str = ""
    sync_level: str = ""
    deadline: str = ""  # ISO 8601 UTC, "" for none
    exclude_rules: tuple[tuple[str, str], ...] = ()  # (pattern, "file" | "dir" | "")
    flags: frozenset[str] = DEFAULT_TICKED

    def document(self) -> dict[str, Any]:
        """The options as the plain document fields the submission saves."""
        doc: dict[str, Any] = {name: name in self.flags for name in BOOLEAN_OPTIONS}
        doc.update(label=self.label or None, sync_level=self.sync_level or None, deadline=self.deadline or None)
        doc["exclude_rules"] = [{"name": name, "type": kind or None} for name, kind in self.exclude_rules]
        return doc

    @property
    def beyond_basics(self) -> bool:
        """True when an option other than label, sync level and verify differs from its default
        (the form then shows its folded options open, so nothing set is hidden)."""
        # Globus' own email options are left out: the gateway may hide them (its own notifications).
        folded = {"preserve_timestamp", "encrypt_data", "delete_destination_extra", "skip_source_errors"}
        folded.add("fail_on_quota_errors")
        return bool(self.deadline or self.exclude_rules or (self.flags ^ DEFAULT_TICKED) & folded)

    @property
    def exclude_text(self) -> str:
        """The exclude rules as the textarea shows them, one per line."""
        return "\n".join(f"{kind}:{name}" if kind else name for name, kind in self.exclude_rules)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> TransferOptions:
        """Rebuild the options of a saved document (for resubmission and re-display)."""
        return cls(
            label=doc.get("label") or "",
            sync_level=doc.get("sync_level") or "",
            deadline=doc.get("deadline") or "",
            exclude_rules=tuple((r["name"], r.get("type") or "") for r in doc.get("exclude_rules") or []),
            flags=frozenset(name for name in BOOLEAN_OPTIONS if doc.get(name)),
        )


def check_label(raw: str | None) -> str:
    """A task label: optional, up to 128 printable characters."""
    label = (raw or "").strip()
    if len(label) > MAX_LABEL:
        raise InvalidRequest(f"Labels are at most {MAX_LABEL} characters.", field="label")
    if any(ord(c) < 32 or ord(c) == 127 for c in label):
        raise InvalidRequest("Labels cannot contain control characters.", field="label")
    return label


def _deadline(raw: str | None) -> str:
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("Give the deadline as a date and time, e.g. 2026-12-31T18:00.", field="deadline") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= datetime.now(UTC):
        raise InvalidRequest("The deadline must be in the future (times are UTC).", field="deadline")
    try:
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    except OverflowError:  # 9999-12-31T23:59-05:00 is in the year 10000 in UTC (found by tests/fuzz)
        raise InvalidRequest("That deadline is too far in the future.", field="deadline") from None


def _exclude_rules(raw: str | None) -> tuple[tuple[str, str], ...]:
    rules = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        text = line.strip()
        if not text:
            continue
        kind = ""
        if text.startswith(("file:", "dir:")):
            kind, text = text.split(":", 1)
            text = text.strip()
        if not text or "/" in text or any(ord(c) < 32 for c in text) or len(text) > 255:
            raise InvalidRequest(
                f"Exclude rule on line {number} must be a name pattern such as *.tmp (no '/').",
                field="exclude_rules",
            )
        rules.append((text, kind))
    if len(rules) > MAX_EXCLUDE_RULES:
        raise InvalidRequest(f"At most {MAX_EXCLUDE_RULES} exclude rules.", field="exclude_rules")
    return tuple(rules)


def parse_options(form: Mapping[str, str]) -> TransferOptions:
    """Validate the option fields of a transfer form (unticked boxes are simply absent)."""
    sync_level = form.get("sync_level") or ""
    if sync_level not in SYNC_LEVELS:
        raise InvalidRequest("Choose one of the offered sync levels.", field="sync_level")
    flags = frozenset(name for name in BOOLEAN_OPTIONS if form.get(name) in ("on", "1", "true", "yes"))
    if "delete_destination_extra" in flags and not sync_level:
        # Globus only deletes extra files while syncing; say so rather than let the task fail.
        raise InvalidRequest("Deleting extra destination files needs a sync level.", field="delete_destination_extra")
    return TransferOptions(
        label=check_label(form.get("label")),
        sync_level=sync_level,
        deadline=_deadline(form.get("deadline")),
        exclude_rules=_exclude_rules(form.get("exclude_rules")),
        flags=flags,
    )


@dataclass(frozen=True)
class TransferItem:
    """One source → destination pair."""

    source: str
    destination: str
    recursive: bool

    def document(self) -> dict[str, Any]:
        """The item as the plain document stores it."""
        return {"source": self.source, "destination": self.destination, "recursive": self.recursive}


def items_from_selection(source_dir: str, destination_dir: str, chosen: list[tuple[str, bool]]) -> list[TransferItem]:
    """Items for names picked in one folder, copied under the same names into another folder."""
    source_dir = paths.normalize_directory(source_dir, field="source_path")
    destination_dir = paths.normalize_directory(destination_dir, field="destination_path")
    items = []
    for name, is_dir in chosen:
        suffix = "/" if is_dir else ""
        items.append(
            TransferItem(paths.join(source_dir, name) + suffix, paths.join(destination_dir, name) + suffix, is_dir)
        )
    return items


def items_from_document(raw: Any) -> list[TransferItem]:
    """Items posted back by the review form (a JSON list), each path checked again."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_ITEMS:
        raise InvalidRequest("The list of files to transfer is missing or too long.", field="items")
    items = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise InvalidRequest("The list of files to transfer is malformed.", field="items")
        recursive = bool(entry.get("recursive"))
        items.append(
            TransferItem(
                _item_path(entry.get("source"), recursive, "items"),
                _item_path(entry.get("destination"), recursive, "items"),
                recursive,
            )
        )
    return items


def _item_path(raw: Any, recursive: bool, field: str) -> str:
    if not isinstance(raw, str):
        raise InvalidRequest("Every item needs a source and a destination path.", field=field)
    path = paths.normalize_any(raw, field=field)
    return path if not recursive or path.endswith("/") else path + "/"


BATCH_DOTDOT = (
    "Paths cannot contain '..'. Write the path from the base folder chosen above, "
    "or choose a higher base folder (or start the path with / for the collection's root)."
)


@dataclass(frozen=True)
class BatchLineError:
    """Why one line of a batch list was refused."""

    line: int
    text: str
    message: str


class BatchListInvalid(InvalidRequest):
    """A batch list with at least one bad line; nothing was submitted."""

    def __init__(self, errors: list[BatchLineError]) -> None:
        count = "1 line" if len(errors) == 1 else f"{len(errors):,} lines"
        super().__init__(
            f"{count} of the list need{'s' if len(errors) == 1 else ''} fixing; nothing was submitted.", field="batch"
        )
        self.line_errors = errors


def check_batch_size(size: int, what: str = "The list") -> None:
    """Refuse a batch list of more than MAX_BATCH_BYTES (1 MB), typed or uploaded."""
    if size > MAX_BATCH_BYTES:
        raise InvalidRequest(f"{what} is larger than 1 MB; split it into several transfers.", field="batch")


def parse_batch(text: str, source_base: str, destination_base: str) -> list[TransferItem]:
    """Items from `source destination` lines (shell quoting, `--recursive`, `#` comments), all or nothing."""
    return [item for _, _, item in parse_batch_lines(text, source_base, destination_base)]


def parse_batch_lines(text: str, source_base: str, destination_base: str) -> list[tuple[int, str, TransferItem]]:
    """Like parse_batch, with each item's line number and text (to point at a line found wrong later)."""
    check_batch_size(len(text.encode("utf-8")))
    source_base = paths.normalize_directory(source_base, field="source_path")
    destination_base = paths.normalize_directory(destination_base, field="destination_path")
    items: list[tuple[int, str, TransferItem]] = []
    errors: list[BatchLineError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            items.append((number, line[:300], _batch_item(stripped, source_base, destination_base)))
        except (ValueError, InvalidRequest) as err:
            errors.append(BatchLineError(number, line[:300], getattr(err, "message", None) or str(err)))
    if not items and not errors:
        raise InvalidRequest("The list is empty: add one `source destination` pair per line.", field="batch")
    if len(items) > MAX_ITEMS:
        errors.append(BatchLineError(0, "", f"At most {MAX_ITEMS:,} items per transfer."))
    if errors:
        raise BatchListInvalid(errors)
    return items


def _batch_item(line: str, source_base: str, destination_base: str) -> TransferItem:
    words = shlex.split(line)  # raises ValueError on an unclosed quote
    recursive = False
    # The flag may lead or trail the pair; a quoted name "-r" in the middle stays a name.
    if len(words) == 3 and words[0] in RECURSIVE_FLAGS:
        words, recursive = words[1:], True
    elif len(words) == 3 and words[2] in RECURSIVE_FLAGS:
        words, recursive = words[:2], True
    if len(words) != 2:
        raise ValueError("Expected a source and a destination path (quote names with spaces).")
    source, destination = (
        _resolve(word, base) for word, base in zip(words, (source_base, destination_base), strict=True)
    )
    if source.endswith("/") or destination.endswith("/"):
        recursive = True
    try:
        return TransferItem(
            _item_path(source, recursive, "batch"), _item_path(destination, recursive, "batch"), recursive
        )
    except InvalidRequest as err:
        if "'..'" in err.message:
            # The folder pages' wording points at their breadcrumb; this page has base folders instead.
            raise ValueError(BATCH_DOTDOT) from None
        raise


def _resolve(word: str, base: str) -> str:
    # Relative paths are taken inside the chosen base folder, as the Globus CLI's --batch does.
    return word if word.startswith(("/", "~")) else base + word


@dataclass(frozen=True)
class TransferRequest:
    """A complete, validated transfer ready for at-most-once submission."""

    source: str
    destination: str
    items: list[TransferItem]
    options: TransferOptions = field(default_factory=TransferOptions)

    def document(self) -> dict[str, Any]:
        """The request as the plain document saved before submission."""
        doc: dict[str, Any] = {"kind": "transfer", "source": self.source, "destination": self.destination}
        doc.update(self.options.document())
        doc["items"] = [item.document() for item in self.items]
        return doc


def build_request(
    source: str, destination: str, items: list[TransferItem], options: TransferOptions
) -> TransferRequest:
    """Check the collections and items of a transfer and bundle them with its options."""
    if not items:
        raise InvalidRequest("Select at least one file or folder to transfer.", field="items")
    if len(items) > MAX_ITEMS:
        raise InvalidRequest(f"At most {MAX_ITEMS:,} items per transfer.", field="items")
    source = validate_collection_id(source, field="source")
    destination = validate_collection_id(destination, field="destination")
    if source == destination and any(item.source.rstrip("/") == item.destination.rstrip("/") for item in items):
        raise InvalidRequest(
            "Source and destination are the same place; choose another destination folder.", field="items"
        )
    return TransferRequest(source=source, destination=destination, items=items, options=options)


def submit_transfer(user_id: int, form_token: str, request: TransferRequest) -> submissions.Submitted:
    """Submit a transfer at most once per form token; returns the (possibly earlier) task id."""
    document = request.document()
    if not submissions.already_saved(user_id, form_token):
        # Saved with the request so the task page can show a percentage of bytes (see transfer_sizes).
        document["expected_bytes"] = transfer_sizes.expected_bytes(user_id, request)
    return submissions.submit_once(user_id, form_token, document)


def submit_deletion(
    user_id: int,
    form_token: str | None,
    collection_id: str,
    raw_folder: str | None,
    chosen: list[tuple[str, bool]],
    label: str,
) -> submissions.Submitted:
    """Submit a delete task for names in one folder, at most once per form token."""
    folder = paths.normalize_directory(raw_folder)
    document = {
        "kind": "delete",
        "collection": validate_collection_id(collection_id),
        "label": check_label(label) or None,
        "notify_on_succeeded": False,
        "notify_on_failed": True,
        "notify_on_inactive": True,
        "items": [
            {"path": paths.join(folder, name) + ("/" if is_dir else ""), "recursive": is_dir} for name, is_dir in chosen
        ],
        "folder": folder,
    }
    if not document["items"]:
        raise InvalidRequest("Select at least one file or folder to delete.", field="selection")
    return submissions.submit_once(user_id, form_token, document)
