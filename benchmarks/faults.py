"""Faults and bad input at full size: what the test suite runs small, run big, and summed up.

    .venv/bin/python benchmarks/faults.py            # everything, a few minutes
    .venv/bin/python benchmarks/faults.py --quick    # the test suite's sizes
    .venv/bin/python benchmarks/faults.py --only commands,letters

1. Commands: 5,000 random `/ofsted` texts (hypothesis: real subcommands, visit references,
   junk, unicode, very long text, backticks, mrkdwn, `<@U…>`), each a Slack-signed request to
   the bot served over HTTP. Each must be acked 200 within 3 s, answered ephemerally, with no
   stack trace, no "something went wrong" and no database write unless it was a valid close.
   Then damaged PDF and DOCX letters shared in a channel: a private reason, no draft.
2. Letters: 500 mutated letters read by `read_letter` (facts or NotAnOfstedLetter, every date
   traceable to the text, no impossible date made a milestone), and a sample of them and of
   damaged files through `ofsted-bot letter --json` (exit 0 or 2, one line on stderr).
3. Kills: 20 rounds of `ofsted-bot worker` SIGKILLed at random moments (once or twice a round)
   while posting reminders in three channels, most often while the stand-in holds back the
   answer to a post already made; then a worker with a 1 s DISPATCH_LEASE: each reminder
   posted exactly once (FAULTS_SEED picks the moments).
4. Outage: PostgreSQL unreachable for 30 s (every connection reset and refused, through a TCP
   proxy on loopback) while reminders fall due and Slack's requests keep coming; then the same
   with the packets dropped instead (10 s). Each reminder exactly once; acks within 3 s; the
   user told "something went wrong, nothing was changed"; /healthz 503 during, 200 after.

The checks are the tests' own (tests/handlers/test_bad_input.py, tests/scheduler/
test_letter_mutations.py, tests/scheduler/test_dispatch_faults.py), so a failure here is
replayed small in the suite. Needs PostgreSQL at TEST_DATABASE_URL for the outage runs
(default postgresql+psycopg://postgres@127.0.0.1:5432/test); without it they are skipped.
Exit status 1 if any check failed. Known: with the packets dropped, /healthz hangs instead of
answering 503 (the strict xfail in test_dispatch_faults.py says why).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socketserver
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project and its tests importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings

from storage.db import normalize_database_url
from tests.handlers import test_bad_input as commands
from tests.scheduler import test_dispatch_faults as dispatch_faults
from tests.scheduler import test_letter_mutations as letters

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FULL = {"commands": 5000, "letters": 500, "cli": 40, "kills": 20, "outage": 30.0, "drop": 10.0}
QUICK = {"commands": 150, "letters": 150, "cli": 8, "kills": 3, "outage": 3.0, "drop": 3.0}


@dataclass
class Row:
    scenario: str
    cases: int = 0
    server_errors: int = 0
    tracebacks: int = 0
    late_acks: int = 0
    duplicates: int | None = None
    losses: int | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    detail: str = ""


def _explore(strategy_kwargs: dict[str, object], count: int, run: Callable[..., None]) -> None:
    """Call `run` on `count` examples drawn by hypothesis, without stopping at a failure."""
    explore = settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(given(**strategy_kwargs)(run))
    explore()


# --- 1. commands ----------------------------------------------------------------------------------


def run_commands(count: int, folder: Path) -> list[Row]:
    row = Row("random /ofsted commands")
    intake = Row("damaged files shared")
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    with commands.serving_bot(folder) as bot:
        commands.seed_visit(bot.engine)

        def one(text: str) -> None:
            commands.reopen_visit(bot.engine)
            result = commands.send_command(bot, text)
            row.cases += 1
            row.server_errors += result.server_error
            row.tracebacks += result.traceback
            row.late_acks += result.late
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
            if result.response is not None:
                latencies.append(result.response.latency)
            row.problems += [f"{text[:80]!r}: {problem}" for problem in result.problems]

        _explore({"text": commands.command_texts()}, count, one)
        row.seconds = time.perf_counter() - started
        latencies.sort()
        row.detail = (
            "outcomes "
            + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
            + f"; ack p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
            + f"max {latencies[-1] * 1000:.0f} ms"
        )
        started = time.perf_counter()
        for filename, data in letters.damaged_documents(letters.SEEDS["example"]):
            if letters.document_outcome(data, filename) != "unreadable":
                continue
            result = commands.share_damaged(bot, filename, data)
            intake.cases += 1
            intake.server_errors += result.server_error
            intake.tracebacks += result.traceback
            intake.late_acks += result.late
            intake.problems += [f"{filename}: {problem}" for problem in result.problems]
        intake.seconds = time.perf_counter() - started
    return [row, intake]


# --- 2. letters -----------------------------------------------------------------------------------


def run_letters(count: int, cli_sample: int, folder: Path) -> list[Row]:
    row = Row("mutated letters (read_letter)")
    cli = Row("ofsted-bot letter --json")
    started = time.perf_counter()
    sample: list[letters.Mutated] = []
    refused = 0

    def one(letter: letters.Mutated) -> None:
        nonlocal refused
        row.cases += 1
        problems = letters.check_facts(letter.text, impossible=tuple(letter.impossible))
        refused += letters.is_refused(letter.text)
        row.tracebacks += sum("raised" in problem for problem in problems)
        row.problems += [f"{letters.describe(letter)[:160]}: {problem}" for problem in problems]
        if len(sample) < cli_sample:
            sample.append(letter)

    _explore({"letter": letters.mutated_letters()}, count, one)
    row.seconds = time.perf_counter() - started
    row.detail = f"{count - refused} read, {refused} refused as not an Ofsted letter"

    started = time.perf_counter()
    paths = []
    for n, letter in enumerate(sample):
        path = folder / f"mutated-{n}.txt"
        path.write_bytes(letter.text.encode("utf-8", "surrogatepass"))
        paths.append((letters.describe(letter)[:120], path))
    for filename, data in letters.damaged_documents(letters.SEEDS["example"]):
        path = folder / filename
        path.write_bytes(data)
        paths.append((filename, path))
    exits: dict[int, int] = {}
    for label, path in paths:
        cli.cases += 1
        status, problems = letters.run_cli(path)
        exits[status] = exits.get(status, 0) + 1
        cli.tracebacks += sum("traceback" in problem for problem in problems)
        cli.problems += [f"{label}: {problem}" for problem in problems]
    cli.seconds = time.perf_counter() - started
    cli.detail = "exit " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items()))
    return [row, cli]


# --- 3. kills -------------------------------------------------------------------------------------


def run_kills(rounds: int, folder: Path) -> list[Row]:
    row = Row("worker SIGKILLed mid-dispatch", duplicates=0, losses=0)
    rng = random.Random(int(os.environ.get("FAULTS_SEED", "20260428")))
    started = time.perf_counter()
    stranded = reconciled = kills = 0
    for n in range(rounds):
        round_folder = folder / f"kill-{n}"
        round_folder.mkdir()
        tally = dispatch_faults.kill_round(round_folder, rng, kills=1 + n % 2)
        kills += 1 + n % 2
        row.cases += 1
        row.tracebacks += tally.tracebacks
        row.duplicates = (row.duplicates or 0) + tally.duplicates
        row.losses = (row.losses or 0) + tally.losses
        stranded += tally.stranded_claims
        reconciled += tally.reconciled
        row.problems += [f"round {n}: {note}" for note in tally.notes]
        if tally.duplicates or tally.losses:
            row.problems.append(f"round {n}: {tally.duplicates} duplicates, {tally.losses} losses")
    row.seconds = time.perf_counter() - started
    row.detail = (
        f"{kills} kills; {stranded} claims left by a killed worker, "
        f"{reconciled} found already posted"
    )
    return [row]


# --- 4. outage ------------------------------------------------------------------------------------


def run_outages(refused: float, dropped: float) -> list[Row]:
    url = normalize_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    admin = dispatch_faults.admin_engine(url)
    try:
        with admin.connect():
            pass
    except Exception as error:
        skipped = Row("database outage (skipped)")
        skipped.problems.append(
            f"PostgreSQL not reachable at TEST_DATABASE_URL: {type(error).__name__}"
        )
        return [skipped]
    rows = []
    for mode, seconds in (("refuse", refused), ("drop", dropped)):
        if seconds <= 0:
            continue
        row = Row(f"database {'refused' if mode == 'refuse' else 'dropping packets'} {seconds:g} s")
        started = time.perf_counter()
        with dispatch_faults.fresh_postgres_database(admin) as database_url:
            tally = dispatch_faults.outage_run(database_url, outage=seconds, mode=mode)
        row.seconds = time.perf_counter() - started
        row.cases, row.server_errors, row.tracebacks, row.late_acks = (
            tally.cases,
            tally.server_errors,
            tally.tracebacks,
            tally.late_acks,
        )
        row.duplicates, row.losses = tally.duplicates, tally.losses
        row.problems += tally.notes
        row.detail = (
            f"{tally.failed_passes} dispatcher passes failed and were logged; "
            f"{tally.reconciled} posts found already made"
        )
        rows.append(row)
    admin.dispose()
    return rows


# --- the summary ----------------------------------------------------------------------------------


def print_summary(rows: list[Row], *, total: float) -> None:
    headers = [
        "scenario",
        "cases",
        "5xx",
        "tracebacks",
        "late acks",
        "duplicates",
        "losses",
        "failed checks",
        "seconds",
    ]
    cells = [
        [
            row.scenario,
            str(row.cases),
            str(row.server_errors),
            str(row.tracebacks),
            str(row.late_acks),
            "-" if row.duplicates is None else str(row.duplicates),
            "-" if row.losses is None else str(row.losses),
            str(len(row.problems)),
            f"{row.seconds:.1f}",
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [headers, *cells]) for i in range(len(headers))]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=False))
        ).rstrip()

    print()
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for values in cells:
        print(line(values))
    print(f"\n(all in {total:.0f} s)")
    for row in rows:
        if row.detail:
            print(f"- {row.scenario}: {row.detail}")
    for row in rows:
        if row.problems:
            print(f"\n{row.scenario}: {len(row.problems)} problems, the first few:")
            for problem in row.problems[:8]:
                print(f"  - {problem[:400]}")


def _quiet_stand_in() -> None:
    """A killed worker leaves the stand-in writing to a closed socket; socketserver would print
    that traceback on stderr. It is the stand-in's noise, not the bot's: keep it out of the way."""
    from bot.offline.standin.server import StandInHTTPServer

    original = StandInHTTPServer.handle_error

    def handle_error(self: socketserver.BaseServer, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        original(self, request, client_address)

    StandInHTTPServer.handle_error = handle_error  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the test suite's sizes")
    parser.add_argument(
        "--only", default="commands,letters,kills,outage", help="which parts, comma separated"
    )
    arguments = parser.parse_args(argv)
    sizes = QUICK if arguments.quick else FULL
    wanted = set(arguments.only.split(","))
    # The bot logs every failure it answers (that is the point): keep the summary readable.
    quiet = logging.StreamHandler()
    quiet.setLevel(logging.CRITICAL)
    logging.basicConfig(level=logging.CRITICAL, handlers=[quiet])
    _quiet_stand_in()
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ofsted-faults-") as folder:
        base = Path(folder)
        if "commands" in wanted:
            print(f"commands: {sizes['commands']} …", flush=True)
            (base / "commands").mkdir()
            rows += run_commands(int(sizes["commands"]), base / "commands")
        if "letters" in wanted:
            print(f"letters: {sizes['letters']} …", flush=True)
            (base / "letters").mkdir()
            rows += run_letters(int(sizes["letters"]), int(sizes["cli"]), base / "letters")
        if "kills" in wanted:
            print(f"kills: {sizes['kills']} rounds …", flush=True)
            (base / "kills").mkdir()
            rows += run_kills(int(sizes["kills"]), base / "kills")
        if "outage" in wanted:
            print(
                f"outage: {sizes['outage']:g} s refused, {sizes['drop']:g} s dropped …", flush=True
            )
            rows += run_outages(sizes["outage"], sizes["drop"])
    print_summary(rows, total=time.perf_counter() - started)
    clean = all(
        not row.problems and not row.server_errors and not row.tracebacks and not row.late_acks
        for row in rows
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
