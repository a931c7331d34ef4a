"""Every answer reads as one plain sentence (issue 11's list of doubled wording)."""

from __future__ import annotations

import pytest

from handlers.core.commandline import parse_command
from handlers.core.errors import UserError
from handlers.core.letters import facts_from_document, facts_from_text
from handlers.slack import blocks
from tests.handlers.conftest import all_text


def answer_to(call) -> str:
    with pytest.raises(UserError) as raised:
        call()
    return raised.value.message


def test_an_empty_file_is_said_once():
    said = answer_to(lambda: facts_from_document(b"", filename="empty.txt"))
    assert said == "I could not use that file: empty.txt is empty."


def test_not_a_letter_is_said_once():
    said = answer_to(lambda: facts_from_text("A recipe for scones: flour, butter, milk."))
    assert said.count("does not look like an Ofsted letter") == 1
    assert said.startswith("That does not look like an Ofsted letter: I found no mention of")


def test_a_hint_suggests_the_whole_reference():
    said = answer_to(lambda: parse_command("show st helens 2106"))
    assert "`/ofsted show st-helens-2106`" in said


class _Milestone:
    id = 7
    kind = "action_plan"
    label = "Action plan"
    due_date = None
    owner_user_id = None
    status = "open"
    source = "rule"
    evidence = None
    needs_approval = True
    approval_status = "requested"
    estimate = False


class _Visit:
    id = 1
    reference = "ashby-2106"
    local_authority = "Ashby"
    visit_type = "focused_visit"


def test_form_labels_do_not_say_optional_twice():
    done = all_text(blocks.done_modal(milestone=_Milestone(), visit=_Visit(), origin={})["blocks"])
    sign_off = blocks.sign_off_modal(
        milestone=_Milestone(), visit=_Visit(), decision=None, origin={}
    )
    labels = [b["label"]["text"] for b in sign_off["blocks"] if b.get("type") == "input"]
    assert "(optional)" not in done
    assert "Reason" in labels and not any("(" in label for label in labels)


def test_a_refused_attempt_reads_as_a_sentence():
    from datetime import UTC, datetime

    class Event:
        actor_user_id = "U1"
        action = "approval_approved"
        outcome = "refused"
        note = None
        at = datetime(2021, 6, 23, 9, tzinfo=UTC)

    (line,) = blocks.history_lines([Event()])
    assert line.startswith("<@U1> tried to approve it and was refused")
