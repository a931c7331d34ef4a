"""Teams' configuration read with the rest: administrators named by Teams or Entra ids, and the
Azure Bot registration's MICROSOFT_APP_* variables."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from bot.teams import teams_settings

ENTRA_ID = "8c7d0a4e-1b2c-4d3e-9f80-a1b2c3d4e5f6"


def test_teams_and_entra_ids_can_be_administrators_beside_slack_ids() -> None:
    settings = Settings.from_environ({"OFSTED_ADMINS": f"U012AB3CD, 29:1AbC-x_yZ, {ENTRA_ID}"})

    assert settings.ofsted_admins == {"U012AB3CD", "29:1AbC-x_yZ", ENTRA_ID}


def test_a_teams_display_name_is_not_an_administrator_id() -> None:
    with pytest.raises(SettingsError, match="Teams user ids such as 29:"):
        Settings.from_environ({"OFSTED_ADMINS": "Alice Officer"})


def test_the_azure_bot_registration_is_read_from_the_settings() -> None:
    settings = Settings.from_environ(
        {
            "MICROSOFT_APP_ID": ENTRA_ID,
            "MICROSOFT_APP_PASSWORD": "secret",
            "MICROSOFT_APP_TENANT_ID": "tenant-1",
        }
    )

    teams = teams_settings(settings)

    assert teams.authenticated
    assert (teams.microsoft_app_id, teams.microsoft_app_tenant_id) == (ENTRA_ID, "tenant-1")
    assert not teams_settings(Settings.from_environ({})).authenticated
