"""Bot Framework activities over HTTP to /api/messages; the connector stand-in records replies."""

from __future__ import annotations

from pathlib import Path

from bot.offline.connector import ConnectorStandIn
from handlers.slack.blocks import HELP_TEXT
from tests.teams.conftest import CHANNEL, ENTRA_TOKEN, TeamsBotUnderTest

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "bot"
    / "examples"
    / "focused-visit-final-report-cover.txt"
)


def test_help_in_a_personal_chat_gives_the_slash_commands_help(
    teams_bot: TeamsBotUnderTest,
) -> None:
    [reply] = teams_bot.say("help")

    assert reply.method == "POST"
    assert reply.conversation_id == "a:personal-alice"
    for line in HELP_TEXT.splitlines()[1:-1]:
        command = line.split("`")[1].removeprefix("/ofsted ")
        assert f"`{command}`" in reply.text
    assert "/ofsted" not in reply.text


def test_help_after_an_at_mention_in_a_channel(teams_bot: TeamsBotUnderTest) -> None:
    [reply] = teams_bot.say(
        "<at>ofsted-bot</at> help",
        conversation_id=f"{CHANNEL};messageid=1700000000000",
        conversation_type="channel",
    )

    assert reply.conversation_id.startswith(CHANNEL)
    assert "`show <visit>`" in reply.text


def test_a_mistyped_command_gets_the_slash_commands_answer_in_teams_words(
    teams_bot: TeamsBotUnderTest,
) -> None:
    [reply] = teams_bot.say("show")

    assert "Which visit? Use `show <visit>`" in reply.text


def test_an_unsigned_activity_is_refused_when_credentials_are_set(
    signed_teams_bot: TeamsBotUnderTest, connector: ConnectorStandIn
) -> None:
    status, _ = signed_teams_bot.send(connector.activity(text="help"))

    assert status == 401
    assert connector.calls() == []


def test_a_token_signed_by_another_key_is_refused(
    signed_teams_bot: TeamsBotUnderTest, connector: ConnectorStandIn
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    status, _ = signed_teams_bot.send(
        connector.activity(text="help"), token=connector.token(key=other)
    )

    assert status == 401
    assert connector.calls() == []


def test_a_token_for_another_app_is_refused(
    signed_teams_bot: TeamsBotUnderTest, connector: ConnectorStandIn
) -> None:
    status, _ = signed_teams_bot.send(
        connector.activity(text="help"), token=connector.token(audience="another-app")
    )

    assert status == 401


def test_a_signed_activity_is_answered_with_the_bots_own_token(
    signed_teams_bot: TeamsBotUnderTest, connector: ConnectorStandIn
) -> None:
    status, _ = signed_teams_bot.send(connector.activity(text="help"), token=connector.token())

    assert status in (200, 202)
    [reply] = connector.wait_for(1)
    assert "`list`" in reply.text
    assert reply.authorization == f"Bearer {ENTRA_TOKEN}"
