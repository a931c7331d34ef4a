"""bot/offline/standin is a fake of Slack: it must not import the bot it stands in for."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.offline.standin

PROJECT_PACKAGES = {"bot", "handlers", "scheduler", "storage"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_standin_imports_nothing_of_the_project() -> None:
    package = Path(bot.offline.standin.__file__).parent
    offenders = {
        f"{path.relative_to(package)}: {name}"
        for path in package.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in PROJECT_PACKAGES and not name.startswith("bot.offline.standin")
    }
    assert offenders == set()
