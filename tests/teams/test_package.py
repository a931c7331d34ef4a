"""`ofsted-bot teams-package`: the zip an administrator uploads to Teams."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from bot.cli import main

APP_ID = "5a0c3d4e-1b2f-4a6b-9c8d-0e1f2a3b4c5d"


def test_the_package_holds_a_1_17_manifest_with_the_bot_and_its_commands(tmp_path: Path) -> None:
    output = tmp_path / "teams.zip"

    assert (
        main(
            [
                "teams-package",
                "--app-id",
                APP_ID,
                "--domain",
                "bot.council.example",
                "--output",
                str(output),
            ]
        )
        == 0
    )

    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        sizes = {
            name: struct.unpack(">II", package.read(name)[16:24])
            for name in ("color.png", "outline.png")
        }
    assert manifest["manifestVersion"] == "1.17"
    assert manifest["id"] == APP_ID
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles == [
        "help",
        "letter",
        "new",
        "list",
        "show",
        "export",
        "settings",
        "close",
        "reopen",
        "add",
    ]
    assert all(len(c["description"]) <= 128 for c in bot["commandLists"][0]["commands"])
    assert manifest["validDomains"] == ["bot.council.example"]
    assert sizes == {"color.png": (192, 192), "outline.png": (32, 32)}


def test_without_an_app_id_it_says_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "teams.zip"

    assert main(["teams-package", "--app-id", "not-a-guid", "--output", str(output)]) == 2

    assert "MICROSOFT_APP_ID" in capsys.readouterr().out
    assert not output.exists()
