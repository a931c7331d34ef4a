"""Block Kit: every message, modal and Home tab the bot shows, built by pure functions.

Nothing here talks to Slack or the database: each function takes what it shows (and `today`,
for "3 working days left") and returns blocks. Whatever a person or a letter wrote (names,
labels, notes, reasons, evidence, inspectors, file names) goes into mrkdwn and notification
text through `escape` (handlers.core.text.escape_mrkdwn) once, so Slack shows it and never obeys it;
`plain_text` fields take it as it is. Slack's limits are kept here, in one place:
50 blocks a message (100 in a modal or the Home tab), 3,000 characters a text, 75 a button.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from handlers.core.letters import ReportAttached, TrackedLetter
from handlers.core.milestones import Verb
from handlers.core.results import HomeItem, SettingsShown, Timeline, VisitSummary
from handlers.core.text import escape_mrkdwn
from handlers.core.visits import settings_now
from handlers.core.wording import (
    HOME_MOST,
    REMINDER_LEADS,
    SOURCE_NAMES,
    VISIT_TYPE_NAMES,
    EventLike,
    Markup,
    MilestoneLike,
    VisitLike,
    already_tracked_text,
    due_phrase,
    due_word,
    home_item_place,
    home_sections,
    letter_facts_line,
    letter_title,
    milestone_details,
    milestone_heading,
    milestone_headline,
    next_date_text,
    passed_lines,
    preview_date_line,
    reminder_due_text,
    report_attached_text,
    user,
    visit_facts_line,
    visit_title,
)
from handlers.core.wording import (
    history_lines as shared_history_lines,
)
from scheduler.calendar import WorkingDayCalendar
from scheduler.dates import format_long
from scheduler.letters import LetterFacts
from scheduler.rules import (
    MILESTONE_LABELS,
    NATURES,
    MilestoneKind,
    MilestoneNature,
    closing_note,
    nature_of,
)

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_PLAIN_INPUT = 3000


# Action and callback ids: the contract between these builders and the listeners.
LETTER_MODAL = "letter_modal"
NEW_VISIT_MODAL = "new_visit_modal"
REVIEW_MODAL = "letter_review_modal"
SETTINGS_MODAL = "visit_settings_modal"
CREATE_FROM_DRAFT = "draft_create"
EDIT_DRAFT = "draft_edit"
DISMISS_DRAFT = "draft_dismiss"
OPEN_VISIT = "visit_show"
TRACK_AS_RECORD = "draft_track_as_record"
TRACK_ANYWAY = "draft_track_anyway"


# --- Small pieces -----------------------------------------------------------------------------


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Text cut to Slack's limit, with an ellipsis so nobody mistakes it for the whole."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


escape = escape_mrkdwn
"""Slack mrkdwn needs &, < and > escaped; letters contain all three (see handlers.core.text)."""


def plain(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text)}


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": mrkdwn(text), **extra}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def button(text: str, *, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def fit(blocks: list[Block], *, limit: int = MAX_MESSAGE_BLOCKS) -> list[Block]:
    """Keep within Slack's block limit, saying how much was left out rather than failing."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, context(f"…and {len(blocks) - len(kept)} more not shown here.")]


SLACK = Markup(
    escape=escape,
    code=lambda text: f"`{escape(text)}`",
    strong=lambda text: f"*{text}*",
    person=user,
    channel=lambda channel_id: f"<#{channel_id}>",
)
"""The shared wording (handlers.core.wording) in Slack's mrkdwn."""


def _visit_facts(visit: VisitLike) -> str:
    return visit_facts_line(visit, SLACK)


# --- Timelines --------------------------------------------------------------------------------


def milestone_line(milestone: MilestoneLike, *, today: date, calendar: WorkingDayCalendar) -> str:
    headline = milestone_headline(milestone, SLACK, today=today, calendar=calendar)
    return f"{headline}\n{milestone_details(milestone, SLACK)}"


def timeline_blocks(
    *,
    visit: VisitLike,
    milestones: Sequence[MilestoneLike],
    today: date,
    calendar: WorkingDayCalendar,
    sign_offs: Mapping[int, str] | None = None,
) -> list[Block]:
    """A visit's timeline: what is due when, from where, and who owns it; each decided
    sign-off with its reason (`sign_offs`)."""
    blocks: list[Block] = [header(visit_title(visit)), context(_visit_facts(visit))]
    if not milestones:
        blocks.append(section("No milestones yet."))
    key = message_key_for_timeline(visit.id or 0)
    for milestone in milestones:
        text = milestone_line(milestone, today=today, calendar=calendar)
        decided = (sign_offs or {}).get(milestone.id or 0)
        if decided:
            text += f"\nSign-off {clip(decided, 500)}"
        line: Block = section(text, block_id=f"{key}:{milestone.id}")
        menu = milestone_menu(milestone) if visit.status == "open" else None
        if menu:
            line["accessory"] = menu
        blocks.append(line)
    return fit(blocks)


def timeline_text(*, visit: VisitLike, milestones: Sequence[MilestoneLike]) -> str:
    """The notification text (and screen-reader text) that goes with a timeline."""
    nearest = next((m for m in milestones if m.status in ("open", "acknowledged")), None)
    if nearest is None:
        return f"Timeline for {escape(visit_title(visit))}"
    return (
        f"Timeline for {escape(visit_title(visit))}: next, {escape(nearest.label.lower())} on "
        f"{format_long(nearest.due_date)}"
    )


def timeline_of(
    timeline: Timeline, *, today: date, calendar: WorkingDayCalendar
) -> tuple[list[Block], str]:
    """A visit's timeline as Block Kit, and the notification text that goes with it."""
    shown = timeline_blocks(
        visit=timeline.visit,
        milestones=timeline.milestones,
        today=today,
        calendar=calendar,
        sign_offs=timeline.sign_offs,
    )
    return shown, timeline_text(visit=timeline.visit, milestones=timeline.milestones)


LIST_TITLES = {"open": "Open visits", "closed": "Closed visits", "mine": "Your open visits"}
EMPTY_LISTS = {
    "open": "No open visits. Share an Ofsted letter in a channel I am in, or run "
    "`/ofsted letter` or `/ofsted new` to add one.",
    "closed": "No closed visits yet. `/ofsted list` shows the open ones.",
    "mine": "No open visits name you: none you created, own a milestone of, approve or are "
    "the escalation contact for. `/ofsted list` shows them all.",
}


def visit_list_blocks(
    *,
    summaries: Sequence[VisitSummary],
    today: date,
    calendar: WorkingDayCalendar,
    which: str = "open",
) -> list[Block]:
    """One line a visit: its authority, type and letter date (two letters from one council are
    told apart), its reference, and what comes next."""
    if not summaries:
        return [section(EMPTY_LISTS.get(which, EMPTY_LISTS["open"]))]
    blocks: list[Block] = [header(f"{LIST_TITLES.get(which, 'Visits')} ({len(summaries)})")]
    for summary in summaries:
        visit = summary.visit
        next_text = next_date_text(summary, SLACK, today=today, calendar=calendar)
        letter = (
            f"letter of {format_long(visit.letter_date)}"
            if visit.letter_date
            else "letter date unknown"
        )
        blocks.append(
            section(
                f"*{escape(visit_title(visit))}* · {letter} · `{escape(visit.reference)}`\n"
                f"{next_text}",
                accessory=button("Show", action_id=OPEN_VISIT, value=visit.reference),
            )
        )
    return fit(blocks)


# --- Letter preview and review ----------------------------------------------------------------


def letter_preview_blocks(
    *, facts: LetterFacts, draft_id: int, today: date, calendar: WorkingDayCalendar
) -> list[Block]:
    """The answer to a shared letter: what was read, from which sentence, and what to check."""
    title = letter_title(facts)
    blocks: list[Block] = [header(f"Letter read: {title}"), context(_facts_line(facts))]
    if not facts.milestones:
        blocks.append(
            section(
                "I found no deadlines in this document: a report has none of its own. Share "
                "the covering letter to track its dates, or add them by hand."
            )
        )
    for milestone in facts.milestones:
        text = preview_date_line(milestone, SLACK, today=today, calendar=calendar)
        if milestone.evidence:
            text += "\n> " + escape(clip(" ".join(milestone.evidence.split()), 500))
        if milestone.source == "rule" and milestone.rule:
            text += "\n_" + escape(clip(milestone.rule, 300)) + "_"
        blocks.append(section(text))
    if facts.warnings:
        bullet_list = "\n".join(f"• {escape(warning)}" for warning in facts.warnings)
        blocks.append(section(":warning: *Please check*\n" + bullet_list))
    every_date_passed = bool(facts.milestones) and all(m.due < today for m in facts.milestones)
    if every_date_passed:
        latest = max(m.due for m in facts.milestones)
        blocks.append(
            section(
                f":hourglass: Every date in this letter has passed (the latest was "
                f"{format_long(latest)}). *Track as a record* keeps its dates and audit trail "
                "without reminders; *Create visit* reminds you of what is still undone."
            )
        )
    # A report has no deadlines of its own: it is never made a visit as it stands, but its
    # dates can still be entered by hand ("Add dates").
    buttons = [
        button(
            "Edit dates" if facts.milestones else "Add dates",
            action_id=EDIT_DRAFT,
            value=str(draft_id),
        ),
        button("Dismiss", action_id=DISMISS_DRAFT, value=str(draft_id)),
    ]
    if facts.milestones:
        buttons.insert(
            0,
            button(
                "Create visit",
                action_id=CREATE_FROM_DRAFT,
                value=str(draft_id),
                style=None if every_date_passed else "primary",
            ),
        )
    if every_date_passed:
        buttons.insert(
            0,
            button(
                "Track as a record", action_id=TRACK_AS_RECORD, value=str(draft_id), style="primary"
            ),
        )
    blocks.append({"type": "actions", "block_id": f"draft_{draft_id}", "elements": buttons})
    # The buttons are the point: keep them when cutting to the limit.
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        blocks = [*fit(blocks[:-1], limit=MAX_MESSAGE_BLOCKS - 1), blocks[-1]]
    return blocks


def already_tracked_blocks(*, tracked: TrackedLetter, draft_id: int) -> list[Block]:
    """ "This letter is already tracked as `st-helens-2106` (shared by @Priya on 22 June): open
    it · track it anyway", for a letter shared again."""
    return [
        section(already_tracked_text(tracked, SLACK)),
        {
            "type": "actions",
            "block_id": f"draft_{draft_id}",
            "elements": [
                button("Open it", action_id=OPEN_VISIT, value=tracked.reference, style="primary"),
                button("Track it anyway", action_id=TRACK_ANYWAY, value=str(draft_id)),
                button("Dismiss", action_id=DISMISS_DRAFT, value=str(draft_id)),
            ],
        },
    ]


def report_attached_blocks(*, attached: ReportAttached, filename: str | None) -> list[Block]:
    return [
        section(
            report_attached_text(attached, filename, SLACK),
            accessory=button("Open it", action_id=OPEN_VISIT, value=attached.reference),
        )
    ]


def _facts_line(facts: LetterFacts) -> str:
    return letter_facts_line(facts, SLACK)


def _input(
    *, block_id: str, label: str, element: dict[str, Any], optional: bool, hint: str | None
) -> Block:
    """An input block: the one shape every field of every modal takes."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _date_input(
    *,
    block_id: str,
    label: str,
    initial: date | None,
    optional: bool = True,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "datepicker", "action_id": "date"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return _input(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def _text_input(
    *,
    block_id: str,
    label: str,
    initial: str | None = None,
    optional: bool = False,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return _input(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def _visit_type_input(initial: str | None) -> Block:
    options = [
        {"text": plain(name, 75), "value": value} for value, name in VISIT_TYPE_NAMES.items()
    ]
    element: dict[str, Any] = {"type": "static_select", "action_id": "choice", "options": options}
    if initial in VISIT_TYPE_NAMES:
        element["initial_option"] = next(o for o in options if o["value"] == initial)
    return {
        "type": "input",
        "block_id": "visit_type",
        "label": plain("Kind of visit"),
        "element": element,
    }


def _channel_input(initial: str | None) -> Block:
    element: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "channel",
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if initial:
        element["initial_conversation"] = initial
    return {
        "type": "input",
        "block_id": "channel",
        "label": plain("Channel for reminders"),
        "element": element,
    }


def _users_input(
    *,
    block_id: str,
    label: str,
    initial: Iterable[str],
    optional: bool = True,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": "users"}
    initial_users = list(initial)
    if initial_users:
        element["initial_users"] = initial_users
    return _input(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def _approvers_input(initial: Iterable[str] = ()) -> Block:
    return _users_input(
        block_id="approvers",
        label="Approvers",
        initial=initial,
        hint="Who may approve the action plan and the decision on a complaint.",
    )


def _modal(
    *,
    callback_id: str,
    title: str,
    submit: str | None,
    blocks: list[Block],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "close": plain("Cancel", 24),
        "blocks": fit(blocks, limit=MAX_VIEW_BLOCKS),
        "private_metadata": json.dumps(metadata)[:3000],
    }
    if submit:
        view["submit"] = plain(submit, 24)
    return view


def letter_modal(*, channel_id: str | None) -> dict[str, Any]:
    """`/ofsted letter`: attach the letter, or paste its text."""
    blocks: list[Block] = [
        section(
            "Attach the letter Ofsted sent (PDF or Word), or paste its text. I will read its "
            "dates and send them to you in a direct message to check before anything is saved."
        ),
        {
            "type": "input",
            "block_id": "letter_file",
            "optional": True,
            "label": plain("Letter file"),
            "element": {
                "type": "file_input",
                "action_id": "file",
                "filetypes": ["pdf", "docx", "txt"],
                "max_files": 1,
            },
        },
        _text_input(
            block_id="letter_text",
            label="Or paste the letter's text",
            optional=True,
            multiline=True,
            max_length=MAX_PLAIN_INPUT,
            hint="Slack takes up to 3,000 characters here: include the date line, the subject "
            "and the paragraphs with the deadlines.",
        ),
    ]
    return _modal(
        callback_id=LETTER_MODAL,
        title="Read a letter",
        submit="Read letter",
        blocks=blocks,
        metadata={"channel_id": channel_id},
    )


def _visit_form(*, facts: LetterFacts | None, channel_id: str | None) -> list[Block]:
    """The one visit form: blank for `/ofsted new`; for a letter, its facts filled in, each
    editable, with the evidence beside each date (the letter's visit dates are kept as read)."""
    blocks: list[Block] = []
    if facts is not None and facts.warnings:
        blocks.append(
            section(
                ":warning: *Please check*\n" + "\n".join(f"• {escape(w)}" for w in facts.warnings)
            )
        )
    if facts is None:
        blocks += [
            _text_input(
                block_id="local_authority",
                label="Local authority",
                max_length=100,
                placeholder="e.g. Fernleigh",
            ),
            _visit_type_input(None),
            _date_input(block_id="letter_date", label="Letter date", initial=None),
            _date_input(block_id="visit_start", label="First day of the visit", initial=None),
            _date_input(block_id="visit_end", label="Last day of the visit", initial=None),
        ]
    else:
        blocks += [
            _text_input(
                block_id="local_authority",
                label="Local authority",
                initial=facts.local_authority,
                max_length=100,
            ),
            _visit_type_input(facts.visit_type),
            _date_input(block_id="letter_date", label="Letter date", initial=facts.letter_date),
        ]
    stated = {m.kind: m for m in facts.milestones} if facts is not None else {}
    for kind in MilestoneKind:
        milestone = stated.get(kind)
        hint = None
        if milestone:
            hint = SOURCE_NAMES[milestone.source]
            if milestone.evidence:
                hint += ": " + " ".join(milestone.evidence.split())
        elif facts is not None:
            hint = "Not in the letter: leave empty, or pick a date."
        blocks.append(
            _date_input(
                block_id=f"due_{kind.value}",
                label=MILESTONE_LABELS[kind],
                initial=milestone.due if milestone else None,
                hint=clip(hint, 2000) if hint else None,
            )
        )
    return [*blocks, _channel_input(channel_id), _approvers_input()]


def review_modal(*, facts: LetterFacts, draft_id: int, channel_id: str | None) -> dict[str, Any]:
    """A letter's facts to check before a visit is made of them."""
    return _modal(
        callback_id=REVIEW_MODAL,
        title="Check the dates",
        submit="Create visit",
        blocks=_visit_form(facts=facts, channel_id=channel_id),
        metadata={"draft_id": draft_id, "channel_id": channel_id},
    )


def new_visit_modal(*, channel_id: str | None) -> dict[str, Any]:
    """`/ofsted new`: a visit entered by hand."""
    return _modal(
        callback_id=NEW_VISIT_MODAL,
        title="New visit",
        submit="Create visit",
        blocks=_visit_form(facts=None, channel_id=channel_id),
        metadata={"channel_id": channel_id},
    )


def settings_modal(shown: SettingsShown) -> dict[str, Any]:
    """`/ofsted settings <visit>`: where and when its reminders go, and who signs off."""
    visit, approvers, escalation_user_id = shown.visit, shown.approvers, shown.escalation_user_id
    reminder_time, reminder_offsets = shown.reminder_time, shown.reminder_offsets
    escalation: dict[str, Any] = {"type": "users_select", "action_id": "user"}
    if escalation_user_id:
        escalation["initial_user"] = escalation_user_id
    blocks: list[Block] = [
        context(_visit_facts(visit)),
        _channel_input(visit.channel_id),
        _text_input(
            block_id="reminder_time",
            label="Reminder time (London)",
            initial=reminder_time,
            max_length=5,
            hint="24-hour clock, e.g. 09:00. Reminders are only posted on working days.",
        ),
        _text_input(
            block_id="reminder_offsets",
            label="Remind this many working days before",
            initial=reminder_offsets,
            max_length=40,
            hint=(
                "Comma-separated working days before each due date, e.g. 5,2,1,0 (0 = on the day)."
            ),
        ),
        _approvers_input(approvers),
        {
            "type": "input",
            "block_id": "escalation",
            "optional": True,
            "label": plain("Escalate overdue milestones to"),
            "element": escalation,
        },
    ]
    return _modal(
        callback_id=SETTINGS_MODAL,
        title="Visit settings",
        submit="Save",
        blocks=blocks,
        metadata={
            "visit_id": visit.id,
            # What the form showed, so a save made meanwhile by someone else is not overwritten.
            "shown": settings_now(shown),
        },
    )


# --- Help and App Home ------------------------------------------------------------------------

HELP_TEXT = """*ofsted-bot* keeps the dates after an Ofsted visit.
• `/ofsted letter`: read a letter (attach it or paste it) and check its dates
• `/ofsted new`: enter a visit by hand
• `/ofsted list`: open visits and what is next
• `/ofsted show <visit>`: a visit's timeline
• `/ofsted export <visit> csv` or `ics`: the audit trail, or the dates for Outlook
• `/ofsted settings <visit>`: channel, reminder time and days, approvers
• `/ofsted close <visit>`: close a visit when everything is done
• `/ofsted reopen <visit>`: reopen a closed visit
• `/ofsted add <visit>`: add a date of your own (a cabinet meeting, a briefing)
A visit is named by its reference, such as `st-helens-2106` (see `/ofsted list`). \
You can also share a letter's PDF or Word file in a channel I am in."""


def help_blocks(*, problem: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":x: {escape(problem)}"))
    blocks.append(section(HELP_TEXT))
    return blocks


def home_view(
    *,
    overdue: Sequence[HomeItem],
    due_soon: Sequence[HomeItem],
    waiting_on_me: Sequence[HomeItem],
    today: date,
    calendar: WorkingDayCalendar,
) -> dict[str, Any]:
    """The App Home tab: what is overdue, what is due in the next 30 days, what waits on you."""
    blocks: list[Block] = [header("Ofsted deadlines"), context(f"As of {format_long(today)}")]
    lists = home_sections(overdue=overdue, due_soon=due_soon, waiting_on_me=waiting_on_me)
    for title, items, empty in lists:
        blocks.append({"type": "divider"})
        blocks.append(section(f"*{title}* ({len(items)})"))
        if not items:
            blocks.append(context(empty))
        for item in items[:HOME_MOST]:
            line = milestone_line(item.milestone, today=today, calendar=calendar)
            blocks.append(section(f"{line}\n{home_item_place(item, SLACK)}"))
        if len(items) > HOME_MOST:
            blocks.append(context(f"…and {len(items) - HOME_MOST} more: see `/ofsted list`."))
    return {"type": "home", "blocks": fit(blocks, limit=MAX_VIEW_BLOCKS)}


# --- Reminders and the buttons on milestones --------------------------------------------------

ACKNOWLEDGE = Verb.ACKNOWLEDGE.value
MARK_DONE = Verb.MARK_DONE.value
SNOOZE = Verb.SNOOZE.value
ASSIGN = Verb.ASSIGN.value
REQUEST_SIGN_OFF = Verb.REQUEST_SIGN_OFF.value
APPROVE = Verb.APPROVE.value
REJECT = Verb.REJECT.value
MILESTONE_MENU = "milestone_menu"
DONE_MODAL = "milestone_done_modal"
SIGN_OFF_MODAL = "milestone_sign_off_modal"
ASSIGN_MODAL = "milestone_assign_modal"


def message_key_for_reminder(reminder_id: int) -> str:
    return f"reminder:{reminder_id}"


def message_key_for_timeline(visit_id: int) -> str:
    return f"timeline:{visit_id}"


def history_lines(events: Sequence[EventLike]) -> list[str]:
    """Who did what, when, as the message shows it after each click."""
    return shared_history_lines(events, SLACK)


def milestone_buttons(milestone: MilestoneLike, *, message_key: str) -> list[Block]:
    """The actions rows under a reminder: acknowledge, done, snooze, assign, a menu of changes;
    sign-off if needed. Once done or waived, only the menu that undoes it."""
    if milestone.status in ("done", "waived"):
        return [
            {
                "type": "actions",
                "block_id": f"{message_key}:{milestone.id}",
                "elements": [change_menu(milestone)],
            }
        ]
    value = str(milestone.id)
    owner_picker: dict[str, Any] = {
        "type": "users_select",
        "action_id": ASSIGN,
        "placeholder": plain("Assign owner", 150),
    }
    if milestone.owner_user_id:
        owner_picker["initial_user"] = milestone.owner_user_id
    rows: list[Block] = [
        {
            "type": "actions",
            "block_id": f"{message_key}:{milestone.id}",
            "elements": [
                button("Acknowledge", action_id=ACKNOWLEDGE, value=value),
                button("Mark done", action_id=MARK_DONE, value=value, style="primary"),
                button("Snooze 1 working day", action_id=SNOOZE, value=value),
                owner_picker,
                change_menu(milestone),
            ],
        }
    ]
    if milestone.needs_approval:
        sign_off = [button("Request sign-off", action_id=REQUEST_SIGN_OFF, value=value)]
        if milestone.approval_status == "requested":
            sign_off = [
                button("Approve", action_id=APPROVE, value=value, style="primary"),
                button("Reject", action_id=REJECT, value=value, style="danger"),
            ]
        rows.append(
            {
                "type": "actions",
                "block_id": f"{message_key}:{milestone.id}:sign_off",
                "elements": sign_off,
            }
        )
    return rows


def _milestone_heading(milestone: MilestoneLike, visit: VisitLike) -> str:
    """ "*Draft action plan due* · Fernleigh: focused visit (`fernleigh-2604`)", escaped."""
    return milestone_heading(milestone, visit, SLACK)


def reminder_blocks(
    *,
    visit: VisitLike,
    milestone: MilestoneLike,
    kind: str,
    reminder_id: int,
    today: date,
    calendar: WorkingDayCalendar,
    history: Sequence[EventLike] = (),
    also: Sequence[MilestoneLike] = (),
) -> list[Block]:
    lead = reminder_lead(kind, milestone)
    said = reminder_due_text(milestone, SLACK, kind=kind, today=today, calendar=calendar)
    what = nature_sentence(kind, milestone, visit)
    blocks: list[Block] = [
        section(f"{lead}: {_milestone_heading(milestone, visit)}\n{said}{what}"),
        context(milestone_line(milestone, today=today, calendar=calendar).split("\n", 1)[1]),
    ]
    if also:
        passed = passed_lines(also, SLACK, bullet="•", today=today, calendar=calendar)
        blocks.append(section(f"Also passed before I knew of this visit:\n{passed}"))
    lines = history_lines(history)
    if lines:
        blocks.append(context("\n".join(lines)))
    if kind != "closing":  # closed by itself: its timeline's menu can still undo it
        blocks.extend(
            milestone_buttons(milestone, message_key=message_key_for_reminder(reminder_id))
        )
    return blocks


_NATURE_LEADS = {
    (MilestoneNature.EVENT, "ahead"): ":mega: Coming up",
    (MilestoneNature.EVENT, "catch_up"): ":mega: Coming up",
    (MilestoneNature.EVENT, "due_day"): ":mega: Today",
    (MilestoneNature.WINDOW, "ahead"): ":scales: Decision needed",
    (MilestoneNature.WINDOW, "catch_up"): ":scales: Decision needed",
    (MilestoneNature.WINDOW, "due_day"): ":scales: Decision needed today",
}


def reminder_lead(kind: str, milestone: MilestoneLike) -> str:
    """ ":bell: Reminder", or what an event's or a decision window's reminder is called."""
    if kind == "closing":
        return ":lock: Closed"
    nature = nature_of(milestone.kind)
    return _NATURE_LEADS.get((nature, kind)) or REMINDER_LEADS.get(kind, ":bell: Reminder")


def nature_sentence(kind: str, milestone: MilestoneLike, visit: VisitLike) -> str:
    """What an event's day, a window's decision or an escalation with nobody to tell says."""
    nature = NATURES.get(milestone.kind)
    if kind == "closing":
        note = closing_note(
            kind=milestone.kind, approval_status=milestone.approval_status, passed_before=False
        )
        return f" {note[:1].upper()}{note[1:]}."
    if kind == "due_day" and nature and nature.on_the_day:
        return f" {nature.on_the_day[:1].upper()}{nature.on_the_day[1:]}."
    if kind in ("ahead", "catch_up", "due_day") and nature and nature.decision:
        return f" {nature.decision[:1].upper()}{nature.decision[1:]} before it closes."
    if kind == "escalation" and not getattr(visit, "escalation_user_id", None):
        creator = getattr(visit, "created_by", None)
        return (
            f" No escalation contact is set for this visit, so I told {user(creator)}, who "
            "created it (`/ofsted settings` sets one)."
        )
    return ""


def reminder_text(
    *,
    visit: VisitLike,
    milestone: MilestoneLike,
    kind: str,
    today: date,
    calendar: WorkingDayCalendar,
) -> str:
    lead = reminder_lead(kind, milestone).split(" ", 1)[1]
    return (
        f"{lead}: {escape(milestone.label)} "
        f"for {escape(visit.local_authority or visit.reference)}, "
        f"{format_long(milestone.due_date)} "
        f"({due_phrase(due=milestone.due_date, today=today, calendar=calendar)})"
    )


CHANGE_DATE = "milestone_change_date"
CONFIRM_DATE = "milestone_confirm_date"
WAIVE = "milestone_waive"
UNDO = "milestone_undo"
CHANGE_VERBS = (CHANGE_DATE, CONFIRM_DATE, WAIVE, UNDO)
"""Menu options that change a milestone's dates or status after creation (for its managers)."""
CHANGE_DATE_MODAL = "milestone_change_date_modal"
WAIVE_MODAL = "milestone_waive_modal"
ADD_MILESTONE_MODAL = "milestone_add_modal"


def change_options(milestone: MilestoneLike) -> list[tuple[str, str]]:
    """(text, value) of the options that change a milestone after creation: on a timeline's
    menu and under a reminder."""
    value = str(milestone.id)
    if milestone.status in ("done", "waived"):
        undone = "Mark done" if milestone.status == "done" else "waive"
        return [(f"Undo {undone}", f"{UNDO}:{value}")]
    options = [("Change date…", f"{CHANGE_DATE}:{value}")]
    if milestone.estimate:
        options.append(("Confirm the expected date", f"{CONFIRM_DATE}:{value}"))
    options.append(("Waive…", f"{WAIVE}:{value}"))
    return options


def _options(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": plain(text, 75), "value": value} for text, value in pairs]


def milestone_menu(milestone: MilestoneLike) -> dict[str, Any] | None:
    """The "Actions…" menu on each line of a timeline: a select, since it holds more than an
    overflow's five options."""
    value = str(milestone.id)
    options: list[tuple[str, str]] = []
    if milestone.status not in ("done", "waived"):
        options = [
            ("Acknowledge", f"{ACKNOWLEDGE}:{value}"),
            ("Mark done…", f"{MARK_DONE}:{value}"),
            ("Snooze 1 working day", f"{SNOOZE}:{value}"),
            ("Assign owner…", f"{ASSIGN}:{value}"),
        ]
        if milestone.needs_approval:
            options.append(("Sign-off…", f"{REQUEST_SIGN_OFF}:{value}"))
    options += change_options(milestone)
    return {
        "type": "static_select",
        "action_id": MILESTONE_MENU,
        "placeholder": plain("Actions…", 150),
        "options": _options(options),
    }


def change_menu(milestone: MilestoneLike) -> dict[str, Any]:
    """Under a reminder: "⋯" with Change date…, Confirm the expected date, Waive…"""
    return {
        "type": "overflow",
        "action_id": MILESTONE_MENU,
        "options": _options(change_options(milestone)),
    }


def change_date_modal(
    *, milestone: MilestoneLike, visit: VisitLike, origin: dict[str, Any]
) -> dict[str, Any]:
    """A new date and why: both dates and the reason go in the audit trail."""
    word = due_word(estimate=milestone.estimate)
    return _modal(
        callback_id=CHANGE_DATE_MODAL,
        title="Change date",
        submit="Change date",
        blocks=[
            section(
                f"{_milestone_heading(milestone, visit)}\n"
                f"Now {word} {format_long(milestone.due_date)}."
            ),
            _date_input(
                block_id="due", label="New date", initial=milestone.due_date, optional=False
            ),
            _text_input(
                block_id="reason",
                label="Why it moves",
                multiline=True,
                max_length=1000,
                placeholder="e.g. Ofsted agreed an extension by email on 3 May",
            ),
        ],
        metadata={"milestone_id": milestone.id, **origin},
    )


def waive_modal(
    *, milestone: MilestoneLike, visit: VisitLike, origin: dict[str, Any]
) -> dict[str, Any]:
    return _modal(
        callback_id=WAIVE_MODAL,
        title="Waive",
        submit="Waive",
        blocks=[
            section(
                f"{_milestone_heading(milestone, visit)}\n"
                "Waived, it is no longer reminded. *Undo* on its menu brings it back."
            ),
            _text_input(
                block_id="reason",
                label="Why nothing more is needed",
                multiline=True,
                max_length=1000,
                placeholder="e.g. we will not complain: agreed with the DCS",
            ),
        ],
        metadata={"milestone_id": milestone.id, **origin},
    )


def add_milestone_modal(*, visit: VisitLike) -> dict[str, Any]:
    """`/ofsted add <visit>`: a date of the council's own."""
    natures = [
        {"text": plain("A task: reminded, and overdue if not done", 75), "value": "task"},
        {"text": plain("An event: announced on the day, never overdue", 75), "value": "event"},
    ]
    return _modal(
        callback_id=ADD_MILESTONE_MODAL,
        title="Add a milestone",
        submit="Add",
        blocks=[
            context(_visit_facts(visit)),
            _text_input(
                block_id="label",
                label="What",
                max_length=150,
                placeholder="e.g. Cabinet approves the action plan",
            ),
            _date_input(block_id="due", label="Date", initial=None, optional=False),
            {
                "type": "input",
                "block_id": "nature",
                "label": plain("Kind"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "choice",
                    "options": natures,
                    "initial_option": natures[0],
                },
            },
        ],
        metadata={"visit_id": visit.id, "reference": visit.reference},
    )


def done_modal(
    *, milestone: MilestoneLike, visit: VisitLike, origin: dict[str, Any]
) -> dict[str, Any]:
    return _modal(
        callback_id=DONE_MODAL,
        title="Mark done",
        submit="Mark done",
        blocks=[
            section(_milestone_heading(milestone, visit)),
            _text_input(
                block_id="note",
                label="Note",
                optional=True,
                multiline=True,
                max_length=1000,
                placeholder="e.g. submitted through the Ofsted portal",
            ),
        ],
        metadata={"milestone_id": milestone.id, **origin},
    )


def sign_off_modal(
    *,
    milestone: MilestoneLike,
    visit: VisitLike,
    decision: str | None,
    origin: dict[str, Any],
    may_decide: bool = True,
) -> dict[str, Any]:
    """Only what this person can do now: ask for sign-off (none asked, or the last was
    rejected), or approve or reject (an approver who did not ask, while it is requested); with
    nothing to do, the form says why and has no Save."""
    status = milestone.approval_status
    # Reject pressed on a message: its form, whatever happened since (a decision made
    # meanwhile is answered, plainly, when the form is submitted).
    if status == "requested" or (decision == "rejected" and may_decide):
        options = (
            [
                {"text": plain("Approve", 75), "value": "approved"},
                {"text": plain("Reject", 75), "value": "rejected"},
            ]
            if may_decide
            else []
        )
    elif status == "approved":
        options = []
    else:
        options = [{"text": plain("Ask the approvers to sign off", 75), "value": "requested"}]
    heading = section(
        f"{_milestone_heading(milestone, visit)}\nSign-off: {status or 'not requested'}"
    )
    if not options:
        why = (
            "It is signed off: there is nothing more to do."
            if status == "approved"
            else "It is waiting for an approver's decision: the approvers have been asked, and "
            "only an approver who did not ask can approve or reject it."
        )
        return _modal(
            callback_id=SIGN_OFF_MODAL,
            title="Sign-off",
            submit=None,
            blocks=[heading, context(why)],
            metadata={"milestone_id": milestone.id, **origin},
        )
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": "choice", "options": options}
    chosen = next((o for o in options if o["value"] == decision), None)
    if chosen or len(options) == 1:
        element["initial_option"] = chosen or options[0]
    fields: list[Block] = [
        heading,
        {"type": "input", "block_id": "decision", "label": plain("Decision"), "element": element},
    ]
    if any(o["value"] == "rejected" for o in options):
        fields.append(
            _text_input(
                block_id="reason",
                label="Reason",
                optional=True,
                multiline=True,
                max_length=1000,
                hint="Required to reject: say what to change.",
            )
        )
    return _modal(
        callback_id=SIGN_OFF_MODAL,
        title="Sign-off",
        submit="Ask" if options[0]["value"] == "requested" else "Save",
        blocks=fields,
        metadata={"milestone_id": milestone.id, **origin},
    )


def message_key_for_sign_off(milestone_id: int) -> str:
    return f"signoff:{milestone_id}"


def sign_off_request_blocks(
    *,
    visit: VisitLike,
    milestone: MilestoneLike,
    requested_by: str | None,
    decided: str | None = None,
    chasing: bool = False,
) -> list[Block]:
    """The direct message an approver gets: the milestone, who asks, Approve and Reject; once
    decided, the decision and its reason instead of the buttons."""
    lead = ":hourglass: Still waiting for your sign-off" if chasing else ":memo: Sign-off asked"
    asked = f" by {user(requested_by)}" if requested_by else ""
    word = due_word(estimate=milestone.estimate)
    blocks: list[Block] = [
        section(
            f"{lead}{asked}: {_milestone_heading(milestone, visit)}\n"
            f"{word.capitalize()} {format_long(milestone.due_date)}."
        )
    ]
    if decided:
        blocks.append(section(f"Sign-off {clip(decided, 1000)}."))
    elif milestone.approval_status == "requested":
        value = str(milestone.id)
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{message_key_for_sign_off(milestone.id or 0)}:sign_off",
                "elements": [
                    button("Approve", action_id=APPROVE, value=value, style="primary"),
                    button("Reject", action_id=REJECT, value=value, style="danger"),
                ],
            }
        )
    else:
        blocks.append(context(f"Sign-off: {milestone.approval_status or 'not requested'}."))
    return blocks


def assign_modal(
    *, milestone: MilestoneLike, visit: VisitLike, origin: dict[str, Any]
) -> dict[str, Any]:
    picker: dict[str, Any] = {"type": "users_select", "action_id": "user"}
    if milestone.owner_user_id:
        picker["initial_user"] = milestone.owner_user_id
    return _modal(
        callback_id=ASSIGN_MODAL,
        title="Assign owner",
        submit="Assign",
        blocks=[
            section(_milestone_heading(milestone, visit)),
            {"type": "input", "block_id": "owner", "label": plain("Owner"), "element": picker},
        ],
        metadata={"milestone_id": milestone.id, **origin},
    )
