"""A submitted Teams card form read into the core's typed inputs. Pure: values in, a form or
field errors out.

Teams sends an `Action.Execute`'s inputs as one flat object (`{"local_authority": "Fernleigh",
"due_embargo": "2026-05-12", "approvers": "29:a,29:b"}`); the fields and their checks are those
of the Slack modals (`handlers.slack.forms`), read once there: the values are handed over in the
shape a Slack view's state has, so there is one set of checks and one wording for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.core.visits import SettingsForm, VisitForm
from handlers.slack.forms import FormErrors, State, read_settings_form, read_visit_form

__all__ = ["FormErrors", "date_input", "form_values", "settings_form", "visit_form"]

_TEXTS = ("local_authority", "reminder_time", "reminder_offsets")
_CHOICES = ("visit_type",)


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """The inputs of a submitted card, as strings (what the form is shown again with)."""
    return {str(key): str(value) for key, value in data.items() if isinstance(value, str | int)}


def _as_state(values: Mapping[str, str], *, channel_id: str | None) -> State:
    """Card inputs as a Slack view's state: {field: {element: value}}."""
    state: State = {"channel": {"channel": {"selected_conversation": channel_id}}}
    for field, raw in values.items():
        value = raw.strip()
        if field in _TEXTS:
            element: dict[str, Any] = {"value": value}
        elif field in _CHOICES:
            element = {"selected_option": {"value": value} if value else None}
        elif field == "approvers":
            element = {"selected_users": [v for v in value.split(",") if v]}
        elif field == "escalation":
            element = {"selected_user": value or None}
        elif field.startswith(("due_", "visit_", "letter_date")):
            element = {"selected_date": value or None}
        else:
            continue
        state[field] = {field: element}
    return state


def visit_form(values: Mapping[str, str], *, channel_id: str | None) -> VisitForm:
    """`new`, or a letter's dates as checked: the visit as entered, kept in `channel_id` (the
    conversation the form was sent from). FormErrors lists what to fix."""
    return read_visit_form(_as_state(values, channel_id=channel_id))


def settings_form(values: Mapping[str, str], *, channel_id: str | None) -> SettingsForm:
    """`settings <visit>`: its reminders stay in `channel_id`, the visit's own conversation."""
    return read_settings_form(_as_state(values, channel_id=channel_id))


def date_input(value: Any) -> date | None:
    """An `Input.Date`'s value (`2026-05-20`); None when it is empty or not a date."""
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
