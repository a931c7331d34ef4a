"""Mistakes a user can make and refusals: raised inside a use case, returned from it as a `Refusal`.

Inside a use case a clear answer is raised (it may come from deep in a lookup); at the use case's
edge it becomes a typed `Refusal` result (handlers.core.results) that every front end renders.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can put right: the message says what was wrong and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Refused(UserError):
    """Someone may not do this: nothing was changed, and the attempt is in the audit log."""
