"""The built-in required-argument table requires at least what Slack's OpenAPI spec does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.offline.standin.required import REQUIRED_ARGUMENTS

SHARED = Path(os.environ.get("OFSTED_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
SPEC = SHARED / "slack" / "web-api-openapi-v2.json"


def spec_required(spec: dict, method: str) -> set[str] | None:
    operations = spec["paths"].get(f"/{method}")
    if operations is None:
        return None
    required: set[str] = set()
    for operation in operations.values():
        for parameter in operation.get("parameters", []):
            if parameter.get("required") and parameter["name"] != "token":
                required.add(parameter["name"])
    return required


@pytest.fixture(scope="module")
def spec() -> dict:
    if not SPEC.exists():
        if os.environ.get("CI") or os.environ.get("OFSTED_REQUIRE_SHARED"):
            pytest.fail(f"Slack's OpenAPI spec is missing: {SPEC}")
        pytest.skip(f"Slack's OpenAPI spec is not here: {SPEC}")
    return json.loads(SPEC.read_text())


def test_table_requires_what_the_spec_requires(spec: dict) -> None:
    shortfalls = {}
    for method, table_row in REQUIRED_ARGUMENTS.items():
        required = spec_required(spec, method)
        if required and required - set(table_row):
            shortfalls[method] = sorted(required - set(table_row))
    assert shortfalls == {}, "the spec requires these arguments too"


def test_the_spec_covers_the_table_but_for_newer_methods(spec: dict) -> None:
    """files.getUploadURLExternal and files.completeUploadExternal came after 2020."""
    absent = {m for m in REQUIRED_ARGUMENTS if spec_required(spec, m) is None}
    assert absent <= {"files.getUploadURLExternal", "files.completeUploadExternal"}
