"""Letters and reports written for fictional councils, in wordings the two real letters lack.

Each file in letters/ has its expected facts in letters/expected.json (see letters/README.md).
The files are read as text, and as PDFs and Word files made from that text.
"""

import json
from datetime import date
from pathlib import Path

import pytest

from scheduler.documents import document_text
from scheduler.letters import NotAnOfstedLetter, read_letter
from tests.factories import docx_from_text, pdf_from_text

LETTERS = Path(__file__).with_name("letters")
EXAMPLES = Path(__file__).resolve().parents[2] / "bot" / "examples"
EXPECTED = json.loads((LETTERS / "expected.json").read_text())


def _path(name):
    if name.startswith("example:"):
        return EXAMPLES / name.removeprefix("example:")
    return LETTERS / name


def _text(name, form):
    text = _path(name).read_text()
    if form == "pdf":
        return document_text(pdf_from_text(text), filename="letter.pdf")
    if form == "docx":
        return document_text(docx_from_text(text), filename="letter.docx")
    return text


def test_every_letter_file_has_its_expectations():
    files = {path.name for path in LETTERS.glob("*.txt")}
    assert files == {name for name in EXPECTED if not name.startswith("example:")}


@pytest.mark.parametrize("form", ["text", "pdf", "docx"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fictional_letter(name, form):
    expected = EXPECTED[name]
    text = _text(name, form)
    if expected.get("not_a_letter"):
        with pytest.raises(NotAnOfstedLetter):
            read_letter(text)
        return
    facts = read_letter(text).to_json()
    for key in ("local_authority", "visit_type", "letter_date", "visit_dates", "inspectors"):
        assert facts[key] == expected[key], key
    if "report_published" in expected:
        assert facts["report_published"] == expected["report_published"]
    # Every council here is invented: kept as written, without a code, and said so.
    assert facts["authority_code"] is None
    assert any("not in the register" in warning for warning in facts["warnings"])
    due = {m["kind"]: {"due": m["due"], "source": m["source"]} for m in facts["milestones"]}
    assert due == expected["milestones"]
    warnings = " ".join(facts["warnings"]).casefold()
    for mention in expected.get("warning_mentions", []):
        assert mention.casefold() in warnings, (mention, facts["warnings"])
    for milestone in facts["milestones"]:
        # Every date shows where it came from.
        assert milestone["evidence"] or milestone["rule"]
        assert date.fromisoformat(milestone["due"]).weekday() < 5 or milestone["source"] == "letter"
