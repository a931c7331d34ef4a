"""Damaged letters: mutated text, mutated files, read by `read_letter` and `ofsted-bot letter`.

The letters are the bundled example and the fictional letters in `tests/scheduler/letters/`,
mutated by hypothesis (lines deleted, duplicated and swapped, digits of dates changed, months and
weekdays swapped, impossible dates, junk and unicode inserted, the text cut short). Whatever
comes in, the reader either returns facts or raises `NotAnOfstedLetter`; and every date it
returns can be traced back to the text: written there as a date, or counted in working days from
a date written there. `benchmarks/faults.py` runs the same checks on 500 letters.
"""

from __future__ import annotations

import calendar as std_calendar
import io
import json
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar import ENGLAND_AND_WALES
from scheduler.documents import UnreadableDocument, document_text
from scheduler.letters import LetterFacts, NotAnOfstedLetter, read_letter
from scheduler.rules import RULES, MilestoneKind, VisitType

ROOT = Path(__file__).resolve().parents[2]
LETTERS = Path(__file__).resolve().parent / "letters"
SEEDS: dict[str, str] = {
    "example": (ROOT / "bot" / "examples" / "focused-visit-final-report-cover.txt").read_text(),
    **{path.name: path.read_text() for path in sorted(LETTERS.glob("*.txt"))},
}
CLI = str(Path(sys.executable).with_name("ofsted-bot"))


def _example_files() -> dict[str, bytes]:
    from tests.factories import docx_from_text, pdf_from_text

    return {"pdf": pdf_from_text(SEEDS["example"]), "docx": docx_from_text(SEEDS["example"])}


_EXAMPLE_FILES = _example_files()

# --- what the text says, read independently of the parser ------------------------------------

_MONTH_NUMBERS: dict[str, int] = {"sept": 9}
for _number, _name in enumerate(std_calendar.month_name):
    if _name:
        _MONTH_NUMBERS[_name.lower()] = _number
        _MONTH_NUMBERS[_name[:3].lower()] = _number
_MONTH_WORD = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_D = r"(\d{1,2})(?:st|nd|rd|th)?"
_Y = r"(\d{4})"
_GAP = r"[\s,]+"
_DAY_MONTH_YEAR = re.compile(rf"\b{_D}\s+(?:of\s+)?({_MONTH_WORD})\.?{_GAP}{_Y}", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH_WORD})\.?\s+{_D}{_GAP}{_Y}", re.IGNORECASE)
_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})")
# The first end of a range: "11 and 12 July 2018", "29 November to 10 December 2021".
_RANGE_START = re.compile(
    rf"\b{_D}(?:\s+(?:of\s+)?({_MONTH_WORD})\.?(?:{_GAP}{_Y})?)?\s*(?:and|to|until|till|&|[-–—−])\s*"
    rf"{_D}\s+(?:of\s+)?({_MONTH_WORD})\.?{_GAP}{_Y}",
    re.IGNORECASE,
)
_NUMBER_WORDS = {
    "one": 1,
    "first": 1,
    "two": 2,
    "second": 2,
    "three": 3,
    "third": 3,
    "four": 4,
    "fourth": 4,
    "five": 5,
    "fifth": 5,
    "six": 6,
    "sixth": 6,
    "seven": 7,
    "seventh": 7,
    "eight": 8,
    "eighth": 8,
    "nine": 9,
    "ninth": 9,
    "ten": 10,
    "tenth": 10,
    "twelve": 12,
    "twelfth": 12,
    "fifteen": 15,
    "fifteenth": 15,
    "twenty": 20,
    "twentieth": 20,
    "twenty-five": 25,
    "twenty-fifth": 25,
    "twenty-eight": 28,
    "twenty-eighth": 28,
    "thirty": 30,
    "thirtieth": 30,
    "forty": 40,
    "fortieth": 40,
    "fifty": 50,
    "fiftieth": 50,
    "sixty": 60,
    "sixtieth": 60,
    "seventy": 70,
    "seventieth": 70,
}
_COUNT = re.compile(
    r"\b(\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?:st|nd|rd|th)?"
    r"\s+working\s+days?\b",
    re.IGNORECASE,
)


def _plain(text: str) -> str:
    """Unicode digits as ASCII digits and compatibility forms folded, as a reader would see them."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in folded)


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_WEEKDAY_BEFORE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu(?:rs?)?|fri|sat|sun)"
    r"\.?,?\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_WEEKDAY_NUMBERS = {
    name: number for number, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
}


def dates_written(text: str, *, weekday_checked: bool = False) -> set[date]:
    """Every real date written in `text` in any of the ways letters write dates.

    With `weekday_checked`, a date written after a weekday it does not fall on ("Friday 3 July
    2021" is a Saturday) does not count as written.
    """
    text = _plain(text)
    found: set[date | None] = set()

    def add(match: re.Match[str], value: date | None) -> None:
        if value is not None and weekday_checked:
            before = _WEEKDAY_BEFORE.search(text[max(0, match.start() - 16) : match.start()])
            if before and _WEEKDAY_NUMBERS[before[1][:3].lower()] != value.weekday():
                return
        found.add(value)

    for match in _DAY_MONTH_YEAR.finditer(text):
        add(match, _real(int(match[3]), _MONTH_NUMBERS[match[2].lower()], int(match[1])))
    for match in _MONTH_DAY_YEAR.finditer(text):
        add(match, _real(int(match[3]), _MONTH_NUMBERS[match[1].lower()], int(match[2])))
    for match in _NUMERIC.finditer(text):
        add(match, _real(int(match[3]), int(match[2]), int(match[1])))
    for match in _RANGE_START.finditer(text):
        month = _MONTH_NUMBERS[(match[2] or match[5]).lower()]
        year = int(match[3] or match[6])
        add(match, _real(year, month, int(match[1])))
        add(match, _real(year - 1, month, int(match[1])))
    found.discard(None)
    return found  # type: ignore[return-value]


_DAY_MONTH = re.compile(
    rf"(?<![\w/]){_D}\s+(?:of\s+)?({_MONTH_WORD})\b(?!,?\s+(?:19|20)\d\d)", re.I
)


def yearless_dates_after(text: str, letter_date: date | None) -> set[date]:
    """The dates a day and month written without a year ("by 18 March") can be: the one such
    day after `letter_date` and within a year of it."""
    if letter_date is None:
        return set()
    found = set()
    for match in _DAY_MONTH.finditer(_plain(text)):
        for year in (letter_date.year, letter_date.year + 1):
            value = _real(year, _MONTH_NUMBERS[match[2].lower()], int(match[1]))
            if value is not None and letter_date < value <= date(year, 12, 31) and (
                value - letter_date
            ).days <= 366:
                found.add(value)
                break
    return found


def counts_written(text: str) -> set[int]:
    """The working-day periods the text states ("the fifth working day", "20 working days")."""
    text = _plain(text)
    counts = set()
    for match in _COUNT.finditer(text):
        word = match[1].lower()
        counts.add(int(word) if word.isdigit() else _NUMBER_WORDS[word])
    return counts


VISIT_TYPES = {visit_type.value for visit_type in VisitType}
KINDS = {kind.value for kind in MilestoneKind}


def check_facts(text: str, *, impossible: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with reading `text`: [] when nothing is.

    `impossible`: dates that do not exist ("31 June 2021"), planted in the text by a mutation.
    """
    try:
        facts = read_letter(text)
    except NotAnOfstedLetter as error:
        return [] if str(error).strip() else ["NotAnOfstedLetter without a reason"]
    except Exception as error:
        return [f"read_letter raised {type(error).__name__}: {error}"]
    return _facts_problems(text, facts, impossible=impossible)


def _facts_problems(text: str, facts: LetterFacts, *, impossible: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    try:
        shown = json.loads(json.dumps(facts.to_json(), ensure_ascii=False))
    except Exception as error:
        return [f"to_json failed: {type(error).__name__}: {error}"]
    if shown["visit_type"] not in VISIT_TYPES:
        problems.append(f"visit_type {shown['visit_type']!r}")
    written = dates_written(text)
    if facts.letter_date is not None and facts.letter_date not in written:
        problems.append(f"letter date {facts.letter_date} is not written in the letter")
    for milestone in facts.milestones:
        if milestone.kind.value not in KINDS or milestone.source not in ("letter", "rule"):
            problems.append(f"milestone {milestone.kind!r} from {milestone.source!r}")
        what = f"{milestone.kind.value} {milestone.due} ({milestone.source})"
        evidence = milestone.evidence or ""
        if milestone.source == "rule":
            # Computed by the rules table: its count of working days from the letter date.
            counted = {
                ENGLAND_AND_WALES.add_working_days(facts.letter_date, rule.working_days)
                for rule in RULES
                if rule.kind is milestone.kind and facts.letter_date is not None
            }
            if milestone.due not in counted:
                problems.append(f"{what}: not a rule's count of working days from the letter date")
        elif milestone.rule is None:
            # Stated outright: the date is written in the sentence given as its evidence, on
            # the weekday it falls on if a weekday is written with it.
            if milestone.due not in dates_written(
                evidence, weekday_checked=True
            ) | yearless_dates_after(evidence, facts.letter_date):
                problems.append(f"{what}: stated, but not written in its evidence {evidence!r}")
            elif milestone.due not in dates_written(evidence) and not any(
                "without a year" in warning for warning in facts.warnings
            ):
                problems.append(f"{what}: its year was inferred and no warning says so")
            for bad in impossible:
                if _plain(bad) in _plain(evidence) and milestone.due not in dates_written(
                    evidence.replace(bad, "")
                ):
                    problems.append(f"{what}: made from the impossible date {bad!r}")
        else:
            # Counted by the letter's own words: a period its evidence states, from a date the
            # letter gives.
            counted = {
                ENGLAND_AND_WALES.add_working_days(base, n)
                for base in written
                for n in counts_written(evidence)
            }
            if milestone.due not in counted:
                problems.append(
                    f"{what}: not counted from a date in the letter by a period in {evidence!r}"
                )
    return problems


# --- mutations ----------------------------------------------------------------------------------

MONTH_NAMES = [name for name in std_calendar.month_name if name]
WEEKDAY_NAMES = list(std_calendar.day_name)
_DATE_DIGITS = re.compile(
    rf"\d(?=\d?(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_WORD})\b)|(?<=\s)(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_A_MONTH = re.compile(
    rf"\b(?:{'|'.join(MONTH_NAMES)}|Sept|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)
_A_WEEKDAY = re.compile(rf"\b(?:{'|'.join(WEEKDAY_NAMES)})\b")
_A_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{'|'.join(MONTH_NAMES)})\s+(?P<year>(?:19|20)\d\d)\b"
)
IMPOSSIBLE_DAYS = [
    ("31", "June"),
    ("31", "April"),
    ("31", "September"),
    ("31", "November"),
    ("30", "February"),
    ("29", "February"),
    ("32", "May"),
    ("0", "July"),
    ("00", "March"),
]
ODD_CHARACTERS = [
    "\u200b",
    "\u00a0",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\x0c",
    "\r",
    "\x00",
    "\t",
    "２０２１",
    "٣١",
    "৩",
    "🎉",
    "e\u0301",
    "İ",
    "ß",
    "ﬁ",
    "Ⅻ",
    "½",
    "`",
    "*",
    "<@U123|someone>",
    "\\",
    '"',
    "'",
    "’",
    "–",
    "—",
    "•",
    "■",
    "…",
    "\U0001f600",
    "\ud7ff",
    "Ω",
    "ǅ",
]


@dataclass
class Mutated:
    seed: str
    text: str
    steps: list[str] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


@st.composite
def _mutate_once(draw: st.DrawFn, letter: Mutated) -> Mutated:
    text = letter.text
    lines = text.split("\n")
    step = draw(
        st.sampled_from(
            [
                "delete line",
                "duplicate line",
                "swap lines",
                "date digit",
                "month",
                "weekday",
                "impossible date",
                "date form",
                "junk",
                "unicode",
                "truncate",
                "one line",
                "case",
            ]
        )
    )
    where = ""
    if step in ("delete line", "duplicate line", "swap lines", "case") and lines:
        i = draw(st.integers(0, len(lines) - 1))
        where = f" {i}"
        if step == "delete line":
            del lines[i]
        elif step == "duplicate line":
            lines.insert(i, lines[i])
        elif step == "swap lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            where += f"<->{j}"
        else:
            lines[i] = draw(st.sampled_from([str.upper, str.lower, str.title]))(lines[i])
        text = "\n".join(lines)
    elif step == "date digit":
        spots = list(_DATE_DIGITS.finditer(text))
        if spots:
            spot = draw(st.sampled_from(spots))
            offset = draw(st.integers(0, len(spot.group()) - 1))
            digit = draw(st.sampled_from("0123456789"))
            text = _splice(text, spot.start() + offset, spot.start() + offset + 1, digit)
            where = f" {spot.group()!r}[{offset}]={digit}"
    elif step == "month":
        spots = list(_A_MONTH.finditer(text))
        if spots:
            spot = draw(st.sampled_from(spots))
            month = draw(st.sampled_from([*MONTH_NAMES, "Sept", "Feb", "june", "JULY", "Jnue"]))
            text = _splice(text, spot.start(), spot.end(), month)
            where = f" {spot.group()}->{month}"
    elif step == "weekday":
        spots = list(_A_WEEKDAY.finditer(text))
        day = draw(st.sampled_from([*WEEKDAY_NAMES, "Thurs", "Weds", "Tues"]))
        if spots and draw(st.booleans()):
            spot = draw(st.sampled_from(spots))
            text = _splice(text, spot.start(), spot.end(), day)
            where = f" {spot.group()}->{day}"
        else:
            dates = list(_A_DATE.finditer(text))
            if dates:
                spot = draw(st.sampled_from(dates))
                text = _splice(text, spot.start(), spot.start(), day + " ")
                where = f" {day} before {spot.group()!r}"
    elif step == "impossible date":
        dates = list(_A_DATE.finditer(text))
        if dates:
            spot = draw(st.sampled_from(dates))
            day, month = draw(st.sampled_from(IMPOSSIBLE_DAYS))
            year = int(spot.group("year"))
            if (day, month) == ("29", "February") and std_calendar.isleap(year):
                day = "30"
            bad = f"{day} {month} {year}"
            text = _splice(text, spot.start(), spot.end(), bad)
            letter = Mutated(letter.seed, text, letter.steps, [*letter.impossible, bad])
            where = f" {spot.group()!r}->{bad!r}"
    elif step == "date form":
        # The same date, or an impossible one, written another way: "02/07/2021", "July 2, 2021".
        dates = list(_A_DATE.finditer(text))
        if dates:
            spot = draw(st.sampled_from(dates))
            (value,) = dates_written(spot.group()) or {None}
            day = draw(st.sampled_from([value.day if value else 1, 31, 30, 29, 0]))
            month = draw(st.sampled_from([value.month if value else 1, 2, 4, 6, 9, 11, 13]))
            year = int(spot.group("year"))
            shown = draw(
                st.sampled_from(
                    [
                        f"{day:02d}/{month:02d}/{year}",
                        f"{day}/{month}/{year}",
                        f"{MONTH_NAMES[(month - 1) % 12]} {day}, {year}",
                        f"{day}th {MONTH_NAMES[(month - 1) % 12]}, {year}",
                        f"the {day}th of {MONTH_NAMES[(month - 1) % 12]} {year}",
                    ]
                )
            )
            text = _splice(text, spot.start(), spot.end(), shown)
            if _real(year, month, day) is None and month <= 12:
                letter = Mutated(letter.seed, text, letter.steps, [*letter.impossible, shown])
            where = f" {spot.group()!r}->{shown!r}"
    elif step in ("junk", "unicode"):
        at = draw(st.integers(0, len(text)))
        new = (
            draw(st.text(max_size=40)) if step == "junk" else draw(st.sampled_from(ODD_CHARACTERS))
        )
        text = _splice(text, at, at, new)
        where = f" at {at}: {new!r}"
    elif step == "truncate":
        at = draw(st.integers(0, len(text)))
        text = text[:at]
        where = f" at {at}"
    elif step == "one line":
        text = " ".join(text.split())
    return Mutated(letter.seed, text, [*letter.steps, step + where], letter.impossible)


@st.composite
def mutated_letters(draw: st.DrawFn, *, max_steps: int = 6) -> Mutated:
    seed = draw(st.sampled_from(sorted(SEEDS)))
    letter = Mutated(seed, SEEDS[seed])
    for _ in range(draw(st.integers(1, max_steps))):
        letter = draw(_mutate_once(letter))
    return letter


def describe(letter: Mutated) -> str:
    return f"{letter.seed}: " + "; ".join(letter.steps)


# --- the command line -----------------------------------------------------------------------------


def run_cli(path: Path, *, timeout: float = 30) -> tuple[int, list[str]]:
    """`ofsted-bot letter --json PATH`: its exit status, and what is wrong with what it did."""
    done = subprocess.run(
        [CLI, "letter", "--json", str(path)], check=False, capture_output=True, timeout=timeout
    )
    return done.returncode, cli_problems(done.returncode, done.stdout, done.stderr)


def check_cli(path: Path, *, timeout: float = 30) -> list[str]:
    """Exit 0 with one JSON object, or 2 with one line on stderr: [] when so."""
    return run_cli(path, timeout=timeout)[1]


def is_refused(text: str) -> bool:
    """Whether the reader says the text is not an Ofsted letter."""
    try:
        read_letter(text)
    except NotAnOfstedLetter:
        return True
    except Exception:
        return False
    return False


def cli_problems(status: int, stdout: bytes, stderr: bytes) -> list[str]:
    err = stderr.decode("utf-8", "replace")
    problems = []
    if "Traceback" in err or 'File "' in err:
        problems.append(f"traceback on stderr: {err[-600:]}")
    if status == 2:
        if len(err.strip().splitlines()) != 1 or not err.startswith("ofsted-bot: error: "):
            problems.append(f"exit 2 without a one-line error: {err[:300]!r}")
    elif status == 0:
        try:
            shown = json.loads(stdout)
        except ValueError:
            return [*problems, f"exit 0 without JSON: {stdout[:200]!r}"]
        keys = {
            "local_authority",
            "authority_code",
            "report_published",
            "visit_type",
            "letter_date",
            "visit_dates",
            "inspectors",
            "milestones",
            "warnings",
        }
        if set(shown) != keys:
            problems.append(f"JSON keys {sorted(shown)}")
    else:
        problems.append(f"exit status {status}: {err[-300:]!r}")
    return problems


def _rezip(docx: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The same Word file with each part's content passed through `change(name, content)`."""
    source, out = zipfile.ZipFile(io.BytesIO(docx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, change(name, source.read(name)))
    return out.getvalue()


def _spoil_deflate(docx: bytes, member: str = "word/document.xml") -> bytes:
    """The compressed bytes of one part overwritten, its zip headers intact."""
    data = bytearray(docx)
    info = zipfile.ZipFile(io.BytesIO(docx)).getinfo(member)
    at = info.header_offset
    start = (
        at
        + 30
        + int.from_bytes(data[at + 26 : at + 28], "little")
        + int.from_bytes(data[at + 28 : at + 30], "little")
    )
    data[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(data)


def damaged_documents(text: str) -> list[tuple[str, bytes]]:
    """The letter as a PDF and as a DOCX, damaged: cut short, bit-flipped, and broken inside in
    the ways that once escaped as NotImplementedError, zlib.error, XMLSyntaxError and
    AttributeError instead of "not a readable file"."""
    from tests.factories import docx_from_text, pdf_from_text

    pdf, docx = pdf_from_text(text), docx_from_text(text)
    made = []
    for name, data in (("letter.pdf", pdf), ("letter.docx", docx)):
        for fraction in (0.0, 0.1, 0.5, 0.9, 0.99):
            made.append(
                (f"cut-{int(fraction * 100)}-{name}", data[: int(len(data) * fraction) or 4])
            )
        flipped = bytearray(data)
        for at in range(len(flipped) // 3, len(flipped), max(1, len(flipped) // 7)):
            flipped[at] ^= 0xFF
        made.append((f"flipped-{name}", bytes(flipped)))
    made += [
        ("unknown-filter-letter.pdf", pdf.replace(b"/FlateDecode", b"/FlateDecodX")),
        ("broken-deflate-letter.docx", _spoil_deflate(docx)),
        (
            "bad-xml-letter.docx",
            _rezip(
                docx,
                lambda name, content: (
                    content.replace(b"<w:body>", b"<w:body>\xff\xfe<")
                    if name == "word/document.xml"
                    else content
                ),
            ),
        ),
        (
            "bad-rels-letter.docx",
            _rezip(
                docx,
                lambda name, content: (
                    b'<?xml version="1.0"?><Relationships/>' if name == "_rels/.rels" else content
                ),
            ),
        ),
    ]
    return made


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    """The example letter as a PDF or DOCX (or a part inside the DOCX) with bytes flipped,
    deleted, inserted, duplicated or cut."""
    kind = draw(st.sampled_from(["letter.pdf", "letter.docx", "part.docx"]))
    data = _EXAMPLE_FILES[kind.split(".")[-1]]
    member = None
    if kind == "part.docx":
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        member = draw(st.sampled_from(names))
        data = zipfile.ZipFile(io.BytesIO(data)).read(member)
    steps = []
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "cut"]))
        at = draw(st.integers(0, max(0, len(buffer) - 1)))
        size = draw(st.integers(1, 64))
        if op == "flip" and buffer:
            buffer[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del buffer[at : at + size]
        elif op == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=size))
        elif op == "duplicate":
            buffer[at:at] = buffer[at : at + size]
        else:
            del buffer[at:]
        steps.append(f"{op}@{at}")
    if member is not None:
        changed = bytes(buffer)
        return (
            kind,
            _rezip(
                _EXAMPLE_FILES["docx"], lambda name, content: changed if name == member else content
            ),
            [member, *steps],
        )
    return kind, bytes(buffer), steps


def document_outcome(data: bytes, filename: str) -> str:
    """What reading the file should give: 'unreadable', 'not a letter' or 'letter'."""
    try:
        text = document_text(data, filename=filename)
    except UnreadableDocument:
        return "unreadable"
    try:
        read_letter(text)
    except NotAnOfstedLetter:
        return "not a letter"
    return "letter"


# --- the tests ------------------------------------------------------------------------------------


def test_the_oracle_accepts_every_unmutated_letter():
    for name, text in SEEDS.items():
        assert check_facts(text) == [], name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(letter=mutated_letters())
def test_a_mutated_letter_gives_facts_traceable_to_its_text_or_is_refused(letter):
    assert check_facts(letter.text, impossible=tuple(letter.impossible)) == [], describe(letter)


def _stated(name: str) -> list[tuple[MilestoneKind, str]]:
    facts = read_letter(SEEDS[name])
    return [
        (m.kind, m.evidence)
        for m in facts.milestones
        if m.source == "letter"
        and m.rule is None
        and m.evidence
        and m.due in dates_written(m.evidence)  # not a year read from the letter's date
    ]


STATED = [
    (name, kind)
    for name in sorted(SEEDS)
    if "not-a-letter" not in name
    for kind, _ in _stated(name)
]


@pytest.mark.parametrize(("name", "kind"), STATED, ids=[f"{n}:{k.value}" for n, k in STATED])
def test_an_impossible_stated_deadline_is_a_warning_and_never_a_milestone(name, kind):
    evidence = dict(_stated(name))[kind]
    original = next(m for m in read_letter(SEEDS[name]).milestones if m.kind is kind)
    written = next(
        m for m in _A_DATE.finditer(evidence) if original.due in dates_written(m.group())
    )
    bad = (
        f"31 June {original.due.year}"
        if original.due.month != 6
        else f"31 April {original.due.year}"
    )
    text = SEEDS[name].replace(written.group(), bad)
    facts = read_letter(text)
    assert check_facts(text, impossible=(bad,)) == []
    still = [m for m in facts.milestones if m.kind is kind]
    assert all(
        m.source == "rule" or m.rule is not None or bad not in (m.evidence or "") for m in still
    )
    assert any(bad in warning for warning in facts.warnings), facts.warnings


@settings(max_examples=8, deadline=None)
@given(letter=mutated_letters(max_steps=3))
def test_ofsted_bot_letter_json_on_a_mutated_letter_exits_0_or_2_without_a_traceback(
    letter, tmp_path_factory
):
    path = tmp_path_factory.mktemp("cli") / "letter.txt"
    path.write_bytes(letter.text.encode("utf-8", "surrogatepass"))
    assert check_cli(path) == [], describe(letter)


def test_damaged_pdf_and_docx_files_are_refused_in_one_line_on_the_command_line(tmp_path):
    documents = damaged_documents(SEEDS["example"])
    running = []
    for filename, data in documents:
        path = tmp_path / filename
        path.write_bytes(data)
        running.append(
            (
                filename,
                subprocess.Popen(
                    [CLI, "letter", "--json", str(path)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
        )
    for filename, process in running:
        stdout, stderr = process.communicate(timeout=60)
        assert cli_problems(process.returncode, stdout, stderr) == [], filename
        expected = document_outcome((tmp_path / filename).read_bytes(), filename)
        assert (process.returncode == 0) == (expected == "letter"), (filename, expected, stderr)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=mutated_documents())
def test_a_damaged_pdf_or_docx_is_read_or_refused_as_unreadable_never_anything_else(document):
    filename, data, steps = document
    try:
        text = document_text(data, filename=filename)
    except UnreadableDocument as error:
        assert filename in str(error) and "\n" not in str(error)
    else:
        assert isinstance(text, str)
        assert check_facts(text) == [], (filename, steps)


@pytest.mark.parametrize(
    ("written", "stated"),
    [
        ("Monday 11/05/2026", date(2026, 5, 11)),
        ("Mon 11/5/2026", date(2026, 5, 11)),
        ("Friday 09/05/2026", None),
        ("Tuesday 11/05/2026", None),
    ],
)
def test_a_weekday_written_with_a_numeric_date_is_checked_like_one_written_in_words(
    written, stated
):
    # 9 May 2026 is a Saturday and 11 May a Monday: a wrong weekday makes the date unreadable.
    text = SEEDS["example"].replace(
        "under embargo until 11 May 2026", f"under embargo until {written}"
    )
    facts = read_letter(text)
    embargo = [
        m
        for m in facts.milestones
        if m.kind is MilestoneKind.EMBARGO_LIFT and m.source == "letter" and m.rule is None
    ]
    assert [m.due for m in embargo] == ([stated] if stated else [])
    if stated is None:
        assert any(
            written in warning and "does not add up" in warning for warning in facts.warnings
        ), facts.warnings
    assert check_facts(text) == []
