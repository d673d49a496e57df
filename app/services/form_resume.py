"""A form interrupted by a login (consent needed, or the session ended) shown again after it.

The transfer forms come back as themselves — the review form with its items and options, the
batch form with its list — filled in as they were, with a fresh one-time token, for the user to
check and send; any other form is offered on a confirmation page listing what it holds. Nothing
is ever sent again without the user pressing the button.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from app.services import consent, transfer_forms

# The form actions restored as their own pages (paths of app/transfers/views.py routes).
REVIEW_SUBMIT = "/transfers/submit"
PANES_START = "/transfers/start"
BATCH_SUBMIT = "/transfers/batch"
PANE_SIDES = {"left": "right", "right": "left"}


@dataclass(frozen=True)
class Restored:
    """What the resume page shows: a transfer form filled in again, or the stashed fields to confirm."""

    stashed: consent.StashedForm | None
    review: transfer_forms.ReviewForm | None = None
    batch: transfer_forms.BatchForm | None = None
    back: str | None = None

    @property
    def reason(self) -> str:
        """ "session" or "consent": why the form was interrupted."""
        return self.stashed.reason if self.stashed else "consent"


def restore(session: MutableMapping, user_id: int) -> Restored:
    """Take the interrupted form from the session (once) and rebuild the page it came from."""
    stashed = consent.pop_stashed_form(session)
    if stashed is None:
        return Restored(stashed=None)
    fields: MultiDict[str, str] = MultiDict(stashed.fields)
    if stashed.action == REVIEW_SUBMIT:
        return Restored(stashed, review=transfer_forms.restored_review(user_id, fields), back=fields.get("back"))
    if stashed.action == PANES_START and fields.get("direction") in PANE_SIDES:
        side = fields["direction"]
        other = PANE_SIDES[side]
        form = dict(fields.items())
        form.update(
            source=fields.get(side, ""),
            source_path=fields.get(f"{side}_path", ""),
            destination=fields.get(other, ""),
            destination_path=fields.get(f"{other}_path", ""),
        )
        chosen = [(name, False) for name in fields.getlist(f"{side}_file")]
        chosen += [(name, True) for name in fields.getlist(f"{side}_dir")]
        return Restored(
            stashed, review=transfer_forms.restored_selection(user_id, form, chosen), back=fields.get("back")
        )
    if stashed.action == BATCH_SUBMIT:
        return Restored(stashed, batch=transfer_forms.restored_batch(user_id, fields))
    return Restored(stashed)
