"""The Teams parts of the command line: `ofsted-bot serve --teams` and `ofsted-bot teams-package`.

The app package is what a Teams administrator uploads (Teams admin centre → Manage apps →
Upload): a zip of the manifest (schema 1.17) and its two icons, the 192-pixel colour one and the
32-pixel white outline, drawn here so that no binary file has to be kept in the repository.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine

    from bot.settings import Settings
    from handlers.teams.auth import TeamsSettings
    from scheduler.dispatcher import Poster

MANIFEST_VERSION = "1.17"
MANIFEST_SCHEMA = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = (0x1D, 0x4F, 0x91)
BOT_SCOPES = ["personal", "team", "groupChat"]
# The commands Teams offers as you type to the bot: the slash command's, in its words.
COMMANDS = [
    ("help", "What I can do"),
    ("letter", "Read a letter (attach it or paste it) and check its dates"),
    ("new", "Enter a visit by hand"),
    ("list", "Open visits and what is next"),
    ("show", "A visit's timeline: show <visit>"),
    ("export", "The audit trail or the dates for Outlook: export <visit> csv|ics"),
    ("settings", "Channel, reminder time and days, approvers: settings <visit>"),
    ("close", "Close a visit when everything is done: close <visit>"),
    ("reopen", "Reopen a closed visit: reopen <visit>"),
    ("add", "Add a date of your own to a visit: add <visit>"),
]
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def add_commands(commands: Any, *, serve: argparse.ArgumentParser) -> None:
    """Add `--teams` to `serve`, and the `teams-package` command."""
    serve.add_argument(
        "--teams",
        action="store_true",
        help="serve the Microsoft Teams endpoint, POST /api/messages (README: 'Connect to Teams')",
    )
    package = commands.add_parser(
        "teams-package",
        help="write the Teams app package (manifest and icons) for an administrator to upload",
        description="Write the Microsoft Teams app package: manifest.json (schema 1.17) and its "
        "two icons in a zip. The bot's id is MICROSOFT_APP_ID unless --app-id is given.",
    )
    package.add_argument(
        "--app-id", help="the Azure Bot's Microsoft App ID (default MICROSOFT_APP_ID)"
    )
    package.add_argument(
        "--domain", default="ofsted-bot.example.org", help="the host that serves /api/messages"
    )
    package.add_argument(
        "--version", default="1.0.0", help="the package's version (raise it to update)"
    )
    package.add_argument(
        "--output", type=Path, default=Path("ofsted-bot-teams.zip"), help="where to write the zip"
    )
    package.set_defaults(run=run_teams_package)


def run_teams_package(arguments: argparse.Namespace) -> int:
    from bot.settings import Settings, SettingsError

    try:
        app_id = arguments.app_id or Settings.from_environ().microsoft_app_id or ""
    except SettingsError as error:
        print(f"ofsted-bot: configuration: {error}", flush=True)
        return 2
    if not _GUID.fullmatch(app_id or ""):
        print(
            "ofsted-bot: the package needs the Azure Bot's Microsoft App ID (a GUID): set "
            "MICROSOFT_APP_ID or pass --app-id. See README.md, 'Connect to Teams'.",
            flush=True,
        )
        return 2
    write_package(
        arguments.output, app_id=app_id, domain=arguments.domain, version=arguments.version
    )
    print(f"wrote {arguments.output}: upload it in the Teams admin centre (Manage apps → Upload)")
    return 0


def manifest(*, app_id: str, domain: str, version: str = "1.0.0") -> dict[str, Any]:
    site = f"https://{domain}"
    commands = [{"title": title, "description": description} for title, description in COMMANDS]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": "ofsted-bot",
            "websiteUrl": site,
            "privacyUrl": f"{site}/privacy",
            "termsOfUseUrl": f"{site}/terms",
        },
        "name": {
            "short": "ofsted-bot",
            "full": "ofsted-bot: Ofsted deadlines for children's services",
        },
        "description": {
            "short": "Never miss a date after an Ofsted inspection or visit.",
            "full": (
                "Reads Ofsted's letters, counts the working days to each deadline (complaints, "
                "factual accuracy, embargo, survey, action plan), reminds the team in its channel, "
                "and keeps the record: who acknowledged, did and signed off what, and when."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": BOT_SCOPES,
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": BOT_SCOPES, "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain],
    }


def write_package(path: Path, *, app_id: str, domain: str, version: str = "1.0.0") -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "manifest.json",
            json.dumps(manifest(app_id=app_id, domain=domain, version=version), indent=2),
        )
        package.writestr("color.png", colour_icon())
        package.writestr("outline.png", outline_icon())


# --- icons ------------------------------------------------------------------------------------

Pixel = tuple[int, int, int, int]


def png(size: int, paint: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG of `size` × `size` pixels, each painted by `paint(x, y)`."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack("4B", *paint(x, y)) for x in range(size))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _calendar(x: int, y: int, size: int) -> bool:
    """A page of a calendar with two rings and a tick: what the bot keeps."""
    unit = size / 32
    u, v = x / unit, y / unit
    page = 6 <= u < 26 and 8 <= v < 27
    inside = 8 <= u < 24 and 13 <= v < 25
    rings = (10 <= u < 12 or 20 <= u < 22) and 5 <= v < 10
    tick = inside and (
        (abs((v - 19) - (u - 11)) < 1.2 and 11 <= u < 14)
        or (abs((v - 22) + (u - 14)) < 1.2 and 14 <= u < 21)
    )
    return (page and not inside) or rings or tick


def colour_icon() -> bytes:
    white: Pixel = (255, 255, 255, 255)
    accent: Pixel = (*ACCENT, 255)
    return png(192, lambda x, y: white if _calendar(x, y, 192) else accent)


def outline_icon() -> bytes:
    white: Pixel = (255, 255, 255, 255)
    clear: Pixel = (0, 0, 0, 0)
    return png(32, lambda x, y: white if _calendar(x, y, 32) else clear)


# --- serve --teams ----------------------------------------------------------------------------


def teams_settings(settings: Settings) -> TeamsSettings:
    """The Azure Bot registration's credentials, as read with the rest of the settings."""
    from handlers.teams.auth import TeamsSettings

    return TeamsSettings(
        microsoft_app_id=settings.microsoft_app_id,
        microsoft_app_password=settings.microsoft_app_password,
        microsoft_app_tenant_id=settings.microsoft_app_tenant_id,
        microsoft_app_certificate=settings.microsoft_app_certificate,
    )


def teams_poster(*, settings: Settings, engine: Engine, slack: Poster) -> Poster:
    """The dispatcher's one poster: `slack` for Slack visits, the Bot Connector for Teams' (each
    visit knows its platform by its workspace), so one dispatcher serves one database of both."""
    from microsoft_agents.hosting.aiohttp import CloudAdapter

    from bot.app import reminder_defaults
    from handlers.teams.poster import PlatformPoster, TeamsPoster

    teams = teams_settings(settings)
    return PlatformPoster(
        slack=slack,
        teams=TeamsPoster(
            engine=engine,
            adapter=CloudAdapter(connection_manager=teams.connections()),
            calendar=reminder_defaults(settings).calendar,
            app_id=teams.microsoft_app_id,
        ),
    )


def teams_side_passes(*, poster: Poster, engine: Engine) -> list[Callable[[datetime], int]]:
    """What the dispatcher runs for Teams visits besides their reminders: chasing sign-offs that
    wait (in the visit's conversation, as Slack's chaser does in direct messages)."""
    from handlers.teams.poster import PlatformPoster, TeamsPoster
    from handlers.teams.signoffs import TeamsSignOffChaser

    teams = poster.teams if isinstance(poster, PlatformPoster) else None
    if not isinstance(teams, TeamsPoster):
        return []
    return [TeamsSignOffChaser(engine=engine, poster=teams, calendar=teams.calendar)]


def run_serve_teams(
    arguments: argparse.Namespace, *, environ: Mapping[str, str] | None = None
) -> int:
    """`ofsted-bot serve --teams --port N`: the Teams endpoint on the shared database, with the
    reminder dispatcher (Slack's visits to Slack, Teams' to Teams) unless --no-dispatcher."""
    from bot.app import build_dispatcher, reminder_defaults
    from bot.settings import Settings, SettingsError
    from handlers.teams.bot import TeamsContext
    from handlers.teams.server import serve_teams
    from scheduler.dispatcher import DispatcherClock
    from storage.db import create_engine_for
    from storage.migrate import upgrade_database

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_environ(environ)
    except SettingsError as error:
        print(f"ofsted-bot: configuration: {error}", flush=True)
        return 2
    teams = teams_settings(settings)
    engine = create_engine_for(settings.database_url)
    upgrade_database(engine=engine)
    ctx = TeamsContext(
        engine=engine, defaults=reminder_defaults(settings), admins=settings.ofsted_admins
    )
    host = (
        "127.0.0.1" if not teams.authenticated and arguments.host == "0.0.0.0" else arguments.host
    )
    clock = None
    if not arguments.no_dispatcher:
        clock = DispatcherClock(
            build_dispatcher(settings=settings, engine=engine),
            interval=settings.dispatch_interval,
        )
        clock.start()
    try:
        serve_teams(ctx=ctx, settings=teams, host=host, port=arguments.port)
    finally:
        if clock is not None:
            clock.stop()
    return 0
