"""Settings, read once from an environment that can be passed in; nothing else reads os.environ."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scheduler.rules import reminder_offsets_from, reminder_time_from

DEFAULT_DATABASE_URL = "sqlite:///ofsted-bot.db"
SLACK_API_URL = "https://slack.com/api/"
# Where Slack keeps shared files (url_private, url_private_download).
SLACK_FILES_URL = "https://files.slack.com"
# Who may be named in OFSTED_ADMINS: a Slack user id, a Teams user id, a Microsoft Entra object id.
ADMIN_ID = re.compile(
    r"[UW][A-Z0-9]{2,}|29:[A-Za-z0-9_-]+|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
)


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable and what it should be."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    reminder_time: time = time(9, 0)
    reminder_offsets: tuple[int, ...] = (5, 2, 1, 0)
    dispatch_interval: float = Field(default=30.0, gt=0)
    # Working days overdue after which the daily overdue reminder goes to the escalation contact.
    escalate_after: int = Field(default=3, ge=1)
    # How long a claimed reminder may stay unconfirmed before another dispatcher checks the
    # channel for it and, if it is not there, posts it.
    dispatch_lease: float = Field(default=120.0, gt=0)
    # The bot's administrators, who see and manage every visit of their workspace or tenant:
    # Slack user ids, Teams user ids (29:…) or Microsoft Entra object ids.
    ofsted_admins: frozenset[str] = frozenset()
    # Letters from a mailbox (README "Letters from a mailbox"; bot/mailbox.py reads these).
    mailbox_url: str | None = None
    mailbox_password: str | None = None
    mailbox_interval: float = Field(default=60.0, gt=0)
    mailbox_senders: str = "*@ofsted.gov.uk"
    mailbox_channel: str | None = None
    mailbox_done_folder: str = "Processed"
    mailbox_lease: float = Field(default=120.0, gt=0)
    mailbox_ca_file: str | None = None
    # The Microsoft Entra app: the Azure Bot registration for Teams (README, 'Connect to Teams';
    # without an app id the Teams endpoint takes unauthenticated activities from this machine
    # only) and, with the same app, a Microsoft 365 mailbox through Graph.
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    # A PEM/PFX certificate file instead of the password.
    microsoft_app_certificate: str | None = None
    microsoft_graph_url: str = "https://graph.microsoft.com/v1.0"
    microsoft_login_url: str = "https://login.microsoftonline.com"

    @field_validator("ofsted_admins", mode="before")
    @classmethod
    def _parse_admins(cls, value: object) -> object:
        if isinstance(value, str):
            ids = [part.strip() for part in value.split(",") if part.strip()]
            wrong = [part for part in ids if not ADMIN_ID.fullmatch(part)]
            if wrong:
                raise ValueError(
                    "must be Slack user ids such as U012AB3CD, Teams user ids such as 29:1AbC…, "
                    "or Microsoft Entra object ids (a GUID), separated by commas, "
                    f"not {wrong[0]!r}"
                )
            return frozenset(ids)
        return value

    @field_validator("reminder_time", mode="before")
    @classmethod
    def _parse_time(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return reminder_time_from(value)
            except ValueError:
                raise ValueError("must be a 24-hour time such as 09:00") from None
        return value

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _parse_offsets(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return reminder_offsets_from(value)
            except ValueError:
                raise ValueError(
                    "must be working days before the due date, such as 5,2,1,0"
                ) from None
        return value

    @property
    def file_origins(self) -> tuple[str, ...]:
        """Where a shared file may be downloaded with the bot token: Slack's file host and the
        Web API's own host (Slack's, or a stand-in's in the tests and the offline shell)."""
        api = urlsplit(self.slack_api_url)
        return (SLACK_FILES_URL, f"{api.scheme}://{api.netloc}")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values = {
            name: environ[name.upper()]
            for name in cls.model_fields
            if environ.get(name.upper(), "").strip()
        }
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc']).upper()} "
                f"{issue['msg'].removeprefix('Value error, ')}"
                for issue in error.errors()
            )
            raise SettingsError(problems) from None
