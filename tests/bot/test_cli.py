"""`ofsted-bot letter`, run as a user runs it: a separate process, its output and exit status."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import docx_from_text, image_only_pdf, pdf_from_text
from tests.seeds import LETTER_2018, LETTER_2021, seed_letter

CONSOLE_SCRIPT = Path(sys.executable).with_name("ofsted-bot")


def ofsted_bot(*arguments, cwd=None):
    command = (
        [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "bot.cli"]
    )
    return subprocess.run(
        [*command, *arguments], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def _seed_as(kind, name, tmp_path):
    text = seed_letter(name).read_text()
    if kind == "txt":
        return seed_letter(name)
    path = tmp_path / f"letter.{kind}"
    path.write_bytes(pdf_from_text(text) if kind == "pdf" else docx_from_text(text))
    return path


@pytest.mark.seed_letters
@pytest.mark.parametrize("kind", ["txt", "pdf", "docx"])
def test_letter_json_for_the_2018_letter(kind, tmp_path):
    result = ofsted_bot("letter", str(_seed_as(kind, LETTER_2018, tmp_path)), "--json")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["letter_date"] == "2018-08-08"
    assert facts["visit_dates"] == ["2018-07-11", "2018-07-12"]
    assert facts["visit_type"] == "focused_visit"
    due = {m["kind"]: (m["due"], m["source"]) for m in facts["milestones"]}
    assert due["action_plan_draft_due"] == ("2018-09-10", "letter")
    assert due["action_plan_final_due"] == ("2018-12-03", "letter")


@pytest.mark.seed_letters
@pytest.mark.parametrize("kind", ["txt", "pdf", "docx"])
def test_letter_json_for_the_2021_letter(kind, tmp_path):
    result = ofsted_bot("letter", str(_seed_as(kind, LETTER_2021, tmp_path)), "--json")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["letter_date"] == "2021-06-22"
    due = {m["kind"]: m["due"] for m in facts["milestones"]}
    assert due == {
        "complaint_deadline": "2021-06-29",
        "embargo_lift": "2021-07-02",
        "survey_deadline": "2021-08-20",
    }
    assert facts["warnings"] == []


@pytest.mark.seed_letters
def test_letter_without_json_prints_a_readable_timeline():
    result = ofsted_bot("letter", str(seed_letter(LETTER_2021)))
    assert result.returncode == 0, result.stderr
    for expected in (
        "St. Helens (ONS E08000013)",
        "Tuesday 29 June 2021",
        "Friday 2 July 2021",
        "Friday 20 August 2021",
    ):
        assert expected in result.stdout


def test_the_bundled_example_prints_its_timeline():
    result = ofsted_bot("letter", "--example", "--json")
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    kinds = {milestone["kind"] for milestone in facts["milestones"]}
    assert {"complaint_deadline", "embargo_lift", "survey_deadline"} <= kinds
    assert facts["local_authority"]


def _files(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "scan.pdf").write_bytes(image_only_pdf())
    (tmp_path / "recipe.txt").write_text("Pancakes\n\nMix flour, eggs and milk.")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04broken")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.pdf", "does not exist"),
        ("empty.pdf", "is empty"),
        ("scan.pdf", "no text in it"),
        ("recipe.txt", "does not look like an Ofsted letter"),
        ("broken.docx", "not a readable Word"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_status_2(name, message, tmp_path):
    folder = _files(tmp_path)
    before = sorted(path.name for path in folder.iterdir())
    result = ofsted_bot("letter", str(folder / name), "--json", cwd=folder)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr
    # Nothing written: no database, no file.
    assert sorted(path.name for path in folder.iterdir()) == before


def test_the_console_script_is_installed():
    assert shutil.which("ofsted-bot") or CONSOLE_SCRIPT.exists()
