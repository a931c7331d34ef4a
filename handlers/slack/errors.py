"""Mistakes a user can make, and the one place where any error becomes a message in Slack.

A `UserError` is a clear answer ("No visit called 'x'…"); anything else is logged with its
traceback and the user is told, without the traceback, that nothing was changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient

from handlers.core.errors import Refused, UserError
from handlers.core.results import Refusal
from handlers.slack.forms import FormErrors

logger = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    ":x: Sorry, something went wrong on my side and nothing was changed. Please try again; "
    "if it keeps happening, tell whoever looks after this bot."
)

DATABASE_NOT_ANSWERING = (
    ":hourglass: I can't read the visits just now: the database is not answering. Nothing was "
    "changed. Please try again in a minute; if it keeps happening, tell whoever looks after this "
    "bot."
)

# The ack when the work queue is full: said at once, and nothing is done with the request.
BUSY = "I'm busy: nothing was changed, try again in a minute"

Work = Callable[..., None]
__all__ = [
    "BUSY",
    "DATABASE_NOT_ANSWERING",
    "SOMETHING_WENT_WRONG",
    "Refused",
    "UserError",
    "answers_errors",
    "unless_refused",
]
Result = TypeVar("Result")


def unless_refused(result: Result | Refusal) -> Result:
    """A use case's result; its refusal raised, for `answers_errors` to tell the person."""
    if isinstance(result, Refusal):
        raise UserError(result.text)
    return result


def tell_user(*, body: dict[str, Any], client: WebClient, respond: Any, text: str) -> None:
    """An answer only the person who acted can see, by whatever way this request allows.

    Commands and buttons carry a response_url; a modal submission does not, so the answer goes
    to the person's direct messages with the bot; an event is answered ephemerally in its
    channel. Never raises: the answer is a courtesy and must not hide the first error.
    """
    try:
        if body.get("response_url") or body.get("response_urls"):
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        event = body.get("event") or {}
        if event.get("channel") and event.get("user"):
            client.chat_postEphemeral(channel=event["channel"], user=event["user"], text=text)
            return
        user_id = (body.get("user") or {}).get("id")
        if user_id:
            client.chat_postMessage(channel=user_id, text=text)
    except Exception:
        logger.exception("could not send an answer to Slack")


def answers_errors(work: Work) -> Callable[[dict[str, Any], WebClient, Any, Any], None]:
    """Wrap a listener's work so that every failure reaches the user as a plain answer.

    Bolt gives lazy listeners' exceptions only to its log, so this wrapper is the one place
    where errors become messages. The wrapper's own arguments are what Bolt injects; the work
    is called with them as keywords.
    """

    def run_answering_errors(
        body: dict[str, Any], client: WebClient, respond: Any, context: Any
    ) -> None:
        try:
            work(body=body, client=client, respond=respond, context=context)
        except FormErrors:
            pass  # the ack already showed these under the modal's fields; Bolt runs us anyway
        except UserError as error:
            tell_user(body=body, client=client, respond=respond, text=f":x: {error.message}")
        except Exception:
            logger.exception("listener %s failed", work.__name__)
            tell_user(body=body, client=client, respond=respond, text=SOMETHING_WENT_WRONG)

    run_answering_errors.__name__ = f"{work.__name__}_answering_errors"
    run_answering_errors.__qualname__ = run_answering_errors.__name__
    return run_answering_errors
