"""The Teams activity handler: a message or a card click in, one answer out.

Thin, as the Slack listeners are: read the activity (pure: `messages`, `attachments`), find out
who asks and who is in the conversations holding their tenant's visits (the Bot Connector,
`members`), call one use case (`usecases`, on a thread: the database is synchronous), build a
card (`cards`) and send it. A mistake is a `UserError` whose message is the reply; anything
else is logged with its traceback and answered plainly, never with silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from microsoft_agents.activity import Activity, Attachment, InvokeResponse
from microsoft_agents.hosting.core import TurnContext
from sqlalchemy.engine import Engine

from handlers.core import changes, letters, visits
from handlers.core.access import Actor, Workspace
from handlers.core.commandline import Command
from handlers.core.context import CoreContext, Dated, system_clock
from handlers.core.errors import UserError
from handlers.core.exports import export_visit
from handlers.core.results import MilestoneChanged, Refusal, VisitCreated
from handlers.core.wording import visit_title
from handlers.slack.intake import file_origin
from handlers.teams import cards, forms, usecases
from handlers.teams.members import ConversationMembers
from handlers.teams.messages import for_teams, help_text, read_command, without_mention
from handlers.teams.outgoing import export_messages, message, post_to_conversation
from handlers.teams.usecases import Conversation, TeamsAsker, answered
from scheduler.planning import ReminderDefaults
from storage.teams import conversation_without_message, teams_workspace

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
CARD_ACTION = "adaptiveCard/action"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side and nothing was changed. Please try again; if it "
    "keeps happening, tell whoever looks after this bot."
)
NO_TENANT = (
    "I can't tell which organisation this message came from, so I have done nothing with it."
)
LETTER_HOW = (
    "Attach the letter's PDF or Word file to a message to me, or send `letter` followed by the "
    "letter's text, from its date line down."
)
# Where Teams keeps files attached in a chat or channel: SharePoint and OneDrive.
FILE_HOST_SUFFIXES = (".sharepoint.com", ".sharepoint-df.com", ".sharepoint.us")


@dataclass(frozen=True)
class TeamsContext(Dated):
    """What the activity handler is handed: the database, the defaults, the clock, the admins."""

    engine: Engine
    defaults: ReminderDefaults = field(default_factory=ReminderDefaults)
    clock: Callable[[], datetime] = system_clock
    admins: frozenset[str] = frozenset()
    members: ConversationMembers = field(default_factory=ConversationMembers)

    @property
    def core(self) -> CoreContext:
        """What the core's use cases are handed: the same database, defaults, clock and admins."""
        return CoreContext(
            engine=self.engine, defaults=self.defaults, clock=self.clock, admins=self.admins
        )


def tenant_of(activity: Activity) -> str | None:
    """The Teams tenant: `channelData.tenant.id`, or the conversation's own `tenantId`."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return (
        str(tenant)
        if tenant
        else (activity.conversation.tenant_id if activity.conversation else None)
    )


def conversation_of(activity: Activity, tenant_id: str) -> Conversation:
    conversation = activity.conversation
    reference = activity.get_conversation_reference()
    return Conversation(
        tenant_id=tenant_id,
        conversation_id=conversation_without_message(conversation.id),
        conversation_type=conversation.conversation_type or "personal",
        service_url=activity.service_url or "",
        reference=reference.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


class TeamsBot:
    """The SDK's `Agent`: `on_turn` is called for every activity that passed authentication."""

    def __init__(self, ctx: TeamsContext, *, app_id: str | None = None) -> None:
        self.ctx = ctx
        self.app_id = app_id
        self._reading: set[asyncio.Task[None]] = set()

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == "message":
            await self._answering(context, self._on_message)
        elif activity.type == "invoke" and activity.name == CARD_ACTION:
            await self._on_card_action(context)
        elif activity.type == "conversationUpdate" and activity.conversation:
            # Someone came or went: who sees the visits there is asked afresh.
            self.ctx.members.forget(conversation_without_message(activity.conversation.id))

    async def _answering(self, context: TurnContext, work: Callable[[TurnContext], Any]) -> None:
        try:
            await work(context)
        except UserError as error:
            await context.send_activity(message(error.message))
        except Exception:
            logger.exception("a Teams message failed")
            await context.send_activity(message(SOMETHING_WENT_WRONG))

    # --- who asks ---------------------------------------------------------------------------

    async def asker(self, context: TurnContext) -> TeamsAsker:
        activity = context.activity
        tenant = tenant_of(activity)
        if not tenant or not activity.from_property or not activity.from_property.id:
            raise UserError(NO_TENANT)
        sender = activity.from_property
        actor = Actor(
            workspace=Workspace(team_id=teams_workspace(tenant)),
            user_id=sender.id,
            is_admin=bool({sender.id, sender.aad_object_id} & self.ctx.admins),
        )
        members: dict[str, frozenset[str]] = {}
        if not actor.is_admin:
            held = await asyncio.to_thread(
                usecases.conversations_to_ask_about, engine=self.ctx.engine, tenant_id=tenant
            )
            connector = context.turn_state.get("ConnectorClient")
            if held and connector is not None:
                conversations = connector.conversations  # type: ignore[attr-defined]
                for conversation_id in held:
                    members[conversation_id] = await self.ctx.members.of(
                        conversations, conversation_id
                    )
        names = await self._names(context)
        return TeamsAsker(actor=actor, tenant_id=tenant, members=members, names=names)

    # --- messages ---------------------------------------------------------------------------

    async def _ask(
        self, asker: TeamsAsker, use_case: Callable[..., Result | Refusal], **inputs: Any
    ) -> Result:
        """One use case of the core, on a thread (the database is synchronous), for this person;
        a refusal is raised as the answer, in Teams' words."""
        done = await asyncio.to_thread(use_case, self.ctx.core, asker=asker.core, **inputs)
        return answered(done, asker)

    async def _on_message(self, context: TurnContext) -> None:
        activity = context.activity
        attached = [a for a in activity.attachments or [] if _is_letter_attachment(a)]
        typed = without_mention(activity.text)
        words = typed.text.split()
        if attached:
            await self._read_attached(context, attached[0])
            return
        if len(words) > 1 and words[0].lower() == "letter":
            pasted = typed.text.split(None, 1)[1]
            asker = await self.asker(context)
            self._read_in_background(
                context, asker, lambda: usecases.read_pasted_letter(pasted), filename=None
            )
            return
        command = read_command(typed.text)
        if command.name == "help":
            await context.send_activity(message(help_text()))
        elif command.name == "letter":
            await context.send_activity(message(LETTER_HOW))
        else:
            await COMMANDS[command.name](self, context, command)

    async def _new(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        form = cards.visit_form_card(values={}, people=asker.people)
        await context.send_activity(message("New visit", card=form))

    async def _list(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        listing = await asyncio.to_thread(usecases.list_visits, self.ctx.core, asker=asker)
        card = cards.visit_list_card(
            summaries=listing.summaries,
            total=listing.total,
            today=self.ctx.today(),
            calendar=self.ctx.calendar,
        )
        await context.send_activity(message(f"{listing.total} open visits", card=card))

    async def _show(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        shown = await self._ask(asker, visits.show_visit, reference=command.visit or "")
        card = cards.timeline_card(
            visit=shown.visit,
            milestones=shown.milestones,
            today=self.ctx.today(),
            calendar=self.ctx.calendar,
            names=dict(asker.names),
            people=asker.people,
        )
        await context.send_activity(message(f"Timeline for {shown.visit.reference}", card=card))

    async def _close(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        closed = await self._ask(asker, visits.close_visit, reference=command.visit or "")
        await context.send_activity(
            message(f"Closed `{closed.reference}`: no more reminders will be posted for it.")
        )

    async def _reopen(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        reopened = await self._ask(asker, changes.reopen_visit, reference=command.visit or "")
        await context.send_activity(
            message(f"Reopened `{reopened.reference}`: its open milestones are reminded again.")
        )

    async def _add(self, context: TurnContext, command: Command) -> None:
        """`add <visit>`: the form for a date of the council's own (managers only, while open)."""
        asker = await self.asker(context)
        shown = await self._ask(asker, changes.open_add_form, reference=command.visit or "")
        form = cards.add_milestone_card(visit=shown.visit)
        title = f"Add a milestone to {shown.visit.reference}"
        await context.send_activity(message(title, card=form))

    async def _export(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        exported = await self._ask(
            asker,
            export_visit,
            reference=command.visit or "",
            export_format=command.export_format or "csv",
        )
        # As in Slack, never into a conversation whose members may not see the visit: the
        # visit's own conversation, or the asker's personal chat with the bot.
        here = conversation_of(context.activity, asker.tenant_id)
        if here.conversation_type != "personal" and here.channel_id != exported.visit.channel_id:
            raise UserError(
                f"I send the {exported.what} of `{exported.visit.reference}` only in its own "
                "channel or chat, or in your personal chat with me: ask me there."
            )
        name = context.activity.from_property.name or asker.user_id
        for part in export_messages(
            content=exported.content,
            filename=exported.filename,
            comment=f"{name} asked for the {exported.what} of `{exported.visit.reference}`.",
        ):
            await context.send_activity(part)

    async def _settings(self, context: TurnContext, command: Command) -> None:
        asker = await self.asker(context)
        shown = await self._ask(asker, visits.open_settings, reference=command.visit or "")
        form = cards.settings_card(
            shown=shown, fingerprint=visits.settings_now(shown), people=asker.people
        )
        await context.send_activity(message(f"Settings for {shown.visit.reference}", card=form))

    async def _read_attached(self, context: TurnContext, attached: Attachment) -> None:
        name, file_type, url = _attachment_file(attached)
        origin = _allowed_origin(url, service_url=context.activity.service_url or "")
        if origin is None:
            raise UserError(
                f"I did not fetch {name}: it is not in Teams' own file storage. "
                "Attach the letter again."
            )

        def read() -> usecases.LetterRead:
            return usecases.read_attached_letter(
                name=name, file_type=file_type, url=url, allowed_origin=origin
            )

        # Who asks (with the members of the conversations they see) is looked up in the turn:
        # whether the letter is tracked already is answered as they may see it.
        asker = await self.asker(context)
        self._read_in_background(context, asker, read, filename=name)

    def _read_in_background(
        self,
        context: TurnContext,
        asker: TeamsAsker,
        read: Callable[[], usecases.LetterRead],
        *,
        filename: str | None,
    ) -> None:
        """Reading a letter can take many seconds (a PDF, in the sandbox), and Teams waits about
        15 s for the answer to its POST: the activity is answered at once, and the preview follows
        as a post of its own in the same chat or thread."""
        adapter = context.adapter
        task = asyncio.create_task(
            self._preview_later(adapter, context.activity, asker, read, filename)
        )
        self._reading.add(task)
        task.add_done_callback(self._reading.discard)

    async def _preview_later(
        self,
        adapter: Any,
        activity: Activity,
        asker: TeamsAsker,
        read: Callable[[], usecases.LetterRead],
        filename: str | None,
    ) -> None:
        reply: Activity | None
        try:
            letter = await asyncio.to_thread(read)
            reply = await self._preview(activity, asker, letter=letter, filename=filename)
        except UserError as error:
            reply = message(error.message)
        except Exception:
            logger.exception("reading a letter attached in Teams failed")
            reply = message(SOMETHING_WENT_WRONG)
        if reply is None:
            return
        try:
            await post_to_conversation(
                adapter,
                reference=activity.get_conversation_reference().model_dump(
                    mode="json", by_alias=True, exclude_none=True
                ),
                conversation_id=activity.conversation.id,
                activity=reply,
                app_id=self.app_id,
            )
        except Exception:
            logger.exception("could not send a letter's preview to Teams")

    async def _preview(
        self,
        activity: Activity,
        asker: TeamsAsker,
        *,
        letter: usecases.LetterRead,
        filename: str | None,
    ) -> Activity | None:
        """The letter kept as a draft, and its preview (or, as in Slack: that it is tracked
        already, or a report kept with its visit); None if this message was read already."""
        kept = await asyncio.to_thread(
            usecases.save_letter,
            self.ctx.core,
            asker=asker,
            read=letter,
            filename=filename,
            conversation=conversation_of(activity, asker.tenant_id),
            message_id=activity.id,
        )
        if kept is None:
            return None  # Teams delivered this very message twice: one preview
        if kept.report is not None:
            card = cards.report_attached_card(attached=kept.report, filename=filename)
            return message(
                f"Kept with `{kept.report.reference}`: it is that visit's report.", card=card
            )
        draft_id = kept.draft_id or 0
        if kept.tracked is not None:
            card = cards.already_tracked_card(
                tracked=kept.tracked, draft_id=draft_id, names=dict(asker.names)
            )
            return message(
                f"This letter is already tracked as `{kept.tracked.reference}`.", card=card
            )
        card = cards.letter_preview_card(
            facts=letter.facts,
            draft_id=draft_id,
            today=self.ctx.today(),
            calendar=self.ctx.calendar,
        )
        return message(f"I read {filename or 'the letter'}: please check its dates.", card=card)

    # --- card clicks ------------------------------------------------------------------------

    async def _on_card_action(self, context: TurnContext) -> None:
        """An `Action.Execute`: the answer to the invoke is the updated card (or a plain message),
        and the message the card is on is updated in place for everyone."""
        try:
            updated = await self._card_verb(context)
        except UserError as error:
            await _invoke_answer(
                context, {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": error.message}
            )
            return
        except Exception:
            logger.exception("a Teams card action failed")
            await _invoke_answer(
                context,
                {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": SOMETHING_WENT_WRONG},
            )
            return
        if isinstance(updated, str):  # an answer to the one who clicked; the card stays as it is
            await _invoke_answer(
                context, {"statusCode": 200, "type": MESSAGE_RESPONSE, "value": updated}
            )
            return
        await _invoke_answer(
            context, {"statusCode": 200, "type": cards.CONTENT_TYPE, "value": updated}
        )
        if context.activity.reply_to_id:
            replaced = message(card=updated)
            replaced.id = context.activity.reply_to_id
            await context.update_activity(replaced)

    async def _card_verb(self, context: TurnContext) -> cards.Card | str:
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action") or {}
        verb, data = action.get("verb"), action.get("data") or {}
        if verb not in cards.VERBS:
            raise UserError("That button is out of date. Send `help` for what I can do.")
        if verb == cards.CREATE_VISIT and data.get("form") == "visit":
            return await self._create_from_form(context, data)
        if verb in cards.DRAFT_VERBS:
            return await self._draft_verb(context, verb, data)
        if verb in usecases.TEAMS_VERBS:
            return await self._milestone_verb(context, verb, data)
        if verb == cards.SAVE_SETTINGS:
            return await self._save_settings(context, data)
        if verb == cards.ADD_MILESTONE:
            return await self._add_milestone(context, data)
        if verb == cards.OPEN_VISIT:
            return await self._open_visit(context, data)
        if verb == cards.TRACK_ANYWAY:
            asker = await self.asker(context)
            review = await self._ask(asker, letters.review_draft, draft_id=_draft_of(data))
            return cards.letter_preview_card(
                facts=review.facts,
                draft_id=review.draft_id,
                today=self.ctx.today(),
                calendar=self.ctx.calendar,
            )
        return await self._change_verb(context, verb, data)

    async def _milestone_verb(
        self, context: TurnContext, verb: str, data: dict[str, Any]
    ) -> cards.Card:
        milestone_id = _milestone_of(data)
        activity = context.activity
        asker = await self.asker(context)
        reminder_id = _reminder_of(data)
        clicked = await asyncio.to_thread(
            usecases.click_milestone,
            self.ctx.core,
            asker=asker,
            verb=verb,
            milestone_id=milestone_id,
            # Teams sends a retried invoke with the same activity id: recorded once.
            key=f"teams:{activity.id or ''}:{verb}:{milestone_id}",
            reminder_id=reminder_id,
            note=str(data.get("note") or data.get("reason") or "").strip() or None,
            owner_user_id=str(data.get("owner") or "") or None,
        )
        if clicked.sign_off is not None:
            news = cards.sign_off_news_card(
                visit=clicked.visit,
                milestone=clicked.milestone,
                news=clicked.sign_off,
                names=dict(asker.names),
            )
            if news is not None:
                await context.send_activity(message(card=news))
        return self._redrawn(clicked, asker, reminder_id=reminder_id, kind=clicked.reminder_kind)

    def _redrawn(
        self,
        changed: MilestoneChanged,
        asker: TeamsAsker,
        *,
        reminder_id: int | None,
        kind: str | None,
    ) -> cards.Card:
        """The card a click came from, drawn again: the reminder (with who did what since), or
        the visit's timeline ending with the latest change."""
        names = dict(asker.names)
        today, calendar = self.ctx.today(), self.ctx.calendar
        if reminder_id is not None and kind:
            return cards.reminder_card(
                visit=changed.visit,
                milestone=changed.milestone,
                kind=kind,
                reminder_id=reminder_id,
                today=today,
                calendar=calendar,
                history=changed.history,
                names=names,
                people=asker.people,
            )
        latest = cards.history_lines(changed.history[-1:], names)
        return cards.timeline_card(
            visit=changed.visit,
            milestones=changed.milestones,
            today=today,
            calendar=calendar,
            names=names,
            people=asker.people,
            settled=f"Latest: {latest[0]}" if latest else None,
        )

    async def _open_visit(self, context: TurnContext, data: dict[str, Any]) -> str:
        """Open it, on a letter tracked already: the visit's timeline, posted as `show` posts
        it; the card asking stays, so Track it anyway and Dismiss are still there."""
        reference = str(data.get("reference") or "")
        await self._show(context, Command("show", visit=reference))
        return f"Here is `{reference}`."

    async def _change_verb(
        self, context: TurnContext, verb: str, data: dict[str, Any]
    ) -> cards.Card:
        """Change date, Waive, Confirm date, Undo: a manager's change of a milestone, through
        the core's `changes` (which checks who asks, audits, and plans its reminders again)."""
        milestone_id = _milestone_of(data)
        asker = await self.asker(context)
        # Teams sends a retried invoke with the same activity id: recorded once.
        key = f"teams:{context.activity.id or ''}:{verb}:{milestone_id}"
        inputs: dict[str, Any] = {"milestone_id": milestone_id, "key": key}
        use_case: Callable[..., MilestoneChanged | Refusal]
        if verb == cards.CHANGE_DATE:
            new_date = forms.date_input(data.get("due"))
            if new_date is None:
                raise UserError("Pick the new date, then press Change date again.")
            use_case = changes.change_date
            inputs |= {"new_date": new_date, "reason": str(data.get("reason") or "")}
        elif verb == cards.WAIVE:
            use_case = changes.waive_milestone
            inputs |= {"reason": str(data.get("reason") or "")}
        elif verb == cards.CONFIRM_DATE:
            use_case = changes.confirm_date
        elif verb == cards.UNDO:
            use_case = changes.undo_milestone
        else:
            raise UserError(f"I don't know `{verb}`. Try `help` for what I can do.")
        changed = await self._ask(asker, use_case, **inputs)
        reminder_id = _reminder_of(data)
        kind = str(data.get("kind") or "") or None
        return self._redrawn(changed, asker, reminder_id=reminder_id, kind=kind)

    async def _add_milestone(self, context: TurnContext, data: dict[str, Any]) -> cards.Card:
        asker = await self.asker(context)
        due = forms.date_input(data.get("due"))
        if due is None:
            raise UserError("Pick the milestone's date, then press Add again.")
        added = await self._ask(
            asker,
            changes.add_milestone,
            reference=str(data.get("reference") or ""),
            label=str(data.get("label") or ""),
            due=due,
            event=data.get("nature") == "event",
            key=f"teams:{context.activity.id or ''}:{cards.ADD_MILESTONE}",
        )
        name = context.activity.from_property.name or asker.user_id
        return cards.timeline_card(
            visit=added.visit,
            milestones=added.milestones,
            today=self.ctx.today(),
            calendar=self.ctx.calendar,
            names=dict(asker.names),
            people=asker.people,
            settled=cards.Settled(
                who=name,
                deed=f"added **{cards.literal(added.milestone.label)}**",
                at=self.ctx.now(),
            ).line(),
        )

    async def _names(self, context: TurnContext) -> dict[str, str]:
        """Display names of the conversation's members, for the card to name people by."""
        connector = context.turn_state.get("ConnectorClient")
        if connector is None or not context.activity.conversation:
            return {}
        conversation_id = conversation_without_message(context.activity.conversation.id)
        conversations = connector.conversations  # type: ignore[attr-defined]
        return await self.ctx.members.names(conversations, conversation_id)

    async def _draft_verb(
        self, context: TurnContext, verb: str, data: dict[str, Any]
    ) -> cards.Card:
        draft_id = _draft_of(data)
        asker = await self.asker(context)
        name = context.activity.from_property.name or asker.user_id
        now, today, calendar, core = (
            self.ctx.now(),
            self.ctx.today(),
            self.ctx.calendar,
            self.ctx.core,
        )
        # The letter as read, for the card to show (and a clear answer if it is gone or taken).
        review = await self._ask(asker, letters.review_draft, draft_id=draft_id)
        if verb == cards.EDIT_DATES:
            return cards.visit_form_card(
                values=cards.visit_form_values(review.facts),
                people=asker.people,
                draft_id=draft_id,
                facts=review.facts,
            )
        if verb == cards.DISMISS:
            await self._ask(asker, letters.dismiss_draft, draft_id=draft_id)
            deed = "dismissed this letter: no visit was created"
        else:
            created = await asyncio.to_thread(
                usecases.create_visit_from_draft,
                core,
                asker=asker,
                draft_id=draft_id,
                conversation=conversation_of(context.activity, asker.tenant_id),
            )
            await self._tell_created(context, created, asker)
            deed = f"created visit `{created.timeline.visit.reference}` from this letter"
        return cards.letter_preview_card(
            facts=review.facts,
            draft_id=draft_id,
            today=today,
            calendar=calendar,
            settled=cards.Settled(who=name, deed=deed, at=now).line(),
        )

    async def _create_from_form(self, context: TurnContext, data: dict[str, Any]) -> cards.Card:
        """Create visit on the visit form (`new`, or Edit dates): checked as Slack's modal is;
        what to fix is shown on the form again, with what was entered."""
        asker = await self.asker(context)
        draft_id = _draft_of(data) if data.get("draftId") is not None else None
        here = conversation_of(context.activity, asker.tenant_id)
        values = forms.form_values(data)
        facts = None
        if draft_id is not None:
            facts = (await self._ask(asker, letters.review_draft, draft_id=draft_id)).facts
        try:
            form = forms.visit_form(values, channel_id=here.channel_id)
        except forms.FormErrors as error:
            return cards.visit_form_card(
                values=values,
                people=asker.people,
                draft_id=draft_id,
                facts=facts,
                errors=error.errors,
            )
        created = await asyncio.to_thread(
            usecases.create_visit,
            self.ctx.core,
            asker=asker,
            form=form,
            conversation=here,
            draft_id=draft_id,
        )
        await self._tell_created(context, created, asker)
        name = context.activity.from_property.name or asker.user_id
        visit = created.timeline.visit
        deed = f"created visit `{visit.reference}`" + (" from this letter" if facts else "")
        return cards.card(
            [
                cards.heading(cards.literal(visit_title(visit))),
                cards.text_block(
                    cards.Settled(who=name, deed=deed, at=self.ctx.now()).line(),
                    weight="Bolder",
                    color="Good",
                ),
            ]
        )

    async def _tell_created(
        self, context: TurnContext, created: VisitCreated, asker: TeamsAsker
    ) -> None:
        """The new visit's timeline, in the conversation it was made in, for everyone there."""
        visit = created.timeline.visit
        timeline = cards.timeline_card(
            visit=visit,
            milestones=created.timeline.milestones,
            today=self.ctx.today(),
            calendar=self.ctx.calendar,
            names=dict(asker.names),
            people=asker.people,
        )
        await context.send_activity(message(f"Timeline for {visit.reference}", card=timeline))

    async def _save_settings(self, context: TurnContext, data: dict[str, Any]) -> cards.Card:
        asker = await self.asker(context)
        try:
            visit_id = int(data["visitId"])
        except (KeyError, TypeError, ValueError):
            raise UserError("That form is out of date. Send `settings <visit>` again.") from None
        reference = str(data.get("reference") or "")
        shown = await self._ask(asker, visits.open_settings, reference=reference)
        values = forms.form_values(data)
        try:
            form = forms.settings_form(values, channel_id=shown.visit.channel_id)
        except forms.FormErrors as error:
            return cards.settings_card(
                shown=shown,
                fingerprint=str(data.get("shown") or ""),
                people=asker.people,
                values=values,
                errors=error.errors,
            )
        saved = await self._ask(
            asker,
            visits.save_settings,
            visit_id=visit_id,
            form=form,
            shown=str(data.get("shown") or "") or None,
        )
        summary = (
            "unchanged: nothing to save"
            if saved.change is None
            else f"saved: {for_teams(saved.change, asker.names)}"
        )
        name = context.activity.from_property.name or asker.user_id
        return cards.settings_card(
            shown=shown,
            fingerprint="",
            settled=cards.Settled(
                who=name, deed=f"changed the settings. Settings {summary}", at=self.ctx.now()
            ).line(),
        )


COMMANDS: dict[str, Callable[[TeamsBot, TurnContext, Command], Awaitable[None]]] = {
    "new": TeamsBot._new,
    "list": TeamsBot._list,
    "show": TeamsBot._show,
    "close": TeamsBot._close,
    "reopen": TeamsBot._reopen,
    "add": TeamsBot._add,
    "export": TeamsBot._export,
    "settings": TeamsBot._settings,
}
"""The commands past help and letter: each a translation to one use case of the core."""


def _milestone_of(data: dict[str, Any]) -> int:
    try:
        return int(data["milestoneId"])
    except (KeyError, TypeError, ValueError):
        raise UserError(
            "That button is out of date. Send `show <visit>` for the timeline."
        ) from None


def _reminder_of(data: dict[str, Any]) -> int | None:
    """The reminder a button is on (its card is redrawn as a reminder), if it is on one."""
    message_key = str(data.get("messageKey") or "")
    if message_key.startswith("reminder:") and message_key[9:].isdigit():
        return int(message_key[9:])
    return None


def _draft_of(data: dict[str, Any]) -> int:
    try:
        return int(data["draftId"])
    except (KeyError, TypeError, ValueError):
        raise UserError("That button is out of date. Share the letter again.") from None


async def _invoke_answer(context: TurnContext, body: dict[str, Any]) -> None:
    await context.send_activity(
        Activity(type="invokeResponse", value=InvokeResponse(status=200, body=body))
    )


def _is_letter_attachment(attached: Attachment) -> bool:
    if attached.content_type == FILE_DOWNLOAD_INFO:
        return True
    return bool(attached.content_url) and attached.content_type in (
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "text/plain",
    )


def _attachment_file(attached: Attachment) -> tuple[str, str, str]:
    """(name, file type, URL) of an attached file: Teams' download info, or an inline file."""
    name = attached.name or "letter"
    if attached.content_type == FILE_DOWNLOAD_INFO:
        content = attached.content if isinstance(attached.content, dict) else {}
        return (
            name,
            str(content.get("fileType") or name.rsplit(".", 1)[-1]),
            str(content.get("downloadUrl") or ""),
        )
    file_type = {"application/pdf": "pdf", "text/plain": "text"}.get(attached.content_type, "docx")
    return name, file_type, attached.content_url or ""


def _allowed_origin(url: str, *, service_url: str) -> str | None:
    """The one origin an attached file may be fetched from: Teams' file storage (SharePoint), or
    the Bot Connector that sent the activity (inline files, and the stand-in)."""
    origin = file_origin(url)
    if origin is None:
        return None
    scheme, host, port = origin
    service = urlsplit(service_url)
    if (host.endswith(FILE_HOST_SUFFIXES) and scheme == "https") or host == (
        service.hostname or ""
    ).lower():
        return f"{scheme}://{host}:{port}"
    return None
