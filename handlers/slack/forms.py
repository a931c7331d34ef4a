"""Reading a submitted modal's values into the core's typed inputs and checking them. Pure: state
in, values or field errors out.

Errors are keyed by block id, as Slack's `response_action: errors` wants them, so each one
appears under the field it is about and nothing is saved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack

from handlers.core.visits import SettingsForm, VisitForm
from scheduler.dates import format_long
from scheduler.rules import (
    MILESTONE_LABELS,
    MilestoneKind,
    VisitType,
    reminder_offsets_from,
    reminder_offsets_text,
    reminder_time_from,
    reminder_time_text,
)

State = dict[str, dict[str, dict[str, Any]]]


class FormErrors(Exception):
    """Field errors for the open modal: {block_id: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _value(state: State, block_id: str) -> dict[str, Any]:
    return next(iter(state.get(block_id, {}).values()), {})


def text_value(state: State, block_id: str) -> str:
    return (_value(state, block_id).get("value") or "").strip()


def date_value(state: State, block_id: str) -> date | None:
    selected = _value(state, block_id).get("selected_date")
    if not selected:
        return None
    try:
        return date.fromisoformat(selected)
    except ValueError:
        raise FormErrors(
            {block_id: f"'{selected}' is not a date: pick one from the calendar."}
        ) from None


def choice_value(state: State, block_id: str) -> str | None:
    option = _value(state, block_id).get("selected_option") or {}
    return option.get("value")


def conversation_value(state: State, block_id: str) -> str | None:
    return _value(state, block_id).get("selected_conversation")


def users_value(state: State, block_id: str) -> list[str]:
    return list(_value(state, block_id).get("selected_users") or [])


def user_value(state: State, block_id: str) -> str | None:
    return _value(state, block_id).get("selected_user")


def files_value(state: State, block_id: str) -> list[dict[str, Any]]:
    return list(_value(state, block_id).get("files") or [])


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def read_visit_form(state: State) -> VisitForm:
    """The values of the review or new-visit modal, checked; FormErrors lists what to fix."""
    errors: dict[str, str] = {}
    local_authority = text_value(state, "local_authority")
    if not local_authority:
        errors["local_authority"] = "Enter the local authority, e.g. Fernleigh."
    visit_type = choice_value(state, "visit_type") or ""
    if visit_type not in {item.value for item in VisitType}:
        errors["visit_type"] = "Choose the kind of visit."
    dates: dict[str, date | None] = {}
    for block_id in (
        "letter_date",
        "visit_start",
        "visit_end",
        *(f"due_{k.value}" for k in MilestoneKind),
    ):
        try:
            dates[block_id] = date_value(state, block_id)
        except FormErrors as error:
            errors.update(error.errors)
            dates[block_id] = None
    letter_date, start, end = dates["letter_date"], dates["visit_start"], dates["visit_end"]
    if start and end and end < start:
        errors["visit_end"] = f"The last day is before the first ({format_long(start)})."
    if end and letter_date and letter_date < end:
        errors["letter_date"] = (
            "Ofsted writes after the visit: the letter date is before its last day "
            f"({format_long(end)})."
        )
    due_dates: dict[MilestoneKind, date] = {}
    for kind in MilestoneKind:
        due = dates[f"due_{kind.value}"]
        if due is None:
            continue
        if letter_date and due < letter_date:
            errors[f"due_{kind.value}"] = (
                f"{MILESTONE_LABELS[kind]} can't be before the letter date "
                f"({format_long(letter_date)})."
            )
        due_dates[kind] = due
    if not due_dates and not any(key.startswith("due_") for key in errors):
        first = f"due_{next(iter(MilestoneKind)).value}"
        errors[first] = (
            "Give at least one date to track: a visit with no dates has nothing to remind."
        )
    if errors:
        raise FormErrors(errors)
    visit_dates = tuple(day for day in (start, end) if day is not None)
    return VisitForm(
        local_authority=local_authority,
        visit_type=visit_type,
        letter_date=letter_date,
        visit_dates=tuple(dict.fromkeys(visit_dates)),
        due_dates=due_dates,
        channel_id=conversation_value(state, "channel"),
        approvers=tuple(users_value(state, "approvers")),
    )


def read_settings_form(state: State) -> SettingsForm:
    errors: dict[str, str] = {}
    reminder_time = text_value(state, "reminder_time")
    try:
        reminder_time = reminder_time_text(reminder_time_from(reminder_time))
    except ValueError:
        errors["reminder_time"] = (
            f"'{reminder_time}' is not a time: use the 24-hour clock, e.g. 09:00."
        )
    try:
        offsets = reminder_offsets_text(
            reminder_offsets_from(text_value(state, "reminder_offsets"))
        )
    except ValueError:
        errors["reminder_offsets"] = (
            "Give working days before the due date, separated by commas, each from 0 to 70, e.g. "
            "5,2,1,0."
        )
        offsets = ""
    if errors:
        raise FormErrors(errors)
    return SettingsForm(
        channel_id=conversation_value(state, "channel"),
        reminder_time=reminder_time,
        reminder_offsets=offsets,
        approvers=tuple(users_value(state, "approvers")),
        escalation_user_id=user_value(state, "escalation"),
    )


def checking(read: Callable[[State], object]) -> Callable[[Ack, dict[str, Any]], None]:
    """A modal's ack that checks the form with `read` (pure, quick): field errors are shown under
    their fields and nothing is saved; a good form is acknowledged and saved after the ack."""

    def check_form(ack: Ack, body: dict[str, Any]) -> None:
        try:
            read(body["view"]["state"]["values"])
        except FormErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        ack()

    return check_form
