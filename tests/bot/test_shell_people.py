"""The shell's clock and database said, `later` checked, exports saved, and `as <person>`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from bot.offline.shell import run_shell
from tests.bot.test_shell import CONSOLE_SCRIPT, EXAMPLE, shell, steps


def test_plain_shell_says_its_clock_and_database(tmp_path):
    out = io.StringIO()
    status = run_shell(
        input_lines=["quit"],
        out=out,
        database_url=f"sqlite:///{tmp_path / 'mine.db'}",
        environ={},
    )
    assert status == 0
    shown = out.getvalue()
    assert "The bot's clock is this computer's:" in shown
    assert f"Database: sqlite:///{tmp_path / 'mine.db'}" in shown


def test_demo_told_which_database_keeps_it(tmp_path):
    out = io.StringIO()
    status = run_shell(
        input_lines=["quit"],
        out=out,
        demo=True,
        database_url=f"sqlite:///{tmp_path / 'kept.db'}",
        environ={},
    )
    assert status == 0
    assert (tmp_path / "kept.db").exists()
    assert "thrown away" not in out.getvalue()


def test_later_refuses_what_is_not_a_positive_whole_number(tmp_path):
    status, output = shell(tmp_path, "later abc", "later -2", "later 0", "later 1.5", "quit")
    assert status == 0
    shown = steps(output)
    for typed in ("abc", "-2", "0", "1.5"):
        said = shown[f"later {typed}"]
        assert "later takes a whole number of working days, 1 or more" in said
        assert f"(not '{typed}')" in said and "the clock did not move" in said
        assert "The bot's clock is now" not in said


def test_an_export_is_saved_under_exports_with_its_path_printed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, output = shell(
        tmp_path, f"share {EXAMPLE}", "press 1", "/ofsted export saxonford-2604 csv", "quit"
    )
    assert status == 0
    exported = steps(output)["/ofsted export saxonford-2604 csv"]
    saved = list((tmp_path / "exports").glob("ofsted-saxonford-2604-audit-*.csv"))
    assert len(saved) == 1
    assert f"Saved {saved[0].name} to exports/{saved[0].name}." in exported
    assert saved[0].read_text().startswith("time (London),visit,milestone,who")


def test_as_acts_as_another_member_for_one_command_or_until_told(tmp_path):
    status, output = shell(
        tmp_path,
        "as Priya /ofsted list",
        "as Dana",
        "/ofsted list",
        "as me",
        "as nobody",
        "quit",
    )
    assert status == 0
    shown = steps(output)
    assert "No open visits" in shown["as Priya /ofsted list"]
    assert "You are now acting as Dana Clarke (U02DCS)." in shown["as Dana"]
    assert "You are now acting as You (U0SHELLUSER)." in shown["as me"]
    assert "as whom? Name a member (Dana, Lee, Priya, Sam, You)" in shown["as nobody"]


def test_letter_json_into_a_closed_pipe_ends_quietly():
    command = (
        [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "bot.cli"]
    )
    result = subprocess.run(
        " ".join([*command, "letter", "--example", "--json", "|", "head", "-1"]),
        shell=True,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent,
    )
    assert result.stdout == "{\n"
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr


def test_as_lets_the_officer_try_an_approval_from_the_approvers_direct_message(tmp_path):
    status, output = shell(
        tmp_path,
        f"share {EXAMPLE}",
        "press 1",
        "/ofsted settings saxonford-2604",
        "",
        "",
        "",
        "Dana",
        "",
        "press 12",  # Request sign-off, on the reminder asking for the complaint decision
        "as Dana press 20",  # Approve, in the direct message Dana was sent
        "quit",
    )
    assert status == 0
    shown = steps(output)
    requested = shown["press 12"]
    assert "ofsted-bot in a DM to Dana Clarke:" in requested
    assert "[20] Approve   [21] Reject" in requested.split("in a DM to Dana Clarke:")[1]
    approved = shown["as Dana press 20"]
    assert "Sign-off approved by @Dana Clarke." in approved
    assert "✅ @Dana Clarke approved *Complaint window closes* (`saxonford-2604`)." in approved
