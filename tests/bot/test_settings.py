"""Settings read once from the environment: the administrators."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("value", "admins"),
    [
        ("", frozenset()),
        ("U012AB3CD", frozenset({"U012AB3CD"})),
        (" U01A, W02B ,", frozenset({"U01A", "W02B"})),
    ],
    ids=["none", "one", "several-with-spaces"],
)
def test_administrators_are_read_once_from_ofsted_admins(
    value: str, admins: frozenset[str]
) -> None:
    assert Settings.from_environ({"OFSTED_ADMINS": value}).ofsted_admins == admins


def test_an_administrator_that_is_not_a_user_id_is_a_clear_configuration_error() -> None:
    with pytest.raises(SettingsError, match="OFSTED_ADMINS must be Slack user ids"):
        Settings.from_environ({"OFSTED_ADMINS": "U012AB3CD, @dana"})
