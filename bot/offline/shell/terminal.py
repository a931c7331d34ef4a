"""Where the shell prints (a rich Console, plain when not a terminal) and where it reads lines."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot.offline.shell.render import Line

STYLES = {
    "header": "bold underline",
    "context": "dim",
    "rule": "dim",
    "controls": "bold cyan",
    "from": "bold magenta",
    "note": "dim",
    "error": "red",
    "echo": "bold",
}


class Output:
    """Where the shell writes: a rich Console, plain (no colour codes) when not a terminal."""

    def __init__(self, out: TextIO | Console | None = None) -> None:
        if isinstance(out, Console):
            self.console = out
        else:
            self.console = Console(
                file=out, soft_wrap=True, highlight=False, markup=False, emoji=False
            )
        self.printed = 0  # lines so far, so a caller can tell whether anything was said

    def say(self, text: str = "", style: str | None = None, *, indent: int = 0) -> None:
        for part in text.split("\n") if text else [""]:
            self.printed += 1
            self.console.print(Text(" " * indent + part, style=STYLES.get(style or "", "")))

    def note(self, text: str) -> None:
        self.say(text, "note")

    def error(self, text: str) -> None:
        self.say(f"! {text}", "error")

    def lines(self, lines: Iterable[Line], *, indent: int = 2) -> None:
        for line in lines:
            extra = 2 if line.style == "context" else 0
            self.say(line.text, line.style, indent=indent + extra)
            if line.style == "header" and not self.console.is_terminal:
                self.say("‾" * len(line.text), "header", indent=indent)


class EndOfInput(Exception):
    """The officer closed the input (Ctrl-D, or the end of a script)."""


Ask = Callable[[str], str]


def scripted_input(lines: Iterator[str], output: Output) -> Ask:
    """Answers from a script (a test, a pipe), echoed after the prompt as if typed."""

    def ask(prompt: str) -> str:
        try:
            line = next(lines)
        except StopIteration:
            raise EndOfInput from None
        line = line.rstrip("\r\n")
        output.say(prompt + line, "echo")
        return line

    return ask


def terminal_input() -> Ask:
    """Answers typed at a terminal, with line editing and history where readline exists."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            print()
            raise EndOfInput from None

    return ask
