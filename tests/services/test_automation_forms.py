"""The automation form: labels from a template, follow-up steps and their confirmations, refusals by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.services import automation_forms
from app.services.errors import InvalidRequest

SOURCE = "8d83902a-3ece-5ab3-afc5-8fe4eefc0000"
DESTINATION = "91adb859-9663-5588-8900-000000000000"


def _form(**overrides):
    form = {
        "name": "Nightly",
        "source": SOURCE,
        "source_path": "/~/instrument/run-data/",
        "destination": DESTINATION,
        "destination_path": "/~/archive/",
        "sync_level": "checksum",
        "verify_checksum": "on",
        "preset": "daily",
        "at": "03:30",
        "timezone": "Europe/Berlin",
    }
    form.update(overrides)
    return form


def test_a_complete_form_becomes_a_spec_with_its_steps_in_order():
    spec = automation_forms.parse_form(
        _form(
            backup="on",
            backup_collection=DESTINATION,
            backup_path="/~/backup",
            ingest="on",
            delete_source="on",
            delete_confirm="run-data",
            deadline="6",
        )
    )
    assert [step["type"] for step in spec.follow_ups] == ["backup", "ingest", "delete_source"]
    assert spec.follow_ups[0]["path"] == "/~/backup/"
    options = spec.options_document()
    assert options["sync_level"] == "checksum" and options["verify_checksum"] and options["deadline_hours"] == 6
    assert "label" not in options and "deadline" not in options
    assert spec.schedule.cron == "30 3 * * *"


def test_the_label_template_is_filled_in_the_users_zone():
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Berlin
    label = automation_forms.render_label("{name} {date} {time}", name="Nightly", moment=moment, zone="Europe/Berlin")
    assert label == "Nightly 2027-01-01 00:30"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"source": "not-a-uuid"}, "source"),
        ({"destination": SOURCE, "destination_path": "/~/instrument/run-data/"}, "destination_path"),
        ({"label": "{date} {secret}"}, "label"),
        ({"label": "{date"}, "label"),
        ({"delete_source": "on", "delete_confirm": "run"}, "delete_confirm"),
        ({"delete_source": "on", "delete_confirm": "run-data", "verify_checksum": ""}, "delete_source"),
        ({"delete_source": "on", "source_path": "/~/", "delete_confirm": ""}, "delete_source"),
        ({"backup": "on", "backup_collection": "x"}, "backup_collection"),
        ({"deadline": "0"}, "deadline"),
        ({"sync_level": "sometimes"}, "sync_level"),
    ],
)
def test_refusals_name_their_field(overrides, field):
    with pytest.raises(InvalidRequest) as caught:
        automation_forms.parse_form(_form(**overrides))
    assert caught.value.field == field and caught.value.message


def test_the_preview_shows_five_local_times_or_the_refusal():
    shown = automation_forms.preview(_form(), now=datetime(2026, 3, 27, tzinfo=UTC))
    assert shown.error is None and len(shown.runs_local) == 5
    assert shown.runs_local[1] == "Sat 2026-03-28 03:30 CET" and shown.runs_local[2] == "Sun 2026-03-29 03:30 CEST"
    refused = automation_forms.preview(_form(timezone="Nowhere/City"))
    assert refused.field == "timezone" and refused.as_json()["runs"] == []
