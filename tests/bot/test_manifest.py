"""The Slack app manifest declares what the code uses: a mismatch is an app that half works."""

from importlib import resources

import yaml

MANIFEST = yaml.safe_load((resources.files("bot") / "manifest.yml").read_text())


def test_the_slash_command_interactivity_and_home_tab_are_declared():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/ofsted"
    assert command["url"].endswith("/slack/events")
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_every_event_the_bot_listens_to_is_subscribed():
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "message.channels", "message.groups", "message.im"} <= events


def test_the_scopes_cover_the_web_api_methods_the_bot_calls():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    needed = {
        "commands",  # /ofsted
        "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
        "files:read",  # shared letters, the letter modal's file input
        "files:write",  # files.getUploadURLExternal / completeUploadExternal for exports
        "im:write",  # conversations.open for direct messages
        "channels:history",  # message events in public channels
        "groups:history",
        "im:history",
    }
    assert needed <= scopes
