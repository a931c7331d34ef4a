"""`ofsted-bot shell`: the real bot in a terminal, offline, for someone with no Slack credentials.

The same Bolt app and the same database as `ofsted-bot serve`, answering real HTTP on loopback,
against the local Slack stand-in (`bot.offline.standin`). The officer types what they would do in
Slack (`/ofsted list`, `share letter.pdf`, `press 1`); the shell sends it as Slack would, waits
for the bot's answers and prints them as plain text, and walks any modal the bot opens.

By concern, so the tests can drive each one in-process:
- `render`: Block Kit as text, pure; `answers`: what is typed into a form, read, pure;
- `terminal`: printing and reading lines; `activity`: knowing when the bot has finished;
- `loop`: the session, what the officer does and what changed since last shown; `modals`: forms;
- `start`: start everything, run the session, stop everything; `tour`: the `--demo` tour.
"""

from bot.offline.shell.answers import FieldProblem, choose_option, find_person, parse_date_answer
from bot.offline.shell.loop import PROMPT, ShellSession
from bot.offline.shell.render import Line, mrkdwn_to_text, render_blocks
from bot.offline.shell.start import ShellStartError, run_shell, started_shell
from bot.offline.shell.terminal import EndOfInput, Output

__all__ = [
    "PROMPT",
    "EndOfInput",
    "FieldProblem",
    "Line",
    "Output",
    "ShellSession",
    "ShellStartError",
    "choose_option",
    "find_person",
    "mrkdwn_to_text",
    "parse_date_answer",
    "render_blocks",
    "run_shell",
    "started_shell",
]
