"""Adaptive Cards (schema 1.5): every card the Teams front end shows, built by pure functions.

The twin of `handlers.slack.blocks` for Teams: the same words (the phrases and labels come from
there), the same facts, no I/O and no SDK. Every button is an `Action.Execute` whose `verb` is
one of `VERBS`, with the draft or milestone it is about in `data`; Teams sends the click back as
an `adaptiveCard/action` invoke, and the answer to it is the card again, updated.

Teams renders a subset of Markdown in a TextBlock; what a letter or a person wrote is put
through `literal` so that it is shown and not read as formatting or a link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.core.letters import ReportAttached, TrackedLetter
from handlers.core.results import HomeItem, SettingsShown, SignOffNews, VisitSummary
from handlers.core.wording import (
    HOME_MOST,
    SOURCE_NAMES,
    VISIT_TYPE_NAMES,
    EventLike,
    Markup,
    MilestoneLike,
    VisitLike,
    already_tracked_text,
    at_time,
    due_phrase,
    home_item_place,
    home_sections,
    letter_facts_line,
    letter_title,
    milestone_heading,
    milestone_headline,
    next_date_text,
    passed_lines,
    preview_date_line,
    reminder_due_text,
    report_attached_text,
    visit_title,
)
from handlers.core.wording import history_lines as shared_history_lines
from handlers.core.wording import milestone_details as shared_milestone_details
from handlers.core.wording import visit_facts_line as shared_visit_facts_line
from handlers.slack.blocks import nature_sentence, reminder_lead
from handlers.teams.messages import for_teams
from scheduler.calendar import WorkingDayCalendar
from scheduler.dates import format_long
from scheduler.letters import LetterFacts, MilestoneFact
from scheduler.rules import (
    MILESTONE_LABELS,
    MilestoneKind,
)

Card = dict[str, Any]
Element = dict[str, Any]

VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

CREATE_VISIT = "createVisit"
EDIT_DATES = "editDates"
DISMISS = "dismiss"
ACKNOWLEDGE = "acknowledge"
MARK_DONE = "markDone"
SNOOZE = "snooze"
ASSIGN = "assign"
REQUEST_SIGN_OFF = "requestSignOff"
APPROVE = "approve"
REJECT = "reject"
CHANGE_DATE = "changeDate"
WAIVE = "waive"
CONFIRM_DATE = "confirmDate"
UNDO = "undo"
ADD_MILESTONE = "addMilestone"
OPEN_VISIT = "openVisit"
TRACK_ANYWAY = "trackAnyway"
SAVE_SETTINGS = "saveSettings"
VERBS = (
    CREATE_VISIT,
    EDIT_DATES,
    DISMISS,
    ACKNOWLEDGE,
    MARK_DONE,
    SNOOZE,
    ASSIGN,
    REQUEST_SIGN_OFF,
    APPROVE,
    REJECT,
    CHANGE_DATE,
    WAIVE,
    CONFIRM_DATE,
    UNDO,
    ADD_MILESTONE,
    OPEN_VISIT,
    TRACK_ANYWAY,
    SAVE_SETTINGS,
)
DRAFT_VERBS = (CREATE_VISIT, EDIT_DATES, DISMISS)

# Teams shows about 28 KB of card; a long letter's evidence is clipped well inside that.
MAX_EVIDENCE = 500
MAX_ITEMS = 40
_MARKDOWN = re.compile(r"([\\`*_\[\]])")


# --- Small pieces -----------------------------------------------------------------------------


def literal(text: str) -> str:
    """Text a person or a letter wrote, as Teams must show it: its Markdown characters escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_block(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def heading(text: str) -> Element:
    return text_block(text, size="Medium", weight="Bolder")


def subtle(text: str) -> Element:
    return text_block(text, isSubtle=True, spacing="None")


def execute(title: str, *, verb: str, data: dict[str, Any], style: str | None = None) -> Element:
    """A button: Teams sends `verb` and `data` back as an `adaptiveCard/action` invoke."""
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


def show_card(title: str, *, body: list[Element], actions: list[Element]) -> Element:
    """A button that opens a small form in the card (a reason, a date, an owner)."""
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": body, "actions": actions},
    }


def card(body: list[Element], *, actions: Sequence[Element] = (), full_width: bool = True) -> Card:
    shown: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": VERSION,
        "body": body,
    }
    if actions:
        shown["actions"] = list(actions)
    if full_width:
        # Teams' own root property (outside the Adaptive Card schema): use the chat's width.
        shown["msteams"] = {"width": "Full"}
    return shown


def attachment(shown: Card) -> dict[str, Any]:
    """A card as a message attachment (Bot Framework's `attachments` item)."""
    return {"contentType": CONTENT_TYPE, "content": shown}


def person(user_id: str | None, names: dict[str, str] | None = None) -> str:
    """Someone as a card names them: their display name when the conversation told us it."""
    if not user_id:
        return "nobody yet"
    return literal((names or {}).get(user_id, user_id))


def teams_markup(names: dict[str, str] | None = None) -> Markup:
    """The shared wording (handlers.core.wording) in a card's Markdown, people by display name."""
    return Markup(
        escape=literal,
        code=lambda text: f"`{text}`",  # a code span shows backslashes: nothing to escape
        strong=lambda text: f"**{text}**",
        person=lambda user_id: person(user_id, names),
    )


# --- Letter preview ---------------------------------------------------------------------------


def letter_preview_card(
    *,
    facts: LetterFacts,
    draft_id: int,
    today: date,
    calendar: WorkingDayCalendar,
    settled: str | None = None,
) -> Card:
    """A letter read: each date, where it came from and the sentence that says it, and what to
    check; Create visit / Edit dates / Dismiss until someone does one (`settled` says who)."""
    title = letter_title(facts)
    body: list[Element] = [heading(f"Letter read: {literal(title)}"), subtle(facts_line(facts))]
    if not facts.milestones:
        body.append(
            text_block(
                "I found no deadlines in this document: a report has none of its own. Send the "
                "covering letter to track its dates, or add them by hand."
            )
        )
    for milestone in facts.milestones:
        body.append(_preview_date(milestone, today=today, calendar=calendar))
    if facts.warnings:
        body.append(
            {
                "type": "Container",
                "style": "warning",
                "items": [
                    text_block("**Please check**"),
                    *(text_block(f"- {literal(warning)}") for warning in facts.warnings),
                ],
            }
        )
    if settled:
        body.append(text_block(settled, weight="Bolder", color="Good"))
        return card(body)
    data = {"draftId": draft_id}
    if not facts.milestones:
        # A report has no deadlines of its own: never a visit as it stands, but its dates can
        # still be entered by hand.
        return card(
            body,
            actions=[
                execute("Add dates", verb=EDIT_DATES, data=data),
                execute("Dismiss", verb=DISMISS, data=data),
            ],
        )
    return card(
        body,
        actions=[
            execute("Create visit", verb=CREATE_VISIT, data=data, style="positive"),
            execute("Edit dates", verb=EDIT_DATES, data=data),
            execute("Dismiss", verb=DISMISS, data=data),
        ],
    )


def already_tracked_card(
    *, tracked: TrackedLetter, draft_id: int, names: dict[str, str] | None = None
) -> Card:
    """A letter shared again: the visit that tracks it (who shared it, when), Open it, Track it
    anyway (its preview, with Create visit), Dismiss."""
    body = [text_block(already_tracked_text(tracked, teams_markup(names)))]
    data = {"draftId": draft_id}
    return card(
        body,
        actions=[
            execute(
                "Open it",
                verb=OPEN_VISIT,
                data={"reference": tracked.reference},
                style="positive",
            ),
            execute("Track it anyway", verb=TRACK_ANYWAY, data=data),
            execute("Dismiss", verb=DISMISS, data=data),
        ],
    )


def report_attached_card(*, attached: ReportAttached, filename: str | None) -> Card:
    """A report of a visit already tracked: kept with that visit, and no new one made."""
    return card(
        [
            text_block(report_attached_text(attached, filename, teams_markup()))
        ],
        actions=[execute("Open it", verb=OPEN_VISIT, data={"reference": attached.reference})],
    )


def preview_dates(facts: LetterFacts) -> list[tuple[str, date]]:
    """(label, date) of each date a preview shows, in its order: what Slack's preview shows too."""
    return [(m.label, m.due) for m in facts.milestones]


def _preview_date(
    milestone: MilestoneFact, *, today: date, calendar: WorkingDayCalendar
) -> Element:
    items: list[Element] = [
        text_block(preview_date_line(milestone, teams_markup(), today=today, calendar=calendar))
    ]
    if milestone.evidence:
        evidence = clip(" ".join(milestone.evidence.split()), MAX_EVIDENCE)
        items.append(subtle(f"“{literal(evidence)}”"))
    if milestone.source == "rule" and milestone.rule:
        items.append(subtle(f"_{literal(clip(milestone.rule, 300))}_"))
    return {"type": "Container", "separator": True, "items": items}


def facts_line(facts: LetterFacts) -> str:
    return letter_facts_line(facts, teams_markup())


# --- Forms: a visit by hand or as checked, and a visit's settings -----------------------------

FORM_FIELDS: dict[str, str] = {
    "local_authority": "Local authority",
    "visit_type": "Kind of visit",
    "letter_date": "Letter date",
    "visit_start": "First day of the visit",
    "visit_end": "Last day of the visit",
    **{f"due_{kind.value}": label for kind, label in MILESTONE_LABELS.items()},
    "approvers": "Approvers (sign off replies and plans)",
    "reminder_time": "Reminder time (London)",
    "reminder_offsets": "Remind this many working days before",
    "escalation": "Escalate overdue milestones to",
}
"""Each form field's label, by the id the Slack form gives it too (errors are keyed by it)."""


def _form_errors(errors: dict[str, str] | None) -> list[Element]:
    """What to fix, above the form, each under its field's label (Teams shows no error of ours
    under an input): nothing was saved."""
    if not errors:
        return []
    lines = [f"- {FORM_FIELDS.get(field, field)}: {literal(why)}" for field, why in errors.items()]
    return [
        {
            "type": "Container",
            "style": "attention",
            "items": [text_block("**Nothing was saved. Please fix:**"), *map(text_block, lines)],
        }
    ]


def _date_input(field: str, value: str, hint: str | None = None) -> list[Element]:
    shown: list[Element] = [
        {"type": "Input.Date", "id": field, "label": FORM_FIELDS[field], "value": value}
    ]
    if hint:
        shown.append(subtle(literal(clip(hint, MAX_EVIDENCE))))
    return shown


def _people_input(
    field: str, people: Sequence[tuple[str, str]], chosen: Sequence[str], *, many: bool
) -> Element:
    return {
        "type": "Input.ChoiceSet",
        "id": field,
        "label": FORM_FIELDS[field],
        "isMultiSelect": many,
        "style": "filtered" if not many else "compact",
        "value": ",".join(chosen),
        "choices": [{"title": name, "value": user_id} for user_id, name in people[:100]],
    }


def visit_form_values(facts: LetterFacts) -> dict[str, str]:
    """A letter's facts as the visit form's values ("Edit dates")."""
    values = {
        "local_authority": facts.local_authority or "",
        "visit_type": str(facts.visit_type),
        "letter_date": facts.letter_date.isoformat() if facts.letter_date else "",
    }
    values |= {f"due_{m.kind.value}": m.due.isoformat() for m in facts.milestones}
    return values


def visit_form_card(
    *,
    values: dict[str, str],
    people: Sequence[tuple[str, str]] = (),
    draft_id: int | None = None,
    facts: LetterFacts | None = None,
    errors: dict[str, str] | None = None,
) -> Card:
    """The one visit form, as Slack's: blank for `new`; for a letter ("Edit dates") its facts
    filled in, each date editable with where it came from beside it. Create visit sends every
    value back with `verb` createVisit (and the draft, when it is a letter's)."""
    title = "New visit" if facts is None else "Check the dates"
    body: list[Element] = [heading(title), *_form_errors(errors)]
    if facts is not None and facts.warnings:
        body.append(
            {
                "type": "Container",
                "style": "warning",
                "items": [
                    text_block("**Please check**"),
                    *(text_block(f"- {literal(warning)}") for warning in facts.warnings),
                ],
            }
        )
    body.append(
        {
            "type": "Input.Text",
            "id": "local_authority",
            "label": FORM_FIELDS["local_authority"],
            "placeholder": "e.g. Fernleigh",
            "maxLength": 100,
            "value": values.get("local_authority", ""),
        }
    )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "visit_type",
            "label": FORM_FIELDS["visit_type"],
            "value": values.get("visit_type", ""),
            "choices": [
                {"title": name, "value": str(kind)} for kind, name in VISIT_TYPE_NAMES.items()
            ],
        }
    )
    fields = ["letter_date"] if facts is not None else ["letter_date", "visit_start", "visit_end"]
    for field in fields:
        body += _date_input(field, values.get(field, ""))
    stated = {m.kind: m for m in facts.milestones} if facts is not None else {}
    for kind in MilestoneKind:
        read = stated.get(kind)
        hint = None
        if read is not None:
            hint = SOURCE_NAMES.get(read.source, read.source)
            if read.evidence:
                hint += ": " + " ".join(read.evidence.split())
        elif facts is not None:
            hint = "Not in the letter: leave empty, or pick a date."
        body += _date_input(f"due_{kind.value}", values.get(f"due_{kind.value}", ""), hint)
    if people:
        chosen = [v for v in values.get("approvers", "").split(",") if v]
        body.append(_people_input("approvers", people, chosen, many=True))
    data: dict[str, Any] = {"form": "visit"}
    actions = [execute("Create visit", verb=CREATE_VISIT, data=data, style="positive")]
    if draft_id is not None:
        data["draftId"] = draft_id
        data["edited"] = True
        actions.append(execute("Dismiss", verb=DISMISS, data={"draftId": draft_id}))
    return card(body, actions=actions)


def settings_card(
    *,
    shown: SettingsShown,
    fingerprint: str,
    people: Sequence[tuple[str, str]] = (),
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    settled: str | None = None,
) -> Card:
    """`settings <visit>`: when its reminders go, and who signs off and is told of what is late.
    Its reminders stay in the conversation the visit was made in (Teams has no channel picker
    without Graph). `fingerprint`: what the form showed, so a save made meanwhile by someone else
    is not overwritten."""
    visit = shown.visit
    values = values or {
        "reminder_time": shown.reminder_time,
        "reminder_offsets": shown.reminder_offsets,
        "approvers": ",".join(shown.approvers),
        "escalation": shown.escalation_user_id or "",
    }
    body: list[Element] = [
        heading(f"Settings: {literal(visit_title(visit))} (`{visit.reference}`)"),
        subtle(visit_facts_line(visit)),
        *_form_errors(errors),
    ]
    if settled:
        body.append(text_block(settled, weight="Bolder", color="Good"))
        return card(body)
    body += [
        {
            "type": "Input.Text",
            "id": "reminder_time",
            "label": FORM_FIELDS["reminder_time"],
            "maxLength": 5,
            "value": values.get("reminder_time", ""),
        },
        subtle("24-hour clock, e.g. 09:00. Reminders are only posted on working days."),
        {
            "type": "Input.Text",
            "id": "reminder_offsets",
            "label": FORM_FIELDS["reminder_offsets"],
            "maxLength": 40,
            "value": values.get("reminder_offsets", ""),
        },
        subtle("Comma-separated working days before each due date, e.g. 5,2,1,0 (0 = on the day)."),
    ]
    known = dict(people)
    chosen = [v for v in values.get("approvers", "").split(",") if v]
    escalation = values.get("escalation", "")
    # Someone already named but no longer in the conversation is still offered, by id.
    everyone = [*people, *((p, p) for p in [*chosen, escalation] if p and p not in known)]
    body.append(_people_input("approvers", everyone, chosen, many=True))
    body.append(
        _people_input("escalation", everyone, [escalation] if escalation else [], many=False)
    )
    data = {"visitId": visit.id, "reference": visit.reference, "shown": fingerprint}
    return card(body, actions=[execute("Save", verb=SAVE_SETTINGS, data=data, style="positive")])


# --- Timelines, lists and the Home equivalent -------------------------------------------------


def milestone_line(milestone: MilestoneLike, *, today: date, calendar: WorkingDayCalendar) -> str:
    return milestone_headline(milestone, teams_markup(), today=today, calendar=calendar)


def milestone_details(milestone: MilestoneLike, *, names: dict[str, str] | None = None) -> str:
    return shared_milestone_details(milestone, teams_markup(names))


def visit_facts_line(visit: VisitLike) -> str:
    return shared_visit_facts_line(visit, teams_markup())


def timeline_card(
    *,
    visit: VisitLike,
    milestones: Sequence[MilestoneLike],
    today: date,
    calendar: WorkingDayCalendar,
    names: dict[str, str] | None = None,
    people: Sequence[tuple[str, str]] = (),
    settled: str | None = None,
) -> Card:
    """A visit's timeline: each date, its source and owner, and its buttons while it is open."""
    body: list[Element] = [heading(literal(visit_title(visit))), subtle(visit_facts_line(visit))]
    if not milestones:
        body.append(text_block("No milestones yet."))
    for milestone in milestones[:MAX_ITEMS]:
        items: list[Element] = [
            text_block(milestone_line(milestone, today=today, calendar=calendar)),
            subtle(milestone_details(milestone, names=names)),
        ]
        if visit.status == "open":
            items.append(
                {
                    "type": "ActionSet",
                    "actions": milestone_actions(milestone, people=people, manage=True),
                }
            )
        body.append({"type": "Container", "separator": True, "items": items})
    if len(milestones) > MAX_ITEMS:
        body.append(subtle(f"…and {len(milestones) - MAX_ITEMS} more not shown here."))
    if settled:
        body.append(text_block(settled, weight="Bolder"))
    return card(body)


def visit_list_card(
    *, summaries: Sequence[VisitSummary], total: int, today: date, calendar: WorkingDayCalendar
) -> Card:
    """`list`: the open visits, soonest next date first, each with its reference to type."""
    if not summaries:
        return card(
            [
                text_block(
                    "No open visits. Attach an Ofsted letter in a chat with me, or send `letter` "
                    "or `new` to add one."
                )
            ]
        )
    body: list[Element] = [heading(f"Open visits ({total:,})")]
    for summary in summaries:
        visit = summary.visit
        next_text = next_date_text(summary, teams_markup(), today=today, calendar=calendar)
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    text_block(f"**{literal(visit_title(visit))}** · `{visit.reference}`"),
                    subtle(next_text),
                ],
            }
        )
    if total > len(summaries):
        body.append(
            subtle(
                f"…and {total - len(summaries):,} more open visits, whose next dates come later. "
                "`show <visit>` opens any of them by its reference."
            )
        )
    return card(body)


def home_card(
    *,
    overdue: Sequence[HomeItem],
    due_soon: Sequence[HomeItem],
    waiting_on_me: Sequence[HomeItem],
    today: date,
    calendar: WorkingDayCalendar,
) -> Card:
    """What Slack's Home tab shows: what waits on you, what is overdue, what is due in 30 days."""
    body: list[Element] = [heading("Ofsted deadlines"), subtle(f"As of {format_long(today)}")]
    lists = home_sections(overdue=overdue, due_soon=due_soon, waiting_on_me=waiting_on_me)
    for title, items, empty in lists:
        section: list[Element] = [text_block(f"**{title}** ({len(items)})")]
        if not items:
            section.append(subtle(empty))
        for item in items[:HOME_MOST]:
            section.append(
                text_block(milestone_line(item.milestone, today=today, calendar=calendar))
            )
            section.append(subtle(home_item_place(item, teams_markup())))
        if len(items) > HOME_MOST:
            section.append(subtle(f"…and {len(items) - HOME_MOST} more: send `list`."))
        body.append({"type": "Container", "separator": True, "items": section})
    return card(body)


# --- Reminders and the buttons on milestones --------------------------------------------------


def milestone_data(milestone: MilestoneLike, **more: Any) -> dict[str, Any]:
    return {"milestoneId": milestone.id, **more}


def milestone_actions(
    milestone: MilestoneLike,
    *,
    people: Sequence[tuple[str, str]] = (),
    manage: bool = False,
    message_key: str | None = None,
) -> list[Element]:
    """Acknowledge, Mark done, Snooze, Assign (and sign-off); Change date, Confirm the expected
    date and Waive on timelines, for the managers, and Undo once it is done or waived. `people`:
    (user id, name) of the conversation, to assign from."""
    key = {"messageKey": message_key} if message_key else {}
    data = milestone_data(milestone, **key)
    if milestone.status in ("done", "waived"):
        return [execute("Undo", verb=UNDO, data=data)] if manage else []
    actions: list[Element] = [
        execute("Acknowledge", verb=ACKNOWLEDGE, data=data),
        show_card(
            "Mark done",
            body=[
                {
                    "type": "Input.Text",
                    "id": "note",
                    "label": "Note (optional)",
                    "isMultiline": True,
                    "maxLength": 1000,
                }
            ],
            actions=[execute("Mark done", verb=MARK_DONE, data=data, style="positive")],
        ),
        execute("Snooze 1 working day", verb=SNOOZE, data=data),
        show_card(
            "Assign",
            body=[
                {
                    "type": "Input.ChoiceSet",
                    "id": "owner",
                    "label": "Owner",
                    "isRequired": True,
                    "errorMessage": "Choose who owns it.",
                    "value": milestone.owner_user_id or "",
                    "choices": [
                        {"title": name, "value": user_id} for user_id, name in people[:100]
                    ],
                }
            ],
            actions=[execute("Assign", verb=ASSIGN, data=data)],
        ),
    ]
    if milestone.needs_approval:
        if milestone.approval_status == "requested":
            actions.append(execute("Approve", verb=APPROVE, data=data, style="positive"))
            actions.append(
                show_card(
                    "Reject",
                    body=[
                        {
                            "type": "Input.Text",
                            "id": "reason",
                            "label": "Reason",
                            "isRequired": True,
                            "errorMessage": "Say why it is rejected.",
                            "isMultiline": True,
                            "maxLength": 1000,
                        }
                    ],
                    actions=[execute("Reject", verb=REJECT, data=data, style="destructive")],
                )
            )
        else:
            actions.append(execute("Request sign-off", verb=REQUEST_SIGN_OFF, data=data))
    if manage:
        actions.append(
            show_card(
                "Change date",
                body=[
                    {
                        "type": "Input.Date",
                        "id": "due",
                        "label": "New date",
                        "isRequired": True,
                        "value": milestone.due_date.isoformat(),
                    },
                    {
                        "type": "Input.Text",
                        "id": "reason",
                        "label": "Why it moves",
                        "placeholder": "e.g. Ofsted agreed an extension",
                        "isRequired": True,
                        "errorMessage": "Say why, so the audit trail shows it.",
                        "maxLength": 1000,
                    },
                ],
                actions=[execute("Change date", verb=CHANGE_DATE, data=data)],
            )
        )
        if milestone.estimate:
            actions.append(execute("Confirm the expected date", verb=CONFIRM_DATE, data=data))
        actions.append(
            show_card(
                "Waive",
                body=[
                    {
                        "type": "Input.Text",
                        "id": "reason",
                        "label": "Why it no longer applies",
                        "isRequired": True,
                        "errorMessage": "Say why.",
                        "maxLength": 500,
                    }
                ],
                actions=[execute("Waive", verb=WAIVE, data=data, style="destructive")],
            )
        )
    return actions


def add_milestone_card(*, visit: VisitLike) -> Card:
    """`add <visit>`: a date of the council's own (a cabinet meeting, a briefing), as Slack's
    form asks it: what, when, and whether it is a task or an event."""
    body: list[Element] = [
        heading(f"Add a milestone: {literal(visit_title(visit))}"),
        subtle(visit_facts_line(visit)),
        {
            "type": "Input.Text",
            "id": "label",
            "label": "What",
            "placeholder": "e.g. Cabinet approves the action plan",
            "isRequired": True,
            "errorMessage": "Give the milestone a name.",
            "maxLength": 150,
        },
        {
            "type": "Input.Date",
            "id": "due",
            "label": "Date",
            "isRequired": True,
            "errorMessage": "Pick the date.",
        },
        {
            "type": "Input.ChoiceSet",
            "id": "nature",
            "label": "Kind",
            "style": "expanded",
            "value": "task",
            "choices": [
                {"title": "A task: reminded, and overdue if not done", "value": "task"},
                {"title": "An event: announced on the day, never overdue", "value": "event"},
            ],
        },
    ]
    data = {"visitId": visit.id, "reference": visit.reference}
    return card(body, actions=[execute("Add", verb=ADD_MILESTONE, data=data, style="positive")])


def history_lines(events: Sequence[EventLike], names: dict[str, str] | None = None) -> list[str]:
    """Who did what, when, as the card shows it after each click."""
    return shared_history_lines(events, teams_markup(names))


def reminder_card(
    *,
    visit: VisitLike,
    milestone: MilestoneLike,
    kind: str,
    reminder_id: int,
    today: date,
    calendar: WorkingDayCalendar,
    history: Sequence[EventLike] = (),
    names: dict[str, str] | None = None,
    people: Sequence[tuple[str, str]] = (),
    also: Sequence[MilestoneLike] = (),
) -> Card:
    """A reminder in the Slack reminder's words (its lead and sentence by the milestone's nature:
    an event announced on its day, a decision window closing once, an escalation to the creator
    when nobody is named for it): what is due, when, how far away in working days, who did what
    since, and its buttons (none once a window or an event has closed by itself)."""
    lead = _plain_lead(kind, milestone)
    markup = teams_markup(names)
    said = reminder_due_text(milestone, markup, kind=kind, today=today, calendar=calendar)
    sentence = for_teams(nature_sentence(kind, milestone, visit), names)
    body: list[Element] = [
        text_block(
            f"**{lead}**: {milestone_heading(milestone, visit, markup)}",
            color="Attention" if kind in ("overdue", "escalation") else "Default",
        ),
        text_block(f"{said}{sentence}"),
        subtle(milestone_details(milestone, names=names)),
    ]
    if also:
        passed = passed_lines(also, teams_markup(), bullet="-", today=today, calendar=calendar)
        body.append(text_block("Also passed before I knew of this visit:\n" + passed))
    lines = history_lines(history, names)
    if lines:
        body.append(
            {"type": "Container", "separator": True, "items": [subtle(line) for line in lines]}
        )
    if kind == "closing":  # closed by itself: the timeline's Undo can still open it again
        return card(body)
    actions = milestone_actions(milestone, people=people, message_key=f"reminder:{reminder_id}")
    return card(body, actions=actions)


def mention(user_id: str, name: str) -> tuple[str, Element]:
    """An @mention in a card, which Teams notifies the person of: its text `<at>name</at>` and
    the entity naming whom it means."""
    tag = f"<at>{literal(name)}</at>"
    return tag, {"type": "mention", "text": tag, "mentioned": {"id": user_id, "name": name}}


def with_mentions(shown: Card, entities: Sequence[Element]) -> Card:
    msteams = {**shown.get("msteams", {})}
    msteams["entities"] = [*msteams.get("entities", []), *entities]
    return {**shown, "msteams": msteams}


def mentioning(shown: Card, *, user_id: str, name: str, why: str = "Escalated to") -> Card:
    """The card ending with an @mention of someone (`why` them)."""
    tag, entity = mention(user_id, name)
    ended = {**shown, "body": [*shown["body"], text_block(f"{why} {tag}.", weight="Bolder")]}
    return with_mentions(ended, [entity])


def sign_off_news_card(
    *,
    visit: VisitLike,
    milestone: MilestoneLike,
    news: SignOffNews,
    names: dict[str, str] | None = None,
) -> Card | None:
    """Who a sign-off concerns, told in the conversation with an @mention (Slack sends them a
    direct message): the approvers, when it is asked for; whoever asked, when it is decided.
    None when there is nobody to tell."""
    known = names or {}
    label = f"**{literal(milestone.label)}** (`{visit.reference}`)"
    asker = person(news.requested_by, known)
    if news.decision is None:
        if not news.approvers:
            return card(
                [
                    text_block(
                        f"{asker} asked for sign-off on {label}, but the visit has no other "
                        f"approver to ask: add one with `settings {visit.reference}`."
                    )
                ]
            )
        tags, entities = zip(*(mention(a, known.get(a, a)) for a in news.approvers), strict=True)
        said = f"{', '.join(tags)}: {asker} asks you to sign off {label}. Approve or Reject it "
        said += "on the visit's timeline (`show " + visit.reference + "`)."
        return with_mentions(card([text_block(said)]), entities)
    if not news.requested_by or news.requested_by == news.decided_by:
        return None
    tag, entity = mention(news.requested_by, known.get(news.requested_by, news.requested_by))
    reason = f": {literal(' '.join(news.reason.split()))}" if news.reason else "."
    decided = f"{person(news.decided_by, known)} {news.decision} {label}{reason}"
    return with_mentions(card([text_block(f"{tag}: {decided}")]), [entity])


def _plain_lead(kind: str, milestone: MilestoneLike) -> str:
    """The reminder's lead as Slack words it, without Slack's emoji ("Decision needed today")."""
    return reminder_lead(kind, milestone).split(" ", 1)[1]


def reminder_text(
    *,
    visit: VisitLike,
    milestone: MilestoneLike,
    kind: str,
    today: date,
    calendar: WorkingDayCalendar,
) -> str:
    """The notification line that goes with a reminder card (what a phone's banner shows)."""
    distance = (
        "closed"  # closed by itself: never "overdue"
        if kind == "closing"
        else due_phrase(due=milestone.due_date, today=today, calendar=calendar)
    )
    return (
        f"{_plain_lead(kind, milestone)}: {milestone.label} for "
        f"{visit.local_authority or visit.reference}, "
        f"{format_long(milestone.due_date)} ({distance})"
    )


@dataclass(frozen=True)
class Settled:
    """Who did what to a card, and when: the line an updated card ends with."""

    who: str
    deed: str
    at: datetime

    def line(self) -> str:
        return f"{literal(self.who)} {self.deed}, {at_time(self.at)}."
