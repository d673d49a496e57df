"""Before a batch transfer is submitted: does each source path exist? Checked for the first lines only.

One `operation_stat` per line, so the check is bounded (MAX_CHECKED lines, the page says how many
were checked when the list is longer); Globus checks the rest when the task runs. A missing path,
or a file given where the line asks for a folder (`--recursive` or a trailing "/"), is a line error
like any other: nothing is submitted until the list is right.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services import user_clients
from app.services.errors import InvalidRequest, RemoteNotFound, RemotePermissionDenied
from app.services.globus import transfer as upstream
from app.services.transfers import BatchLineError, BatchListInvalid, TransferItem

MAX_CHECKED = 50


@dataclass(frozen=True)
class SourceCheck:
    """How much of a list was checked: `checked` of `total` source paths."""

    checked: int
    total: int

    @property
    def note(self) -> str:
        """What to tell the user after submitting, when not every line was checked."""
        if self.checked >= self.total:
            return ""
        return (
            f"The first {self.checked:,} of {self.total:,} source paths were checked before submitting; "
            "Globus checks the others as the task runs (see its page for any it could not find)."
        )


def check_sources(
    user_id: int, source_id: str, lines: list[tuple[int, str, TransferItem]], *, skip_missing: bool = False
) -> SourceCheck:
    """Stat the source path of the first MAX_CHECKED lines; refuse the list if any is missing or of the wrong kind.

    With `skip_missing` (the transfer's "skip files that cannot be read") a missing or unreadable
    source is what the user asked Globus to skip, so it is not refused here.
    """
    client = user_clients.request_transfer_client(user_id)
    errors: list[BatchLineError] = []
    for number, text, item in lines[:MAX_CHECKED]:
        path = item.source.rstrip("/") if item.recursive and item.source != "/" else item.source
        try:
            found = upstream.stat_path(client, source_id, path)
        except RemoteNotFound:
            if not skip_missing:
                errors.append(BatchLineError(number, text, f"“{item.source}” does not exist on the source collection."))
            continue
        except RemotePermissionDenied:
            if not skip_missing:
                errors.append(
                    BatchLineError(number, text, f"You may not read “{item.source}” on the source collection.")
                )
            continue
        except InvalidRequest as err:
            errors.append(BatchLineError(number, text, err.message))
            continue
        if item.recursive and found.get("type") != "dir":
            errors.append(
                BatchLineError(number, text, f"“{item.source}” is a file; remove --recursive or the trailing “/”.")
            )
        elif not item.recursive and found.get("type") == "dir":
            errors.append(
                BatchLineError(
                    number, text, f"“{item.source}” is a folder; add --recursive to copy it and its contents."
                )
            )
    if errors:
        raise BatchListInvalid(errors)
    return SourceCheck(checked=min(len(lines), MAX_CHECKED), total=len(lines))
