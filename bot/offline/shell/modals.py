"""Walking a modal the bot opened: ask for each input in turn, submit, ask again what it refuses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.offline.shell.answers import (
    FieldProblem,
    choose_option,
    find_person,
    long_date,
    options_of,
    parse_date_answer,
    split_list,
)
from bot.offline.shell.officer import BOT_NAME
from bot.offline.shell.render import text_of
from bot.offline.shell.terminal import EndOfInput

if TYPE_CHECKING:
    from bot.offline.shell.loop import ShellSession

CANCEL_WORDS = {"cancel", "/cancel"}
MULTILINE_END = "."


class Cancelled(Exception):
    """The officer typed `cancel` in a form."""


def _json_or_none(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def walk_modal(session: ShellSession, view: dict[str, Any]) -> None:
    """Show a modal, ask for each input in order, submit it; ask again what it refuses."""
    view_id = str(view["id"])
    title = text_of(view.get("title")) or "Form"
    session.announce(f"{BOT_NAME} opened a form: {title}")
    others = [b for b in view.get("blocks", []) if b.get("type") not in ("input", "actions")]
    session.output.lines(session.render(others).lines)
    session.output.note(
        "  (Enter keeps the value in [brackets] or skips an optional field; cancel closes the form)"
    )
    inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
    values: dict[str, dict[str, Any]] = {}
    try:
        ask_fields(session, inputs, values)
        while True:
            response = session.driver.view_submission(
                user_id=session.user_id, view=view_id, values=values
            )
            answer = _json_or_none(response)
            action = answer.get("response_action") if isinstance(answer, dict) else None
            if response.status != 200:
                session.check(response)
                return
            if action == "errors":
                errors: dict[str, str] = dict(answer.get("errors") or {})
                session.output.say(f"  {title} was not saved:", "error")
                by_id = {b.get("block_id"): b for b in inputs}
                for block_id, problem in errors.items():
                    label = text_of(by_id.get(block_id, {}).get("label")) or block_id
                    session.output.say(f"  ✗ {label}: {problem}", "error")
                again = [by_id[b] for b in errors if b in by_id] or inputs
                ask_fields(session, again, values)
                continue
            session.output.note(f"  You submitted “{title}”.")
            break
    except (Cancelled, EndOfInput, KeyboardInterrupt) as stop:
        if isinstance(stop, KeyboardInterrupt):
            session.output.say()  # after the ^C, on a line of its own
        close_modal(session, view)
        session.output.note(f"  You closed “{title}” without submitting it.")
        if isinstance(stop, EndOfInput):
            raise
        return
    session.show_news()


def close_modal(session: ShellSession, view: dict[str, Any]) -> None:
    # As on Slack: the app hears of a closed modal only if it asked to (notify_on_close).
    if view.get("notify_on_close"):
        session.check(session.driver.view_closed(user_id=session.user_id, view=str(view["id"])))
        session.activity.settle()
        session.show_logs()
    else:
        session.slack.close_view(str(view["id"]))
    session.seen.modals.pop(str(view["id"]), None)


def ask_fields(
    session: ShellSession, inputs: Sequence[dict[str, Any]], values: dict[str, dict[str, Any]]
) -> None:
    for block in inputs:
        block_id = str(block.get("block_id"))
        element = block.get("element", {})
        current = values.get(block_id, {}).get(element.get("action_id", ""))
        value = ask_field(session, block, current=current)
        if value is None:
            values.pop(block_id, None)
        else:
            values[block_id] = {str(element.get("action_id", "value")): value}


def ask_field(session: ShellSession, block: dict[str, Any], *, current: Any = None) -> Any:
    """Ask for one input's value until it is usable; None skips it. `cancel` raises Cancelled."""
    element = block.get("element", {})
    kind = element.get("type", "plain_text_input")
    label = text_of(block.get("label")) or kind
    optional = bool(block.get("optional"))
    default = current if current is not None else initial_value(element)
    hint = text_of(block.get("hint")) or text_of(element.get("placeholder"))
    options = options_of(element)
    if hint or options:
        session.output.say()
    if hint:
        session.output.say(hint, "context", indent=4)
    if options:
        for number, option in enumerate(options, start=1):
            session.output.say(f"{number}. {text_of(option.get('text'))}", indent=4)
    if kind == "plain_text_input" and element.get("multiline"):
        session.output.note("    (several lines: finish with a line holding just a full stop)")
    shown_default = shown_value(session, kind, default, options)
    prompt = f"  {label}{' (optional)' if optional else ''}"
    prompt += f" [{shown_default}]: " if shown_default else ": "
    while True:
        answer = session.ask(prompt).strip()
        if answer.lower() in CANCEL_WORDS:
            raise Cancelled
        if not answer:
            if default not in (None, "", []):
                return default
            if optional or kind in ("conversations_select", "channels_select"):
                if kind in ("conversations_select", "channels_select"):
                    return session.channel_id
                return None
            session.output.error("This field is required.")
            continue
        if kind == "plain_text_input" and element.get("multiline"):
            answer = more_lines(session, answer)
        try:
            return parse_answer(session, kind, element, answer, options)
        except FieldProblem as problem:
            session.output.error(str(problem))


def more_lines(session: ShellSession, first: str) -> str:
    if first == MULTILINE_END:
        return ""
    lines = [first]
    while True:
        line = session.ask("  … ")
        if line.strip() == MULTILINE_END:
            return "\n".join(lines)
        if line.strip().lower() in CANCEL_WORDS:
            raise Cancelled
        lines.append(line)


def initial_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind == "plain_text_input":
        return element.get("initial_value")
    if kind == "datepicker":
        return element.get("initial_date")
    if kind in ("static_select", "radio_buttons"):
        return (element.get("initial_option") or {}).get("value")
    if kind in ("multi_static_select", "checkboxes"):
        return [o.get("value") for o in element.get("initial_options") or []] or None
    if kind == "users_select":
        return element.get("initial_user")
    if kind == "multi_users_select":
        return element.get("initial_users") or None
    if kind in ("conversations_select", "channels_select"):
        return element.get("initial_conversation") or element.get("initial_channel")
    if kind == "multi_conversations_select":
        return element.get("initial_conversations") or None
    if kind == "timepicker":
        return element.get("initial_time")
    return element.get("initial_value")


def shown_value(session: ShellSession, kind: str, value: Any, options: list[dict[str, Any]]) -> str:
    """A default value as the officer would recognise it."""
    if value in (None, "", []):
        if kind in ("conversations_select", "channels_select"):
            return f"#{session.channel_name(session.channel_id)}"
        return ""
    values = value if isinstance(value, list) else [value]
    if kind == "file_input" and isinstance(value, dict):
        return ", ".join(str(f.get("name")) for f in value.get("files", []))
    shown = []
    for item in values:
        if options:
            option = next((o for o in options if o.get("value") == item), None)
            shown.append(text_of(option.get("text")) if option else str(item))
        elif kind.endswith("users_select"):
            shown.append(session.user_name(str(item)) or str(item))
        elif "conversations" in kind or "channels" in kind:
            shown.append(f"#{session.channel_name(str(item))}")
        elif kind == "datepicker":
            shown.append(long_date(str(item)))
        else:
            text = str(item)
            shown.append(text if len(text) <= 60 else text[:59] + "…")
    return ", ".join(shown)


def parse_answer(
    session: ShellSession,
    kind: str,
    element: dict[str, Any],
    answer: str,
    options: list[dict[str, Any]],
) -> Any:
    if kind == "datepicker":
        return parse_date_answer(answer).isoformat()
    if kind in ("static_select", "radio_buttons", "external_select", "overflow"):
        return choose_option(answer, options)
    if kind in ("multi_static_select", "checkboxes"):
        return [choose_option(part, options) for part in split_list(answer)]
    if kind == "users_select":
        chosen = people_in(session, answer)
        if len(chosen) != 1:
            raise FieldProblem("Choose one person.")
        return chosen[0]
    if kind == "multi_users_select":
        return people_in(session, answer)
    if kind in ("conversations_select", "channels_select"):
        return channel_in(session, answer)
    if kind == "multi_conversations_select":
        return [channel_in(session, part) for part in split_list(answer)]
    if kind == "file_input":
        return {"type": "file_input", "files": [upload_in(session, answer)]}
    if kind == "timepicker":
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", answer):
            raise FieldProblem("Give a time such as 09:00.")
        return answer
    limit = element.get("max_length")
    if limit and len(answer) > int(limit):
        raise FieldProblem(f"That is {len(answer)} characters; this field takes {limit}.")
    if element.get("min_length") and len(answer) < int(element["min_length"]):
        raise FieldProblem(f"Write at least {element['min_length']} characters.")
    return answer


def people_in(session: ShellSession, answer: str) -> list[str]:
    chosen = []
    for part in split_list(answer):
        chosen.append(
            find_person(part, session.people, known_id=lambda u: session.slack.user(u) is not None)
        )
    return chosen


def channel_in(session: ShellSession, answer: str) -> str:
    ref = answer.strip()
    if ref.lower() in ("here", "this"):
        return session.channel_id
    if session.slack.channel(ref) is not None:
        return ref
    name = ref.lstrip("#").lower()
    names = {**session.channel_names}
    for channel_id in session.known_channels():
        names.setdefault(channel_id, session.channel_name(channel_id) or channel_id)
    for channel_id, channel_name in names.items():
        if channel_name.lower() == name:
            return channel_id
    known = ", ".join(f"#{n}" for n in session.channel_names.values())
    raise FieldProblem(f"No channel called {ref}; channels here: {known}.")


def upload_in(session: ShellSession, answer: str) -> dict[str, Any]:
    path = session.local_path(answer)
    if not path.is_file():
        raise FieldProblem(f"No such file: {answer}")
    return session.slack.add_file(
        content=path.read_bytes(), filename=path.name, user_id=session.user_id
    )
