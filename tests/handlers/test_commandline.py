import pytest

from handlers.core.commandline import Command, parse_command
from handlers.core.errors import UserError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("help")),
        ("   ", Command("help")),
        ("help", Command("help")),
        ("LIST", Command("list")),
        ("letter", Command("letter")),
        ("new", Command("new")),
        ("show st-helens-2106", Command("show", visit="st-helens-2106")),
        ("show  ST-HELENS-2106 ", Command("show", visit="st-helens-2106")),
        (
            "export st-helens-2106 CSV",
            Command("export", visit="st-helens-2106", export_format="csv"),
        ),
        (
            "export st-helens-2106 ics",
            Command("export", visit="st-helens-2106", export_format="ics"),
        ),
        ("settings st-helens-2106", Command("settings", visit="st-helens-2106")),
        ("close st-helens-2106", Command("close", visit="st-helens-2106")),
    ],
    ids=repr,
)
def test_commands_people_type(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("delete everything", "I don't know `/ofsted delete`"),
        ("`rm -rf`", "I don't know `/ofsted 'rm`"),
        ("x" * 500, "…"),
        ("show", "Which visit?"),
        ("close", "`/ofsted close <visit>`"),
        ("export", "`/ofsted export <visit> csv`"),
        ("export a", "Say which export"),
        ("export a pdf", "Say which export"),
        ("show a b", "takes one visit reference"),
        ("help me", "takes nothing after it"),
    ],
    ids=repr,
)
def test_malformed_commands_say_what_to_type(text, message):
    with pytest.raises(UserError) as refused:
        parse_command(text)
    assert message in refused.value.message
