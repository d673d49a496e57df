"""What the JSON API asks of the services, in the services' own terms.

The API's bodies are typed (app/api/models.py); the services were written for forms. These
functions translate one into the other and make the one service call, so every check the pages
apply (paths, labels, deadlines, sync levels, exclude rules) applies to the API too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.services import files, submissions, transfers, users
from app.services.errors import InvalidRequest, RemoteNotFound
from app.services.users import UserProfile

# A browser form's token and an API caller's submission id share the submissions table; the
# prefix keeps the two namespaces apart (a UUID is 36 characters, within the token pattern).
SUBMISSION_PREFIX = "api-"


def form_token(submission_id: str) -> str:
    """The submissions key of a caller-chosen submission id."""
    return SUBMISSION_PREFIX + submission_id.replace("-", "")


def _form(options: Mapping[str, Any]) -> dict[str, str]:
    """The transfer options as the transfer form would post them."""
    form = {
        "label": str(options.get("label") or ""),
        "sync_level": str(options.get("sync_level") or ""),
        "deadline": options["deadline"].isoformat() if options.get("deadline") else "",
        "exclude_rules": "\n".join(
            f"{rule['type']}:{rule['name']}" if rule.get("type") else rule["name"]
            for rule in options.get("exclude_rules") or []
        ),
    }
    form.update({name: "on" for name in transfers.BOOLEAN_OPTIONS if options.get(name)})
    return form


def submit_transfer(user_id: int, request: Mapping[str, Any]) -> submissions.Submitted:
    """Submit a transfer at most once per caller-chosen submission id (the same id: the same task)."""
    built = transfers.build_request(
        str(request["source"]),
        str(request["destination"]),
        transfers.items_from_document([dict(item) for item in request["items"]]),
        transfers.parse_options(_form(request)),
    )
    return transfers.submit_transfer(user_id, form_token(str(request["submission_id"])), built)


def submit_deletion(
    user_id: int,
    collection_id: str,
    submission_id: str,
    parent: str,
    names: tuple[Sequence[str], Sequence[str]],
    label: str,
) -> submissions.Submitted:
    """Submit a delete task for files and folders of one folder, at most once per submission id."""
    chosen_files, chosen_folders = names
    return files.submit_deletion(
        user_id, form_token(submission_id), collection_id, parent, list(chosen_files), list(chosen_folders), label
    )


@dataclass(frozen=True)
class CallerProfile:
    """The caller's gateway account, with what their token says about them."""

    profile: UserProfile
    identity_set: tuple[str, ...]
    client_id: str
    scopes: tuple[str, ...]


def caller_profile(
    user_id: int, identity_set: tuple[str, ...], client_id: str, scopes: tuple[str, ...]
) -> CallerProfile:
    """The profile of the API caller's account."""
    profile = users.get_profile(user_id)
    if profile is None:
        raise RemoteNotFound("This account no longer exists in the gateway.")
    return CallerProfile(profile, identity_set, client_id, scopes)


def automation_id(raw: str) -> int:
    """An automation id from a URL (a whole number), or not found."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise RemoteNotFound("There is no automation with that id.")
    return int(raw)


def save_automation(user_id: int, fields: Mapping[str, str], weekly_days: list[str], raw_id: str | None = None) -> int:
    """Create (or update) an automation from its form fields; a refusal is raised, not shown."""
    from app.services import automations

    outcome = automations.save(
        user_id, dict(fields), list(weekly_days), automation_id=automation_id(raw_id) if raw_id is not None else None
    )
    if outcome.form is not None:
        raise outcome.form.error or InvalidRequest("The automation is not complete.", field="fields")
    if outcome.automation_id is None:
        raise InvalidRequest("The automation could not be saved.", field="fields")
    return outcome.automation_id
