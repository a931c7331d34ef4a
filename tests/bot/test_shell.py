"""`ofsted-bot shell`: the real bot driven from a terminal through the Slack stand-in.

Sessions run in-process with scripted lines and captured output, each on its own SQLite file;
one runs as a user runs it, `ofsted-bot shell --demo` with stdin closed.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.offline.shell import (
    PROMPT,
    EndOfInput,
    FieldProblem,
    Line,
    Output,
    choose_option,
    find_person,
    mrkdwn_to_text,
    parse_date_answer,
    render_blocks,
    run_shell,
    started_shell,
)

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
)
CONSOLE_SCRIPT = Path(sys.executable).with_name("ofsted-bot")
DAY_AFTER_EXAMPLE = "2026-04-29"  # the example letter is dated Tuesday 28 April 2026


def shell(tmp_path, *lines, day=DAY_AFTER_EXAMPLE, environ=None):
    """Run a whole session; its exit status and everything it printed."""
    out = io.StringIO()
    status = run_shell(
        input_lines=list(lines),
        out=out,
        day=day,
        database_url=f"sqlite:///{tmp_path / 'shell.db'}",
        environ={} if environ is None else environ,
    )
    return status, out.getvalue()


def steps(output):
    """The output after each command typed at the prompt, keyed by the command."""
    parts = output.split("\n" + PROMPT)
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


@pytest.fixture(autouse=True)
def _no_threads_left_behind():
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == [], f"threads still running: {[t.name for t in left]}"


# --- A letter, start to finish ----------------------------------------------------------------


def test_a_shared_letter_is_previewed_made_a_visit_and_listed(tmp_path):
    status, output = shell(
        tmp_path, f"share {EXAMPLE}", "press 1", "/ofsted list", "press 2", "quit"
    )
    assert status == 0
    shown = steps(output)

    preview = shown[f"share {EXAMPLE}"]
    assert "You shared focused-visit-final-report-cover.txt in #ofsted-visits." in preview
    assert "ofsted-bot in a thread in #ofsted-visits:" in preview
    assert "Letter read: Saxonford: focused visit" in preview
    assert "*Complaint window closes*: due Wednesday 6 May 2026 (4 working days left)" in preview
    assert (
        "│ A complaint will only be considered if it reaches us by the end of the fifth working day"
        in preview
    )
    assert "[1] Create visit   [2] Edit dates   [3] Dismiss" in preview

    created = shown["press 1"]
    assert "You pressed “Create visit”." in created
    assert "ofsted-bot updated its message in a thread in #ofsted-visits:" in created
    assert "@You created visit `saxonford-2604` from this letter." in created
    assert "ofsted-bot in #ofsted-visits:\n  Saxonford: focused visit" in created
    assert "Complaint window closes*: due Wednesday 6 May 2026" in created

    listed = shown["/ofsted list"]
    assert "only you can see this" in listed
    assert "Open visits (1)" in listed and "`saxonford-2604`" in listed

    # The preview lost its buttons when the visit was created, as it did in Slack.
    assert "! Button 2 is gone: its message was updated since." in shown["press 2"]
    assert "Traceback" not in output


def test_an_unknown_subcommand_shows_the_bots_answer(tmp_path):
    status, output = shell(
        tmp_path, "/ofsted frobnicate", environ={"SLACK_BOT_TOKEN": "xoxb-real-one"}
    )
    assert status == 0
    assert "Slack settings in the environment (SLACK_BOT_TOKEN) are ignored here." in output
    answer = steps(output)["/ofsted frobnicate"]
    assert "ofsted-bot (only you can see this, in #ofsted-visits):" in answer
    assert "❌ I don't know `/ofsted frobnicate`. Try `/ofsted help` for what I can do." in answer
    assert "will be unused" not in output


def test_the_home_tab_is_rendered_with_its_sections(tmp_path):
    status, output = shell(tmp_path, f"share {EXAMPLE}", "1", "home")
    assert status == 0
    home = steps(output)["home"]
    assert "ofsted-bot: your Home tab" in home
    for heading in (
        "Ofsted deadlines",
        "As of Wednesday 29 April 2026",
        "*Waiting on you* (0)",
        "*Overdue* (0)",
        "*Due in the next 30 days* (2)",
        "─" * 40,
    ):
        assert heading in home
    assert "Saxonford: focused visit · `saxonford-2604`" in home


def test_a_missing_file_is_one_line_and_the_prompt_goes_on(tmp_path):
    status, output = shell(tmp_path, "share nowhere/letter.pdf", "press 7", "fly", "/ofsted help")
    assert status == 0
    shown = steps(output)
    assert shown["share nowhere/letter.pdf"].strip().splitlines()[1:] == [
        "! share: no such file: nowhere/letter.pdf"
    ]
    assert "! There is no button 7 (buttons shown so far: none yet)." in shown["press 7"]
    assert "! I don't know 'fly'. Type help for what you can do." in shown["fly"]
    assert "`/ofsted list`: open visits and what is next" in shown["/ofsted help"]
    assert "Traceback" not in output


def test_help_quit_and_a_bad_date(tmp_path, capsys):
    status, output = shell(tmp_path, "help", "exit", "/ofsted list")
    assert status == 0
    assert "press N, or N" in output and "/ofsted list" not in steps(output)
    assert shell(tmp_path, day="29/04/2026")[0] == 2
    assert "--date wants a day as YYYY-MM-DD" in capsys.readouterr().err


# --- Modals ------------------------------------------------------------------------------------


class Officer:
    """Answers the shell's questions: commands at the prompt, form fields by their label."""

    def __init__(self, output, commands, fields):
        self.output, self.commands, self.fields = (
            output,
            list(commands),
            {k: list(v) for k, v in fields.items()},
        )

    def __call__(self, prompt):
        if prompt == PROMPT:
            if not self.commands:
                raise EndOfInput
            answer = self.commands.pop(0)
        else:
            label = next(
                (k for k in self.fields if prompt.strip().startswith(k) and self.fields[k]), None
            )
            answer = self.fields[label].pop(0) if label else ""
        self.output.say(prompt + answer)
        return answer


def session_output(tmp_path, commands, fields):
    out = io.StringIO()
    output = Output(out)
    officer = Officer(output, commands, fields)
    with started_shell(
        output=output,
        ask=officer,
        day=None,
        database_url=f"sqlite:///{tmp_path / 'shell.db'}",
        environ={},
    ) as session:
        session.run()
    return out.getvalue(), officer


def test_the_new_visit_modal_shows_a_field_error_then_creates_the_visit(tmp_path):
    output, officer = session_output(
        tmp_path,
        ["/ofsted new", "/ofsted list"],
        {
            "Local authority": ["Fernleigh"],
            "Kind of visit": ["2"],
            "Letter date": ["20 May 2026"],
            "First day of the visit": ["2026-05-12"],
            "Last day of the visit": ["11 May 2026", "2026-05-13"],
            "Complaint window closes": ["2026-05-28"],
            "Approvers": ["Dana Clarke, U03HEADOFSERVICE"],
        },
    )
    assert "ofsted-bot opened a form: New visit" in output
    assert "    1. Focused visit\n    2. Monitoring visit" in output
    assert "  Channel for reminders [#ofsted-visits]: " in output
    refused = output.index("New visit was not saved:")
    assert (
        "✗ Last day of the visit: The last day is before the first (Tuesday 12 May 2026)."
        in output[refused:]
    )
    # Only the refused field is asked again, showing what was entered.
    assert "Last day of the visit (optional) [Monday 11 May 2026]: 2026-05-13" in output[refused:]
    assert "Local authority" not in output[refused:]
    assert "You submitted “New visit”." in output
    assert "New visit by @You" not in output  # the text is the notification; the blocks are shown
    assert "Fernleigh: monitoring visit" in output
    assert "Complaint window closes*: due Thursday 28 May 2026" in output
    assert "`fernleigh-2605`" in output.split(PROMPT + "/ofsted list")[1]
    assert all(not answers for answers in officer.fields.values())


def test_cancel_closes_a_modal_without_submitting(tmp_path):
    output, _ = session_output(
        tmp_path, ["/ofsted new", "/ofsted list"], {"Local authority": ["cancel"]}
    )
    assert "You closed “New visit” without submitting it." in output
    assert "No open visits." in output.split(PROMPT + "/ofsted list")[1]


def test_the_letter_modal_takes_a_local_file_and_previews_in_a_direct_message(tmp_path):
    output, _ = session_output(tmp_path, ["/ofsted letter"], {"Letter file": [str(EXAMPLE)]})
    assert "ofsted-bot opened a form: Read a letter" in output
    assert "Or paste the letter's text (optional): " in output
    assert "ofsted-bot in your DM:" in output
    assert "Letter read: Saxonford: focused visit" in output


# --- Reading answers and rendering blocks (pure) -----------------------------------------------


def test_answers_to_form_fields():
    assert parse_date_answer("2021-06-29").isoformat() == "2021-06-29"
    assert parse_date_answer("29 June 2021").isoformat() == "2021-06-29"
    assert parse_date_answer("Tuesday 29 June 2021").isoformat() == "2021-06-29"
    with pytest.raises(FieldProblem, match="is a Tuesday"):
        parse_date_answer("Monday 29 June 2021")
    with pytest.raises(FieldProblem, match="not one date"):
        parse_date_answer("next week")
    options = [{"text": {"type": "plain_text", "text": "Focused visit"}, "value": "focused_visit"}]
    assert choose_option("1", options) == choose_option("focused visit", options) == "focused_visit"
    with pytest.raises(FieldProblem):
        choose_option("2", options)
    people = {"U02DCS": "Dana Clarke", "U0SHELLUSER": "You"}
    assert find_person("Dana", people, known_id=lambda _: False) == "U02DCS"
    assert find_person("dana.clarke", people, known_id=lambda _: False) == "U02DCS"
    assert find_person("U09OTHER", people, known_id=lambda _: True) == "U09OTHER"
    with pytest.raises(FieldProblem, match="No one called Zed"):
        find_person("Zed", people, known_id=lambda _: False)


def _plain(text):
    return {"type": "plain_text", "text": text}


def _mrkdwn(text):
    return {"type": "mrkdwn", "text": text}


def _button(text, action_id):
    return {"type": "button", "text": _plain(text), "action_id": action_id, "value": "1"}


RENDERED = [
    ([{"type": "header", "text": _plain("Letter read")}], [Line("Letter read", "header")]),
    (
        [{"type": "section", "text": _mrkdwn("*Due* Friday, owner <@U02DCS> in <#C01VISITS>")}],
        [Line("*Due* Friday, owner @Dana Clarke in #ofsted-visits")],
    ),
    (
        [{"type": "section", "text": _mrkdwn("<@U09GONE|gone> and <#C09|old-name> and <!here>")}],
        [Line("@gone and #old-name and @here")],
    ),
    (
        [
            {
                "type": "section",
                "text": _mrkdwn("x\n> they remain under embargo &amp; &lt;private&gt;"),
            }
        ],
        [Line("x"), Line("│ they remain under embargo & <private>")],
    ),
    (
        [
            {
                "type": "section",
                "text": _mrkdwn(":white_check_mark: see <https://ofsted.gov.uk|the report>"),
            }
        ],
        [Line("✅ see the report (https://ofsted.gov.uk)")],
    ),
    (
        [{"type": "context", "elements": [_mrkdwn("letter 28 April"), _plain("2 inspectors")]}],
        [Line("letter 28 April  2 inspectors", "context")],
    ),
    ([{"type": "divider"}], [Line("─" * 40, "rule")]),
    (
        [
            {
                "type": "actions",
                "block_id": "d",
                "elements": [_button("Create visit", "c"), _button("Dismiss", "x")],
            }
        ],
        [Line("[1] Create visit   [2] Dismiss", "controls")],
    ),
    (
        [
            {"type": "section", "text": _mrkdwn("a"), "accessory": _button("Show", "s")},
            {
                "type": "section",
                "fields": [_mrkdwn("*Due*"), _plain("Friday")],
                "accessory": {"type": "overflow", "action_id": "m", "options": []},
            },
        ],
        [
            Line("a"),
            Line("[1] Show", "controls"),
            Line("*Due*"),
            Line("Friday"),
            Line("[2] ⋯ More", "controls"),
        ],
    ),
    (
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "users_select",
                        "action_id": "u",
                        "placeholder": _plain("Assign owner"),
                    },
                    {
                        "type": "static_select",
                        "action_id": "k",
                        "options": [],
                        "initial_option": {"text": _plain("Focused"), "value": "f"},
                    },
                    {"type": "datepicker", "action_id": "d", "initial_date": "2026-05-06"},
                ],
            }
        ],
        [Line("[1] Assign owner ▾   [2] Focused ▾   [3] 2026-05-06 ▾", "controls")],
    ),
    (
        [{"type": "image", "image_url": "https://x", "alt_text": "logo"}, {"type": "video"}],
        [Line("[image: logo]", "context"), Line("[video block]", "context")],
    ),
]


@pytest.mark.parametrize(
    ("blocks", "lines"),
    RENDERED,
    ids=[
        "header",
        "mentions",
        "unknown-mentions",
        "quote-and-escapes",
        "emoji-and-link",
        "context",
        "divider",
        "actions",
        "accessories-and-fields",
        "selects",
        "other-blocks",
    ],
)
def test_render_blocks(blocks, lines):
    names = {"U02DCS": "Dana Clarke"}.get
    channels = {"C01VISITS": "ofsted-visits"}.get
    rendered = render_blocks(blocks, user_name=names, channel_name=channels)
    assert list(rendered.lines) == lines
    assert [c.number for c in rendered.controls] == list(range(1, len(rendered.controls) + 1))


def test_buttons_are_numbered_on_from_those_already_shown():
    blocks = [
        {
            "type": "actions",
            "block_id": "b",
            "elements": [_button("Approve", "a"), _button("Reject", "r")],
        }
    ]
    rendered = render_blocks(blocks, first_number=8)
    assert rendered.text == "[8] Approve   [9] Reject"
    assert [(c.number, c.action_id, c.block_id, c.label) for c in rendered.controls] == [
        (8, "a", "b", "Approve"),
        (9, "r", "b", "Reject"),
    ]


def test_mrkdwn_keeps_bold_and_code():
    assert mrkdwn_to_text("*Saxonford* · `saxonford-2604`") == "*Saxonford* · `saxonford-2604`"


# --- As a user runs it -------------------------------------------------------------------------


def test_the_demo_runs_to_the_end_with_stdin_closed(tmp_path):
    command = (
        [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "bot.cli"]
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    environ["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    result = subprocess.run(
        [*command, "shell", "--demo"],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=environ,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b[" not in result.stdout  # no colour codes in a pipe
    shown = result.stdout
    assert "Nothing leaves this machine" in shown
    assert (
        f"{PROMPT}share " in shown
        and f"{PROMPT}press 1" in shown
        and f"{PROMPT}/ofsted list" in shown
    )
    timeline = shown.split(f"{PROMPT}press 1")[1].split(f"{PROMPT}/ofsted list")[0]
    assert "Saxonford: focused visit" in timeline
    assert "Complaint window closes*: due Wednesday 6 May 2026 (4 working days left)" in timeline
    assert "saxonford-2604" in shown.split(f"{PROMPT}/ofsted list")[1]
    # The tour's council goes into a database of its own, thrown away: not the one `serve` uses.
    assert "a database of its own, thrown away when you leave" in shown
    assert not (tmp_path / "demo.db").exists() and not (tmp_path / "ofsted-bot.db").exists()


def test_later_moves_the_clock_and_the_dispatcher_posts_the_reminders_then_due(tmp_path):
    status, output = shell(tmp_path, f"share {EXAMPLE}", "press 1", "later 5", "later", "quit")
    assert status == 0
    shown = steps(output)
    # Thursday 7 May 2026: the complaint window (Wednesday 6 May) closed yesterday, and the
    # reminders missed while the clock jumped are one post, not a pile.
    jumped = shown["later 5"]
    assert "The bot's clock is now Thursday 7 May 2026" in jumped
    assert jumped.count("Complaint window closes*") == 1
    # A decision window is never overdue: it closes, once, saying what was decided.
    assert "Closed: *Complaint window closes*" in jumped and "no decision was recorded" in jumped
    assert "Coming up: *Embargo lifts (publication)*" in jumped and "2 working days left" in jumped
    # The next working day, Friday 8 May, nothing more is said of it.
    assert "Complaint window" not in shown["later"]
    assert "Embargo lifts" in shown["later"] and "1 working day left" in shown["later"]
