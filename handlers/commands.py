"""`/ofsted …`: acknowledged at once, then answered from a lazy listener when the work is done.

`/ofsted list` is the exception: it is answered in the ack itself, from the list kept since the
last change to the database when there is one (see `storage.changes`), so the commonest
question costs no second request to Slack and, most of the time, no query.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient
from sqlmodel import Session

from handlers import blocks, exports
from handlers.commandline import Command, parse_command
from handlers.context import HandlerContext
from handlers.delivery import upload_or_send
from handlers.errors import DATABASE_NOT_ANSWERING, SOMETHING_WENT_WRONG, UserError, answers_errors
from handlers.visits import find_visit, visit_listing, visit_timeline
from scheduler.calendar import WorkingDayCalendar
from scheduler.planning import replan_visit
from storage import repo
from storage.changes import DatabaseNotAnswering, ReadingTakesLong

logger = logging.getLogger(__name__)

# Slack waits 3 s for the ack; a list not read by then follows through the response_url.
LIST_ANSWER_WITHIN_SECONDS = 1.5
LIST_FOLLOWS = ":hourglass_flowing_sand: Reading the visits is taking longer than usual; the list will follow here."



@dataclass(frozen=True)
class ListAnswer:
    text: str
    blocks: list[blocks.Block]
    ack_body: str  # the ack's JSON, encoded once for every ack that gives this answer

    @classmethod
    def of(cls, *, text: str, shown: list[blocks.Block]) -> ListAnswer:
        body = json.dumps({"text": text, "blocks": shown, "response_type": "ephemeral"})
        return cls(text=text, blocks=shown, ack_body=body)


def ack_with_body(ack: Ack, body: str) -> None:
    """`ack(text=…, blocks=…)` with the JSON already made.

    Bolt's ack() encodes its arguments on every call; for a kept list that was a quarter of the
    answer's cost (profiled). `Ack.response` is the attribute Bolt returns to Slack, in HTTP and
    Socket Mode alike, and is what ack() itself sets.
    """
    ack.response = BoltResponse(status=200, body=body, headers={"content-type": "application/json;charset=utf-8"})


def acknowledge(ack: Ack) -> None:
    ack()


def asks_for_list(body: dict[str, Any]) -> bool:
    try:
        return parse_command(body.get("text") or "").name == "list"
    except UserError:
        return False


def register(app: App, ctx: HandlerContext) -> None:
    @app.command("/ofsted", matchers=[asks_for_list])
    def answer_list_in_ack(ack: Ack, respond: Any) -> None:
        today = ctx.today()

        def read() -> ListAnswer:
            with ctx.reading() as session:
                return list_answer(session=session, today=today, calendar=ctx.calendar)

        try:
            answer = ctx.answers.get_or_read(("list", today), read, within=LIST_ANSWER_WITHIN_SECONDS)
        except DatabaseNotAnswering as error:
            logger.warning("/ofsted list: the database is not answering: %s", error)
            ack(text=DATABASE_NOT_ANSWERING)
        except ReadingTakesLong as late:
            ack(text=LIST_FOLLOWS)
            late.future.add_done_callback(lambda done: _answer_late_list(done, respond))
        except Exception:
            logger.exception("/ofsted list failed")
            ack(text=SOMETHING_WENT_WRONG)
        else:
            ack_with_body(ack, answer.ack_body)

    @answers_errors
    def handle_ofsted_command(*, body: dict[str, Any], client: WebClient, respond: Any, context: Any) -> None:
        command = parse_command(body.get("text") or "")
        SUBCOMMANDS[command.name](ctx=ctx, command=command, body=body, client=client, respond=respond)

    app.command("/ofsted")(ack=acknowledge, lazy=[handle_ofsted_command])


def handle_help(*, respond: Any, **_: Any) -> None:
    respond(text="What ofsted-bot can do", blocks=blocks.help_blocks())


def handle_letter(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
    client.views_open(trigger_id=body["trigger_id"], view=blocks.letter_modal(channel_id=body.get("channel_id")))


def handle_new(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
    client.views_open(trigger_id=body["trigger_id"], view=blocks.new_visit_modal(channel_id=body.get("channel_id")))


def _answer_late_list(done: Any, respond: Any) -> None:
    try:
        answer = done.result()
        respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
    except Exception:
        logger.exception("/ofsted list failed after its ack")
        try:
            respond(text=SOMETHING_WENT_WRONG, response_type="ephemeral")
        except Exception:
            logger.exception("could not send an answer to Slack")


def list_answer(*, session: Session, today: date, calendar: WorkingDayCalendar) -> ListAnswer:
    """The soonest open visits; when there are more, the count and how to reach any of them."""
    listing = visit_listing(session=session)
    shown = blocks.visit_list_blocks(summaries=listing.summaries, today=today, calendar=calendar)
    if listing.more:
        shown = [
            blocks.header(f"Open visits ({listing.total:,})"),
            *shown[1:],
            blocks.context(
                f"…and {listing.more:,} more open visits, whose next dates come later. "
                "`/ofsted show <visit>` opens any of them by its reference."
            ),
        ]
    return ListAnswer.of(text=f"{listing.total} open visits", shown=shown)


def handle_show(*, ctx: HandlerContext, command: Command, respond: Any, **_: Any) -> None:
    with ctx.reading() as session:
        visit = find_visit(session=session, reference=command.visit or "")
        shown, text = visit_timeline(ctx=ctx, session=session, visit=visit)
    respond(text=text, blocks=shown)


def handle_export(*, ctx: HandlerContext, command: Command, body: dict[str, Any], client: WebClient, respond: Any, **_: Any) -> None:
    with ctx.reading() as session:
        visit = find_visit(session=session, reference=command.visit or "")
        milestones = repo.list_milestones(session=session, visit_id=visit.id or 0)
        if command.export_format == "csv":
            events = repo.list_audit_events(session=session, visit_id=visit.id or 0)
            content: bytes = exports.audit_csv(visit=visit, events=events, milestones=milestones).encode()
            what = "audit trail"
        else:
            content = exports.milestones_ics(visit=visit, milestones=milestones, now=ctx.now())
            what = "dates, as a calendar file for Outlook"
        filename = exports.export_filename(visit=visit, export_format=command.export_format or "csv", today=ctx.today())
    upload_or_send(
        client=client,
        channel_id=body["channel_id"],
        user_id=body["user_id"],
        content=content,
        filename=filename,
        comment=f"<@{body['user_id']}> asked for the {what} of `{visit.reference}`.",
    )


def handle_settings(*, ctx: HandlerContext, command: Command, body: dict[str, Any], client: WebClient, **_: Any) -> None:
    with ctx.reading() as session:
        visit = find_visit(session=session, reference=command.visit or "")
        approvers = repo.list_approvers(session=session, visit_id=visit.id or 0)
        view = blocks.settings_modal(
            visit=visit,
            approvers=approvers,
            escalation_user_id=visit.escalation_user_id,
            reminder_time=visit.reminder_time or ctx.defaults.reminder_time.strftime("%H:%M"),
            reminder_offsets=visit.reminder_offsets or ",".join(str(n) for n in ctx.defaults.offsets),
        )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def handle_close(*, ctx: HandlerContext, command: Command, body: dict[str, Any], respond: Any, **_: Any) -> None:
    with ctx.session() as session:
        visit = find_visit(session=session, reference=command.visit or "")
        if visit.status == "closed":
            raise UserError(f"`{visit.reference}` is already closed.")
        repo.close_visit(session=session, visit=visit, actor_user_id=body["user_id"], now=ctx.now())
        replan_visit(session=session, visit=visit, defaults=ctx.defaults, now=ctx.now())  # cancels them
        reference = visit.reference
    respond(text=f":white_check_mark: Closed `{reference}`: no more reminders will be posted for it.")


SUBCOMMANDS = {
    "help": handle_help,
    "letter": handle_letter,
    "new": handle_new,
    "show": handle_show,
    "export": handle_export,
    "settings": handle_settings,
    "close": handle_close,
}
