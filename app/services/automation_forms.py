"""The automation form: what a recurring sync copies, with which options, when, and what follows.

A posted form is validated into an AutomationSpec (plain data the service saves); a refused one
comes back with everything typed still in place and the message beside its field.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.services import paths, schedules, transfers
from app.services.collections import validate_collection_id
from app.services.errors import InvalidRequest
from app.services.schedules import Schedule

PREVIEW_RUNS = 5
MAX_NAME = 100
MAX_DEADLINE_HOURS = 24 * 14
# Placeholders a label template may use; filled in the user's zone when a run starts.
LABEL_PLACEHOLDERS = {"name", "date", "time"}
DEFAULT_LABEL = "{name} {date}"
STEP_TYPES = {
    "backup": "Copy the destination to a second collection (backup)",
    "delete_source": "Delete the source folder after a checksum-verified transfer",
    "ingest": "Add a search record for each transferred file to the gateway's index",
}


# What a posted form offers: werkzeug's MultiDict, the query string, or a plain dict in tests.
FormData = Mapping[str, Any]


@dataclass(frozen=True)
class AutomationSpec:
    """A validated automation, ready to save."""

    name: str
    source: str
    source_path: str
    destination: str
    destination_path: str
    options: transfers.TransferOptions
    deadline_hours: int | None
    label_template: str
    schedule: Schedule
    follow_ups: list[dict[str, Any]] = field(default_factory=list)

    def options_document(self) -> dict[str, Any]:
        """The transfer options as saved on the automation (the label comes from the template)."""
        doc = self.options.document()
        doc.pop("label", None)
        doc.pop("deadline", None)
        doc["deadline_hours"] = self.deadline_hours
        return doc


def render_label(template: str, *, name: str, moment: datetime, zone: str) -> str:
    """A run's task label: the template with {name}, {date} and {time} in the user's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    text = (template or DEFAULT_LABEL).format(name=name, date=local.strftime("%Y-%m-%d"), time=local.strftime("%H:%M"))
    return text[: transfers.MAX_LABEL]


def _label_template(raw: str | None, name: str) -> str:
    template = (raw or "").strip() or DEFAULT_LABEL
    try:
        fields = {part[1] for part in string.Formatter().parse(template) if part[1] is not None}
    except ValueError:
        raise InvalidRequest("Unmatched { or } in the label; use {date}, {time} or {name}.", field="label") from None
    unknown = fields - LABEL_PLACEHOLDERS
    if unknown or any(not f for f in fields):
        raise InvalidRequest("The label may use {date}, {time} and {name} only.", field="label")
    example = render_label(template, name=name, moment=datetime.now(UTC), zone="UTC")
    transfers.check_label(example)
    if len(template) > transfers.MAX_LABEL:
        raise InvalidRequest(f"Labels are at most {transfers.MAX_LABEL} characters.", field="label")
    return template


def _name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidRequest("Give the automation a name.", field="name")
    if len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise InvalidRequest(f"Names are at most {MAX_NAME} printable characters.", field="name")
    return name


def _deadline_hours(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_DEADLINE_HOURS:
        raise InvalidRequest(f"Each run's deadline is 1 to {MAX_DEADLINE_HOURS} hours (or empty).", field="deadline")
    return int(text)


def _ticked(form: Mapping[str, Any], name: str) -> bool:
    return form.get(name) in ("on", "1", "true", "yes")


def _follow_ups(form: Mapping[str, Any], source_path: str, options: transfers.TransferOptions) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    if _ticked(form, "backup"):
        steps.append(
            {
                "type": "backup",
                "collection": validate_collection_id(form.get("backup_collection"), field="backup_collection"),
                "path": paths.normalize_directory(form.get("backup_path"), field="backup_path"),
            }
        )
    if _ticked(form, "ingest"):
        steps.append({"type": "ingest"})
    if _ticked(form, "delete_source"):
        if "verify_checksum" not in options.flags:
            raise InvalidRequest(
                "Deleting the source needs checksum verification: tick 'Verify file integrity'.", field="delete_source"
            )
        folder = paths.base_name(source_path.rstrip("/")) or source_path
        if source_path in (paths.HOME, "/"):
            raise InvalidRequest(
                "The gateway will not delete a whole collection or home folder.", field="delete_source"
            )
        if (form.get("delete_confirm") or "").strip() != folder:
            raise InvalidRequest(
                f"To let each run delete the source folder, type its name ({folder}) to confirm.",
                field="delete_confirm",
            )
        steps.append({"type": "delete_source", "confirmed": folder})
    return steps


def parse_form(form: FormData, *, weekly_days: list[str] | None = None) -> AutomationSpec:
    """Validate a posted automation form into an AutomationSpec (raises InvalidRequest with its field)."""
    plain = {key: form.get(key) for key in _FIELDS}
    name = _name(plain.get("name"))
    source = validate_collection_id(plain.get("source"), field="source")
    destination = validate_collection_id(plain.get("destination"), field="destination")
    source_path = paths.normalize_directory(plain.get("source_path"), field="source_path")
    destination_path = paths.normalize_directory(plain.get("destination_path"), field="destination_path")
    if source == destination and source_path == destination_path:
        raise InvalidRequest("Source and destination are the same folder.", field="destination_path")
    options = transfers.parse_options({k: v for k, v in plain.items() if k not in ("label", "deadline") and v})
    schedule = schedules.parse_schedule(plain, weekly_days=weekly_days)
    return AutomationSpec(
        name=name,
        source=source,
        source_path=source_path,
        destination=destination,
        destination_path=destination_path,
        options=options,
        deadline_hours=_deadline_hours(plain.get("deadline")),
        label_template=_label_template(plain.get("label"), name),
        schedule=schedule,
        follow_ups=_follow_ups(plain, source_path, options),
    )


_FIELDS = (
    "name",
    "source",
    "source_path",
    "destination",
    "destination_path",
    "label",
    "sync_level",
    "deadline",
    "exclude_rules",
    *transfers.BOOLEAN_OPTIONS,
    "preset",
    "every",
    "at",
    "day_of_month",
    "cron",
    "timezone",
    "starts_on",
    "ends_on",
    "max_runs",
    "backup",
    "backup_collection",
    "backup_path",
    "ingest",
    "delete_source",
    "delete_confirm",
)


@dataclass(frozen=True)
class Preview:
    """The next run times of a schedule as typed, or why it cannot run."""

    description: str = ""
    runs_utc: list[datetime] = field(default_factory=list)
    runs_local: list[str] = field(default_factory=list)
    error: str | None = None
    field: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON the form's script shows."""
        return {
            "description": self.description,
            "runs": [
                {"utc": utc.isoformat().replace("+00:00", "Z"), "local": local}
                for utc, local in zip(self.runs_utc, self.runs_local, strict=True)
            ],
            "error": self.error,
            "field": self.field,
        }


def preview(form: FormData, *, weekly_days: list[str] | None = None, now: datetime | None = None) -> Preview:
    """The next five run times of the schedule fields, in the user's zone (or the refusal)."""
    plain = {key: form.get(key) for key in _FIELDS}
    try:
        schedule = schedules.parse_schedule(plain, weekly_days=weekly_days)
    except InvalidRequest as err:
        return Preview(error=err.message, field=err.field)
    return preview_of(schedule, now=now)


def preview_of(schedule: Schedule, *, now: datetime | None = None, runs_done: int = 0) -> Preview:
    """The next five run times of a validated schedule."""
    runs = schedules.next_runs(schedule, now or datetime.now(UTC), PREVIEW_RUNS, runs_done=runs_done)
    zone = schedule.zone
    local = [run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for run in runs]
    return Preview(description=schedule.describe(), runs_utc=runs, runs_local=local)


def typed_values(form: FormData) -> dict[str, str]:
    """What was typed, for showing a refused form again (bounded, nothing else)."""
    return {key: str(form.get(key) or "")[:2000] for key in _FIELDS}


def schedule_of(fields: dict[str, Any], preset: str, timezone: str, **bounds: Any) -> Schedule:
    """Rebuild a saved automation's Schedule (its preset fields as saved)."""
    form = {"preset": preset, "timezone": timezone, **{k: str(v) for k, v in fields.items() if k != "days"}}
    for key, value in bounds.items():
        form[key] = "" if value is None else str(value)
    return schedules.parse_schedule(form, weekly_days=[",".join(map(str, fields.get("days") or []))])


def schedule_fields(schedule: Schedule) -> dict[str, Any]:
    """A Schedule's preset fields as saved on the automation."""
    saved: dict[str, Any] = {}
    if schedule.every is not None:
        saved["every"] = schedule.every
    if schedule.at:
        saved["at"] = schedule.at
    if schedule.days:
        saved["days"] = list(schedule.days)
    if schedule.day_of_month:
        saved["day_of_month"] = schedule.day_of_month
    if schedule.preset == "cron":
        saved["cron"] = schedule.cron
    return saved
