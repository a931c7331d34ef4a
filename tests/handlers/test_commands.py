"""`/ofsted` commands, sent as Slack sends them, answered as a council officer would see."""

import pytest

from tests.handlers.conftest import all_text


def test_help_lists_every_command(bot):
    for text in ("", "help", "HELP"):
        response, before = bot.command(text)
        assert response.within_ack_deadline
        answer = bot.next_response(before)
        shown = all_text(answer.blocks)
        for command in (
            "/ofsted letter",
            "/ofsted new",
            "/ofsted list",
            "/ofsted show",
            "/ofsted export",
            "/ofsted settings",
            "/ofsted close",
        ):
            assert command in shown
        assert answer.response_type == "ephemeral"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("frobnicate", "I don't know `/ofsted frobnicate`"),
        ("show", "Which visit?"),
        ("export st-helens-2106", "Say which export"),
        ("export st-helens-2106 pdf", "Say which export"),
        ("list everything", "`/ofsted list closed` the closed ones"),
        ("show nowhere-9999", "I have no visit called `nowhere-9999`"),
        ("close nowhere-9999", "I have no visit called"),
    ],
)
def test_a_malformed_command_gets_a_clear_answer_and_changes_nothing(bot, text, expected):
    response, before = bot.command(text)
    assert response.status == 200
    answer = bot.next_response(before)
    assert expected in answer.text
    assert answer.response_type == "ephemeral"
    assert "Traceback" not in answer.text
    assert bot.visits() == [] and bot.audit() == []
