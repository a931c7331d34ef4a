"""`/ofsted …`: acknowledged at once, then answered from a lazy listener when the work is done.

Answers that need no Web API call are the ack itself: help, a usage error, and `list` and
`show`, which only read, from the answer kept since the last change to the database when there
is one (see `storage.changes`). The commonest questions cost no second request to Slack and,
most of the time, no query; a slow or dead response_url never delays them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient
from sqlmodel import Session

from handlers.core import visits
from handlers.core.access import VisitFacts
from handlers.core.commandline import Command, parse_command
from handlers.core.exports import export_visit
from handlers.core.people import Asker
from handlers.core.visits import no_such_visit, visit_facts, visit_listing
from handlers.slack import blocks, changes
from handlers.slack.blocks import Block
from handlers.slack.context import HandlerContext
from handlers.slack.delivery import send_export
from handlers.slack.errors import (
    DATABASE_NOT_ANSWERING,
    SOMETHING_WENT_WRONG,
    UserError,
    answers_errors,
    unless_refused,
)
from scheduler.calendar import WorkingDayCalendar
from storage import repo
from storage.changes import DatabaseNotAnswering, ReadingTakesLong, on_daemon_thread

logger = logging.getLogger(__name__)

# Slack waits 3 s for the ack; an answer not read by then follows through the response_url.
ANSWER_IN_ACK_WITHIN_SECONDS = 1.5
ANSWER_FOLLOWS = (
    ":hourglass_flowing_sand: This is taking longer than usual; the answer will follow here."
)


@dataclass(frozen=True)
class ReadAnswer:
    """An answer that only reads the database, given as the command's ack."""

    text: str
    blocks: list[Block]
    ack_body: str  # the ack's JSON, encoded once for every ack that gives this answer

    @classmethod
    def of(cls, *, text: str, shown: list[Block]) -> ReadAnswer:
        body = json.dumps({"text": text, "blocks": shown, "response_type": "ephemeral"})
        return cls(text=text, blocks=shown, ack_body=body)


def ack_with_body(ack: Ack, body: str) -> None:
    """`ack(text=…, blocks=…)` with the JSON already made.

    Bolt's ack() encodes its arguments on every call; for a kept list that was a quarter of the
    answer's cost (profiled). `Ack.response` is the attribute Bolt returns to Slack, in HTTP and
    Socket Mode alike, and is what ack() itself sets.
    """
    ack.response = BoltResponse(
        status=200, body=body, headers={"content-type": "application/json;charset=utf-8"}
    )


def acknowledge(ack: Ack) -> None:
    ack()


def answered_in_ack(body: dict[str, Any]) -> bool:
    """Help, a usage error, `list` and `show`: no Web API call, so the answer is the ack itself
    (and they start no work, so they are answered even when the work queue is full)."""
    try:
        return parse_command(body.get("text") or "").name in ANSWERED_IN_ACK
    except UserError:
        return True


def register(app: App, ctx: HandlerContext) -> None:
    @app.command("/ofsted", matchers=[answered_in_ack])
    def answer_in_ack(ack: Ack, body: dict[str, Any], respond: Any, client: WebClient) -> None:
        try:
            command = parse_command(body.get("text") or "")
        except UserError as error:
            ack(text=f":x: {error.message}", response_type="ephemeral")
            return
        if command.name == "help":
            ack_with_body(ack, HELP.ack_body)
            return
        try:
            answer = READ_IN_ACK[command.name](
                ctx=ctx, asker=ctx.asker(body, client), command=command, today=ctx.today()
            )
        except UserError as error:
            ack(text=f":x: {error.message}")
        except DatabaseNotAnswering as error:
            logger.warning("/ofsted %s: the database is not answering: %s", command.name, error)
            ack(text=DATABASE_NOT_ANSWERING)
        except ReadingTakesLong as late:
            ack(text=ANSWER_FOLLOWS)
            late.future.add_done_callback(lambda done: _answer_late(done, respond))
        except Exception:
            logger.exception("/ofsted %s failed", command.name)
            ack(text=SOMETHING_WENT_WRONG)
        else:
            ack_with_body(ack, answer.ack_body)

    @answers_errors
    def handle_ofsted_command(
        *, body: dict[str, Any], client: WebClient, respond: Any, context: Any
    ) -> None:
        command = parse_command(body.get("text") or "")
        SUBCOMMANDS[command.name](
            ctx=ctx, command=command, body=body, client=client, respond=respond
        )

    app.command("/ofsted")(ack=acknowledge, lazy=[handle_ofsted_command])


def _answer_late(done: Any, respond: Any) -> None:
    try:
        answer = done.result()
        text, shown = answer.text, answer.blocks
    except UserError as error:
        text, shown = f":x: {error.message}", None
    except Exception:
        logger.exception("an answer read after its ack failed")
        text, shown = SOMETHING_WENT_WRONG, None
    try:
        respond(text=text, blocks=shown, response_type="ephemeral")
    except Exception:
        logger.exception("could not send an answer to Slack")


def handle_letter(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
    client.views_open(
        trigger_id=body["trigger_id"], view=blocks.letter_modal(channel_id=body.get("channel_id"))
    )


def handle_new(*, body: dict[str, Any], client: WebClient, **_: Any) -> None:
    client.views_open(
        trigger_id=body["trigger_id"],
        view=blocks.new_visit_modal(channel_id=body.get("channel_id")),
    )


Read = TypeVar("Read")


def kept_or_read(
    ctx: HandlerContext,
    key: tuple[Any, ...],
    read: Callable[[], Read],
    then: Callable[[Read], ReadAnswer],
) -> ReadAnswer:
    """`then(read())`, `read()` kept while nothing is committed (keyed by all it depends on
    besides the data). When reading outlasts the ack, `then` runs once it is read, for the
    answer that follows through the response_url."""
    try:
        kept = ctx.answers.get_or_read(key, read, within=ANSWER_IN_ACK_WITHIN_SECONDS)
    except ReadingTakesLong as late:
        reading = late.future
        raise ReadingTakesLong(
            on_daemon_thread(lambda: then(reading.result()), name="late-answer")
        ) from None
    return then(kept)


def read_list(*, ctx: HandlerContext, asker: Asker, command: Command, today: date) -> ReadAnswer:
    """The visits this person may see: which channels hold visits is kept between changes, whose
    members they are is kept a few minutes, and so is the answer for that set of channels."""

    def read_channels() -> frozenset[str]:
        with ctx.reading() as session:
            return frozenset(repo.visit_channels(session=session, team_id=asker.team_id))

    def answer(channels: frozenset[str]) -> ReadAnswer:
        shown_to = asker.visible_to(channels)

        def read() -> ReadAnswer:
            with ctx.reading() as session:
                return list_answer(
                    session=session,
                    visible_to=shown_to,
                    today=today,
                    calendar=ctx.calendar,
                    which=command.list_filter,
                )

        key = ("list", today, shown_to, command.list_filter)
        return kept_or_read(ctx, key, read, lambda kept: kept)

    return kept_or_read(ctx, ("channels", asker.team_id), read_channels, answer)


def list_answer(
    *,
    session: Session,
    visible_to: repo.VisibleTo,
    today: date,
    calendar: WorkingDayCalendar,
    which: str = "open",
) -> ReadAnswer:
    """The soonest open visits (or the closed ones, or mine); when there are more, the count and
    how to reach any of them."""
    listing = visit_listing(session=session, visible_to=visible_to, which=which)
    shown = blocks.visit_list_blocks(
        summaries=listing.summaries, today=today, calendar=calendar, which=which
    )
    title = blocks.LIST_TITLES.get(which, "Visits")
    if listing.more:
        later = {
            "closed": "closed visits, closed earlier",
            "mine": "of yours, whose next dates come later",
        }.get(which, "open visits, whose next dates come later")
        shown = [
            blocks.header(f"{title} ({listing.total:,})"),
            *shown[1:],
            blocks.context(
                f"…and {listing.more:,} more {later}. "
                "`/ofsted show <visit>` opens any of them by its reference."
            ),
        ]
    counted = {"closed": "closed visits", "mine": "open visits that name you"}
    return ReadAnswer.of(text=f"{listing.total} {counted.get(which, 'open visits')}", shown=shown)


ShownVisit = tuple[int, VisitFacts, ReadAnswer] | None


def read_show(*, ctx: HandlerContext, asker: Asker, command: Command, today: date) -> ReadAnswer:
    """A visit's timeline, kept per workspace, visit and day; whether this person may see it is
    asked every time, of what the visit is now (kept with it) and who is in its channel now."""
    reference = (command.visit or "").strip().lower()

    def read() -> ShownVisit:
        with ctx.reading() as session:
            visit = repo.get_visit(session=session, reference=reference, team_id=asker.team_id)
            if visit is None:
                return None
            shown, text = blocks.timeline_of(
                visits.timeline(session=session, visit=visit), today=today, calendar=ctx.calendar
            )
            return (
                visit.id or 0,
                visit_facts(session=session, visit=visit),
                ReadAnswer.of(text=text, shown=shown),
            )

    def answer(kept: ShownVisit) -> ReadAnswer:
        if kept is not None:
            visit_id, facts, shown = kept
            decision = asker.sees(facts)
            if decision:
                return shown
            # Audited after the answer, on a thread of its own: the ack is a read.
            on_daemon_thread(
                lambda: _audit_hidden_show(ctx, asker, visit_id, decision.refusal),
                name="audit-refusal",
            )
        with ctx.reading() as session:
            raise no_such_visit(session=session, reference=reference, asker=asker)

    return kept_or_read(ctx, ("show", reference, today, asker.team_id), read, answer)


def _audit_hidden_show(
    ctx: HandlerContext, asker: Asker, visit_id: int, refusal: str | None
) -> None:
    try:
        with ctx.session() as session:
            repo.append_audit_event(
                session=session,
                visit_id=visit_id,
                milestone_id=None,
                actor_user_id=asker.user_id,
                action="visit_shown",
                now=ctx.now(),
                outcome="refused",
                note=refusal,
            )
    except Exception:
        logger.exception("could not audit a refused /ofsted show")


READ_IN_ACK = {"list": read_list, "show": read_show}
HELP = ReadAnswer.of(text="What ofsted-bot can do", shown=blocks.help_blocks())
ANSWERED_IN_ACK = {"help", *READ_IN_ACK}


def handle_export(
    *, ctx: HandlerContext, command: Command, body: dict[str, Any], client: WebClient, **_: Any
) -> None:
    exported = unless_refused(
        export_visit(
            ctx,
            asker=ctx.asker(body, client),
            reference=command.visit or "",
            export_format=command.export_format or "csv",
        )
    )
    send_export(
        client=client,
        asked_in=body["channel_id"],
        visit_channel_id=exported.visit.channel_id,
        user_id=body["user_id"],
        content=exported.content,
        filename=exported.filename,
        comment=(
            f"<@{body['user_id']}> asked for the {exported.what} of `{exported.visit.reference}`."
        ),
    )


def handle_settings(
    *, ctx: HandlerContext, command: Command, body: dict[str, Any], client: WebClient, **_: Any
) -> None:
    shown = unless_refused(
        visits.open_settings(ctx, asker=ctx.asker(body, client), reference=command.visit or "")
    )
    client.views_open(trigger_id=body["trigger_id"], view=blocks.settings_modal(shown))


def handle_close(
    *,
    ctx: HandlerContext,
    command: Command,
    body: dict[str, Any],
    client: WebClient,
    respond: Any,
    **_: Any,
) -> None:
    closed = unless_refused(
        visits.close_visit(ctx, asker=ctx.asker(body, client), reference=command.visit or "")
    )
    respond(
        text=(
            f":white_check_mark: Closed `{closed.reference}`: no more reminders will be posted "
            "for it."
        )
    )


SUBCOMMANDS = {
    "letter": handle_letter,
    "new": handle_new,
    "export": handle_export,
    "settings": handle_settings,
    "close": handle_close,
    "reopen": changes.handle_reopen,
    "add": changes.handle_add,
}
