"""Reading an Ofsted letter or report's text into facts and a timeline. Pure: text in, facts out.

The letter is the authority. A date it states outright is kept; a deadline it states in working
days ("by the end of the fifth working day from the date of this letter") is computed from its
own date; only what it leaves unsaid comes from the rules table. Whenever two of those disagree,
the stated date is kept and a warning names both. Nothing is guessed: a date that cannot be
read is a warning, never a milestone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from scheduler.authorities import Authority, find, lookup
from scheduler.calendar import ENGLAND_AND_WALES, WorkingDayCalendar
from scheduler.dates import DateMention, find_dates, format_long
from scheduler.rules import (
    MILESTONE_LABELS,
    MILESTONE_NAMES,
    NEEDS_SIGN_OFF,
    DocumentKind,
    MilestoneKind,
    MilestoneRule,
    VisitType,
    rules_for,
)

Source = Literal["letter", "rule", "manual"]
"""Where a date came from: stated in the letter, computed by rule, or entered by a person."""


class NotAnOfstedLetter(ValueError):
    """The text is not a letter or report from Ofsted about a council's children's services."""


@dataclass(frozen=True)
class MilestoneFact:
    kind: MilestoneKind
    due: date
    source: Source
    evidence: str | None
    rule: str | None
    # A publication date computed from "usually eight working days" is expected, not due.
    estimate: bool = False

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self.kind]

    @property
    def needs_sign_off(self) -> bool:
        return self.kind in NEEDS_SIGN_OFF


@dataclass(frozen=True)
class LetterFacts:
    local_authority: str | None
    visit_type: VisitType
    document_kind: DocumentKind
    letter_date: date | None
    visit_dates: tuple[date, ...]
    inspectors: tuple[str, ...]
    milestones: tuple[MilestoneFact, ...]
    warnings: tuple[str, ...] = field(default=())
    # The ONS code of the authority, when the register knows it (scheduler/authorities.py).
    authority_code: str | None = None
    # A report's or web page's own publication date: a fact of the document, never a deadline.
    report_published: date | None = None

    def to_json(self) -> dict[str, Any]:
        """The `ofsted-bot letter --json` contract (MISSION.md): other tools read this shape."""
        return {
            "local_authority": self.local_authority,
            "authority_code": self.authority_code,
            "visit_type": self.visit_type.value,
            "letter_date": _iso(self.letter_date),
            "visit_dates": [_iso(day) for day in self.visit_dates],
            "inspectors": list(self.inspectors),
            "milestones": [
                {
                    "kind": milestone.kind.value,
                    "due": _iso(milestone.due),
                    "source": milestone.source,
                    "evidence": milestone.evidence,
                    "rule": milestone.rule,
                    "estimate": milestone.estimate,
                }
                for milestone in self.milestones
            ],
            "report_published": _iso(self.report_published),
            "warnings": list(self.warnings),
        }

    def checked(
        self, due_dates: Mapping[MilestoneKind, date] | None = None
    ) -> tuple[MilestoneFact, ...]:
        """The milestones a visit gets once a person has checked this letter's dates."""
        return checked_milestones(self.milestones, due_dates)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LetterFacts:
        """The facts back from `to_json`, as a letter draft keeps them in the database.

        What the document is (`document_kind`) is not in the JSON: it chose the rules, and is
        UNKNOWN when read back. A draft stored before `estimate` was kept has none: a publication
        date computed by rule was the only one shown as expected then, so that is what it gets.
        """
        return cls(
            local_authority=data.get("local_authority"),
            authority_code=data.get("authority_code"),
            visit_type=VisitType(data["visit_type"]),
            document_kind=DocumentKind.UNKNOWN,
            letter_date=_date(data.get("letter_date")),
            visit_dates=tuple(day for day in map(_date, data.get("visit_dates") or ()) if day),
            inspectors=tuple(data.get("inspectors") or ()),
            milestones=tuple(
                MilestoneFact(
                    kind=MilestoneKind(item["kind"]),
                    due=date.fromisoformat(item["due"]),
                    source=item["source"],
                    evidence=item.get("evidence"),
                    rule=item.get("rule"),
                    estimate=bool(
                        item.get(
                            "estimate",
                            item["kind"] == MilestoneKind.EMBARGO_LIFT and item["source"] == "rule",
                        )
                    ),
                )
                for item in data.get("milestones") or ()
            ),
            warnings=tuple(data.get("warnings") or ()),
            report_published=_date(data.get("report_published")),
        )


def checked_milestones(
    read: Sequence[MilestoneFact], due_dates: Mapping[MilestoneKind, date] | None = None
) -> tuple[MilestoneFact, ...]:
    """The milestones a visit gets once a person has checked the dates (`due_dates`, or those
    `read` from a letter as they are): a date left as read keeps the letter's evidence; one
    changed or added is the person's own ("manual"), and no longer an estimate."""
    by_kind = {fact.kind: fact for fact in read}
    wanted = (
        dict(due_dates)
        if due_dates is not None
        else {kind: fact.due for kind, fact in by_kind.items()}
    )
    checked = []
    for kind in MilestoneKind:
        due = wanted.get(kind)
        if due is None:
            continue
        fact = by_kind.get(kind)
        if fact is not None and fact.due == due:
            checked.append(fact)
        else:
            checked.append(
                MilestoneFact(kind=kind, due=due, source="manual", evidence=None, rule=None)
            )
    return tuple(checked)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- Text preparation -------------------------------------------------------------------------

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "\u2009": " "})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[•■▪-])")
_BULLET = re.compile(r"^\s*(?:[-•■▪*]|\d+\.)\s+")


def _normalise(text: str) -> str:
    """The text as the reader wants it, whatever made it: a PDF's page furniture taken out.

    Line ends and quotes made one kind; trailing spaces gone; a run of blank lines made one;
    page numbers, "Page 2 of 9" and the running header or footer a PDF repeats on every page
    dropped after their first appearance (the first is often the title). Linear in the text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    lines = [_PAGE_OF.sub("", line).rstrip() for line in text.translate(_QUOTES).split("\n")]
    shapes = Counter(_shape(line) for line in lines if _could_be_furniture(line))
    seen: set[str] = set()
    kept: list[str] = []
    for line in lines:
        if _PAGE_NUMBER.match(line):
            continue
        if _could_be_furniture(line) and shapes[_shape(line)] >= _FURNITURE_REPEATS:
            shape = _shape(line)
            if shape in seen:
                continue
            seen.add(shape)
        if line.strip() or (kept and kept[-1].strip()):
            kept.append(line if line.strip() else "")
    return "\n".join(kept)


_PAGE_NUMBER = re.compile(r"^[ \t]*(?:page[ \t]+)?\d{1,3}(?:[ \t]+of[ \t]+\d{1,3})?[ \t]*$", re.I)
_PAGE_OF = re.compile(r"[ \t]+page[ \t]+\d{1,3}[ \t]+of[ \t]+\d{1,3}[ \t]*$", re.I)
_FURNITURE_REPEATS = 3


def _could_be_furniture(line: str) -> bool:
    return 12 <= len(line.strip()) <= 160


def _shape(line: str) -> str:
    # A footer's page number changes from page to page; the rest of it does not.
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _fold(text: str) -> str:
    return " ".join(text.split())


def _sentences(text: str) -> list[str]:
    """Sentences, with the line breaks of a PDF or of a wrapped paragraph folded away.

    A paragraph that stops mid-sentence and goes on after a blank line (a page break, a PDF's
    spacing: "on 11 and 12 July" then "2018.") is read as one.
    """
    paragraphs: list[list[str]] = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        lines = [_BULLET.sub("", line) for line in paragraph.splitlines()]
        joined = _fold(" ".join(lines))
        if not joined:
            continue
        if paragraphs and _CONTINUES.match(joined) and not paragraphs[-1][-1].endswith(_ENDINGS):
            paragraphs[-1].append(joined)
        else:
            paragraphs.append([joined])
    sentences: list[str] = []
    for parts in paragraphs:
        for sentence in _SENTENCE_END.split(" ".join(parts)):
            if sentence.strip():
                sentences.append(sentence.strip())
    return sentences


# What can only go on a sentence: a word in lower case, or a year ("2018.").
_CONTINUES = re.compile(r"^(?:[a-z]|(?:19|20)\d\d\b)")
_ENDINGS = (".", "!", "?", ":", ";")


# --- Recognising the document -----------------------------------------------------------------

# The kinds of document, as their titles, subject lines and opening sentences name them. An
# `_INSPECTION` is an ILACS inspection whose length on site decides standard or short; the
# older single inspections (2012-2018) are standard inspections whatever their length.
_INSPECTION = "ilacs_inspection"
_KIND_WORDING: tuple[tuple[VisitType | str, re.Pattern[str]], ...] = (
    (VisitType.JTAI, re.compile(r"joint\s+targeted\s+area\s+inspection|\bJTAI\b", re.I)),
    (VisitType.MONITORING_VISIT, re.compile(r"monitoring\s+visit", re.I)),
    (VisitType.FOCUSED_VISIT, re.compile(r"focus(?:ed)?\s+visit", re.I)),
    (VisitType.SHORT_INSPECTION, re.compile(r"short\s+inspection", re.I)),
    (VisitType.STANDARD_INSPECTION, re.compile(r"standard\s+inspection", re.I)),
    (
        # The single inspection framework (SIF, 2013-2018) and the inspections before it.
        VisitType.STANDARD_INSPECTION,
        re.compile(
            r"(?:re-?\s?)?inspection\s+of\s+services\s+for\s+children\s+in\s+need"
            r"|inspection\s+of\s+(?:local\s+authority\s+arrangements\s+for\s+the\s+protection"
            r"|looked\s+after\s+children|safeguarding\s+and\s+looked\s+after)"
            r"|single\s+inspection\s+framework",
            re.I,
        ),
    ),
    (
        _INSPECTION,
        re.compile(
            r"inspection\s+of\s+(?:[\w'&,. -]{1,80}?\s)?(?:local\s+authority\s+)?children's"
            r"\s+(?:social\s+care\s+)?services|\bILACS\b(?!\s+(?:focus|monitoring))"
            r"|children's\s+services\s+inspection",
            re.I,
        ),
    ),
)
# A line of a report's front matter: the title page ends where these begin.
_FRONT_MATTER_LINE = re.compile(
    r"^[ \t]*(?:inspection\s+dates?|dates?\s+of\s+(?:the\s+)?(?:inspection|visit)|lead\s+inspector"
    r"|reporting\s+inspector|(?:report\s+)?published|publication\s+date|date\s+of\s+publication"
    r"|local\s+authority)[ \t]*:?[ \t]+\S",
    re.I,
)
_FINAL_REPORT = re.compile(r"\bfinal\s+report\b", re.I)
_DRAFT_REPORT = re.compile(r"\bdraft\s+(?:inspection\s+)?(?:report|letter)\b", re.I)
_FACTUAL_ACCURACY = re.compile(r"factual\s+(?:accuracy|inaccurac|error)", re.I)
_REPORT_FRONT_MATTER = re.compile(
    r"^[ \t]*(?:inspection\s+dates?|lead\s+inspector|report\s+published|dates?\s+of\s+inspection)"
    r"[ \t]*:",
    re.I | re.M,
)
_PRIORITY_ACTION = re.compile(r"areas?\s+(?:for|of)\s+priority\s+action", re.I)
_NO_PRIORITY_ACTION = re.compile(
    r"\b(?:no|not\s+(?:identify|identified|find|found|make|made)\s+any|nor\s+any)\s+"
    r"(?:areas?\s+(?:for|of)\s+)?priority\s+action",
    re.I,
)
_WRITTEN_STATEMENT = re.compile(r"written\s+statement\s+of\s+(?:proposed\s+)?action", re.I)
_NO_WRITTEN_STATEMENT = re.compile(
    r"(?:no|not\s+(?:required|need)\s+(?:to\s+(?:prepare|produce|submit)\s+)?(?:a\s+)?)"
    r"\s*written\s+statement",
    re.I,
)
_SALUTATION = re.compile(r"^[ \t]*Dear\b", re.I)
# A letter flattened onto one line still has its "Dear …," before the subject.
_INLINE_SALUTATION = re.compile(r"\bDear\s+[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3},?\s+")
_OFSTED = re.compile(
    r"\bOfsted\b|Office\s+for\s+Standards\s+in\s+Education|\bHMI\b|(?:Her|His)\s+Majesty'?s"
    r"\s+Inspector\b",
    re.I,
)


def _unflatten(text: str) -> str:
    """A letter whose line breaks were lost (pasted from a web page, a one-line text) gets back
    the one break that matters: its "Dear …," starts the body."""
    if any(_SALUTATION.match(line) for line in text.splitlines()[:200]):
        return text
    match = _INLINE_SALUTATION.search(text[:6000])
    if match is None or text.count("\n", 0, match.start()) > 3:
        return text
    return f"{text[: match.start()]}\n{match.group().rstrip()}\n{text[match.end() :]}"


def _title(lines: list[str], dear_index: int | None) -> str:
    """What the document says it is about: the subject line after "Dear …", or a report's
    title page (the lines above its "Inspection dates:"), folded onto one line."""
    if dear_index is not None:
        subject: list[str] = []
        for line in lines[dear_index + 1 : dear_index + 6]:
            if line.strip():
                subject.append(line)
            elif subject:
                break
        # A subject runs to two lines at most; a longer paragraph is the letter's first.
        return _fold(" ".join(subject[:2])) if len(" ".join(subject[:2])) < 300 else ""
    top = lines[:60]
    end = next((i for i, line in enumerate(top) if _FRONT_MATTER_LINE.match(line)), None)
    if end is None:
        # No title page: the first short line that names a kind of visit is the title.
        return next(
            (
                _fold(line)
                for line in top[:40]
                if len(line) < 200 and _named_kind(line, first=False) is not None
            ),
            "",
        )
    block = [line for line in top[:end] if line.strip()]
    return _fold(" ".join(block[-8:]))


def _named_kind(region: str, *, first: bool) -> VisitType | str | None:
    """The kind a title names (the most specific), or the first an opening names."""
    found = [
        (match.start(), order, kind)
        for order, (kind, pattern) in enumerate(_KIND_WORDING)
        if (match := pattern.search(region))
    ]
    if not found:
        return None
    return min(found)[2] if first else min(found, key=lambda item: item[1])[2]


def _visit_type(*, title: str, opening: str, visit_dates: list[date]) -> VisitType:
    kind = _named_kind(title, first=False) or _named_kind(opening, first=True)
    if kind is None:
        return VisitType.OTHER
    if kind == _INSPECTION:
        # ILACS: one week on site is a short inspection, two a standard one (DOMAIN.md s.2).
        if (
            visit_dates
            and (max(visit_dates) - min(visit_dates)).days <= 7
            and min(visit_dates) >= date(2018, 1, 1)
        ):
            return VisitType.SHORT_INSPECTION
        return VisitType.STANDARD_INSPECTION
    return kind if isinstance(kind, VisitType) else VisitType.OTHER


def _document_kind(
    *, subject: str, body: str, is_letter: bool, visit_type: VisitType, has_front_matter: bool
) -> DocumentKind:
    if is_letter:
        # The subject line decides; failing that, whichever report the opening names first
        # (a final report's letter mentions the draft, and a draft's letter the final report).
        if _DRAFT_REPORT.search(subject):
            return DocumentKind.DRAFT_REPORT_COVER
        if _FINAL_REPORT.search(subject):
            return DocumentKind.FINAL_REPORT_COVER
        opening = body[:1500]
        final = _FINAL_REPORT.search(opening)
        draft = _DRAFT_REPORT.search(opening)
        if (
            draft
            and _FACTUAL_ACCURACY.search(body)
            and (not final or draft.start() < final.start())
        ):
            return DocumentKind.DRAFT_REPORT_COVER
        if final:
            return DocumentKind.FINAL_REPORT_COVER
        if visit_type is VisitType.JTAI:
            return DocumentKind.JTAI_LETTER
        if visit_type in (VisitType.FOCUSED_VISIT, VisitType.MONITORING_VISIT):
            return DocumentKind.FINDINGS_LETTER
        return DocumentKind.UNKNOWN
    if has_front_matter or visit_type is not VisitType.OTHER:
        return DocumentKind.INSPECTION_REPORT
    return DocumentKind.UNKNOWN


def _has_priority_action(text: str, document_kind: DocumentKind) -> bool:
    if document_kind is DocumentKind.JTAI_LETTER:
        return bool(_WRITTEN_STATEMENT.search(text)) and not _NO_WRITTEN_STATEMENT.search(text)
    return bool(_PRIORITY_ACTION.search(text)) and not _NO_PRIORITY_ACTION.search(text)


# --- Local authority --------------------------------------------------------------------------

_COUNCIL_SUFFIX = re.compile(
    r"\s+(?:Metropolitan\s+Borough|Metropolitan\s+District|Borough|County\s+Borough|County|City"
    r"|District|Unitary)?\s*(?:Council\b.*)?$",
)
_COUNCIL_PREFIX = re.compile(
    r"^(?:The\s+)?(?:(?:Royal|London)\s+Borough\s+of|City\s+of\s+(?=\w+\s+Council)|Council\s+of"
    r"\s+the)\s+",
    re.I,
)
# A capitalised word of a place's name; not the words of a title around it.
_NAME_WORD = (
    r"(?!(?:Inspection|Visit|Report|Final|Draft|Review|Monitoring|Focused|Joint|Local|Children)\b)"
    r"[A-Z][\w'.-]*"
)
_NAME = rf"{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|upon|on|and|of|the|in)(?=\s|$|')){{0,5}}"
_AUTHORITY_PATTERNS = (
    # "Inspection of Ashcombe local authority children's services"
    re.compile(rf"(?:of|to|for)\s+(?P<name>{_NAME})(?:'s)?\s+[Ll]ocal\s+[Aa]uthority"),
    # "Focused visit to St Helens children's services"
    re.compile(
        rf"(?:[Vv]isit|[Ii]nspection)\s+(?:to|of|in|at)\s+(?P<name>{_NAME})(?:'s)?\s+[Cc]hildren"
    ),
    # "Joint targeted area inspection of Kettlewell", "Monitoring visit to Marshbrook"
    re.compile(rf"(?:[Vv]isit|[Ii]nspection)\s+(?:to|of|in|at)\s+(?P<name>{_NAME})\s*$"),
    # "Final report: ILACS Focused Visit St Helens"
    re.compile(rf"(?:Visit|Inspection)\s+(?!to\b|of\b)(?P<name>{_NAME})\s*$"),
    re.compile(rf"^\s*Local\s+authority\s*:\s*(?P<name>{_NAME})", re.I),
)
# "Joint targeted area inspection of the multi-agency response … in Callowmere" (subject only).
_SUBJECT_TAIL = re.compile(rf"\b(?:in|of|for|to)\s+(?P<name>{_NAME})\s*$")
# An address line: "Marshbrook County Council", "London Borough of Ashcombe".
_ADDRESS_COUNCIL = re.compile(
    rf"(?:(?:London|Royal)\s+Borough\s+of\s+(?P<borough>{_NAME})|(?P<name>{_NAME})\s+Council)\s*,?$"
)
# A report's title page: "Estbury City Council", "London Borough of Ashcombe" on a line.
_TITLE_COUNCIL = re.compile(
    rf"^(?:(?:London|Royal)\s+Borough\s+of\s+)?(?P<name>{_NAME})\s+Council\b"
)
_ANY_NAME = re.compile(rf"(?P<name>{_NAME})")
_NOT_A_PLACE = re.compile(
    r"^(?:the|this|your|our|a|an|local|children|ILACS|Ofsted|Her|His|Majesty)\b", re.I
)


def _clean_authority(name: str) -> str | None:
    name = _COUNCIL_PREFIX.sub("", _fold(name))
    name = _COUNCIL_SUFFIX.sub("", name)
    name = re.sub(r"(?:'s|')$", "", name).strip(" ,.:;-")
    name = re.sub(r"\s+(?:and|of|the|on|upon|in)$", "", name)
    if not name or _NOT_A_PLACE.match(name) or len(name) > 60:
        return None
    return name


@dataclass(frozen=True)
class _Named:
    written: str
    authority: Authority | None

    @property
    def name(self) -> str:
        return self.authority.name if self.authority else self.written


def _named_in(
    region: str, patterns: tuple[re.Pattern[str], ...], *, whole_region: bool
) -> _Named | None:
    """The authority a subject names: a name in the register, else what the wording gives.

    `whole_region`: the region is all subject (a title), so a register name anywhere in it is
    the subject; otherwise only a name in the place the wording gives counts.
    """
    if not region.strip():
        return None
    if whole_region and (authority := find(region)) is not None:
        return _Named(authority.name, authority)
    for pattern in patterns:
        match = pattern.search(region)
        cleaned = _clean_authority(match.group("name")) if match else None
        if cleaned:
            authority = lookup(cleaned) or find(match.group("name"))  # type: ignore[union-attr]
            return _Named(cleaned, authority)
    return None


_LOCAL_AUTHORITY_LINE = re.compile(r"^[ \t]*Local\s+authority[ \t]*:[ \t]*(?P<name>\S.*)$", re.I)
_OPENING_SUBJECT = re.compile(
    rf"(?:[Vv]isit|[Ii]nspection)\s+(?:to|of|in|at)\s+(?:the\s+)?(?P<name>{_NAME})(?:'s)?\s+"
    r"(?:[Cc]hildren|[Ll]ocal\s+[Aa]uthority)"
)


def _local_authority(
    *, title: str, header: list[str], lines: list[str], opening: str
) -> tuple[str | None, str | None, list[str]]:
    """The authority the document is about, as the register names it, and its ONS code."""
    subject: _Named | None = None
    for region, patterns, whole_region in (
        (title, (*_AUTHORITY_PATTERNS, _SUBJECT_TAIL, _TITLE_COUNCIL), True),
        *(
            (match.group("name"), (_ANY_NAME,), True)
            for line in lines[:80]
            if (match := _LOCAL_AUTHORITY_LINE.match(line))
        ),
        (opening, (_OPENING_SUBJECT,), False),
        # A letter flattened onto one line: its subject is the start of the body.
        (opening[:120] if len(lines) < 5 else "", (), True),
    ):
        subject = _named_in(region, patterns, whole_region=whole_region)
        if subject is not None:
            break
    addressee = _addressee(header)
    chosen = subject or addressee
    if chosen is None:
        return (
            None,
            None,
            ["The local authority could not be found in the letter: enter it by hand."],
        )
    warnings: list[str] = []
    if subject and addressee and subject.name.casefold() != addressee.name.casefold():
        warnings.append(
            f"The letter names the local authority as '{subject.name}' and also as "
            f"'{addressee.name}'; '{subject.name}' (from the subject line) is used: check it."
        )
    if chosen.authority is None:
        warnings.append(
            f"'{chosen.written}' is not in the register of England's children's services "
            "authorities: it is kept as written, without an ONS code. Check the name."
        )
        return chosen.written, None, warnings
    return chosen.authority.name, chosen.authority.code, warnings


def _addressee(header: list[str]) -> _Named | None:
    """The council in the address block ("St Helens Council", "London Borough of Ashcombe")."""
    for line in header:
        match = _ADDRESS_COUNCIL.search(line.strip())
        if match:
            written = match.group("borough") or match.group("name")
            cleaned = _clean_authority(written)
            if cleaned:
                return _Named(cleaned, lookup(cleaned) or find(written))
    return None


# --- Inspectors -------------------------------------------------------------------------------

_ROLE = (
    r"(?:Senior\s+)?(?:Her|His)\s+Majesty'?s\s+Inspectors?|Senior\s+HMI|HMIs?|"
    r"(?:Social\s+Care\s+)?(?:Regulatory\s+)?Inspectors?|Ofsted\s+Inspectors?|Lead\s+inspector|"
    r"Team\s+inspector|Inspector"
)
_ROLE_RE = re.compile(rf"^(?:{_ROLE})$", re.I)
_PERSON = re.compile(
    r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Professor)\.?\s+)?(?<![\w'-])[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){1,3}$"
)
_NOT_A_PERSON = re.compile(
    r"\b(?:Council|Services?|Ofsted|Inspectorate|Authority|Partnership|Board|Team|Commission)\b"
)
_INSPECTORS_SENTENCE = re.compile(
    r"(?:the\s+inspectors\s+were|inspectors\s+were|inspection\s+team\s+(?:was|were|comprised)"
    r"|(?:visit|inspection)\s+was\s+(?:carried\s+out|undertaken|led|conducted)\s+by"
    r"|carried\s+out\s+by|undertaken\s+by|led\s+by)\s*:?\s*(?P<names>[^.]+)",
    re.I,
)
_INSPECTOR_LINE = re.compile(
    r"^\s*(?:Lead\s+inspector|Team\s+inspectors?|Inspectors?|Inspection\s+team)\s*:\s*(?P<names>.*)$",
    re.I,
)
_NOT_INSPECTOR_ROLE = re.compile(r"administrator|officer|assistant|manager|director", re.I)


def _names_in(listing: str) -> list[str]:
    names = []
    for part in re.split(r",|;|\band\b|\(|\)", listing):
        part = _fold(part).strip(" .:")
        if not part or _ROLE_RE.match(part) or _NOT_INSPECTOR_ROLE.search(part):
            continue
        part = re.sub(rf"\s*[-–]?\s*(?:{_ROLE})$", "", part, flags=re.I).strip(" ,")
        # "who was joined by Yusuf Albright": the name is the capitalised words at the end.
        person = _PERSON.search(part)
        if person and not _NOT_A_PERSON.search(person.group()):
            names.append(person.group())
    return names


def _inspectors(*, sentences: list[str], lines: list[str]) -> list[str]:
    found: list[str] = []
    for index, line in enumerate(lines):
        match = _INSPECTOR_LINE.match(line)
        if match is None:
            continue
        if match.group("names").strip():
            found.extend(_names_in(match.group("names")))
            continue
        # "Inspectors:" with one inspector a line below it, up to a blank line.
        for following in lines[index + 1 : index + 8]:
            if not following.strip():
                break
            found.extend(_names_in(following))
    for sentence in sentences:
        match = _INSPECTORS_SENTENCE.search(sentence)
        if match and re.search(r"inspector|HMI", sentence, re.I):
            found.extend(_names_in(match.group("names")))
    # The signatory, when the signatory is an inspector (not an Inspection Support Administrator).
    for index, line in enumerate(lines):
        if re.match(r"^\s*Yours\s+(?:sincerely|faithfully)", line, re.I):
            signature = [item.strip() for item in lines[index + 1 : index + 12] if item.strip()]
            if len(signature) >= 2 and re.search(
                r"(?:Majesty'?s\s+Inspector|\bHMI\b|Ofsted\s+Inspector|Lead\s+inspector)",
                signature[1],
                re.I,
            ):
                found.extend(_names_in(signature[0]))
    unique: list[str] = []
    for name in found:
        if name.casefold() not in {known.casefold() for known in unique}:
            unique.append(name)
    return unique


# --- Dates of the letter and of the visit -----------------------------------------------------

_DATE_LINE_PREFIX = re.compile(r"^\s*(?:Date(?:\s+of\s+letter)?|Dated)\s*:?\s*", re.I)


def _letter_date(header: list[str]) -> tuple[date | None, list[str]]:
    for line in header:
        stripped = _DATE_LINE_PREFIX.sub("", line).strip().rstrip(".")
        if not stripped:
            continue
        mentions = find_dates(stripped)
        if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(stripped):
            mention = mentions[0]
            if mention.problem:
                return None, [
                    f"The letter's date line cannot be read: {mention.problem}. Enter the letter "
                    "date by hand; no dates have been computed from it."
                ]
            if not mention.is_range:
                return mention.dates[0], []
    if len(header) <= 2:
        # A letter flattened onto one line: its one date above "Dear" is its date.
        dates = [m for m in find_dates(" ".join(header)[:3000]) if len(m.dates) == 1]
        if len(dates) == 1:
            return dates[0].dates[0], [
                f"The letter's date, {format_long(dates[0].dates[0])}, was read from a letter "
                "without its line breaks: check it."
            ]
    return None, [
        "No letter date was found (the date line at the top of the letter): dates that count "
        "from the letter date have not been computed. Enter the letter date by hand."
    ]


_VISIT_DATES_LINE = re.compile(
    r"^[ \t]*(?:inspection\s+dates?|dates?\s+of\s+(?:the\s+)?(?:inspection|visit)|visit\s+dates?)"
    r"[ \t]*:?[ \t]*(?P<dates>\d.*)$",
    re.I,
)
_VISIT_CONTEXT = re.compile(
    r"\b(?:visit(?:ed)?|inspect(?:ion|ed)|on[- ]site|took\s+place|fieldwork)\b", re.I
)
_EARLIER_EVENT = re.compile(
    r"\b(?:previous|last|earlier|prior|since|preceding|first\s+monitoring|second\s+monitoring"
    r"|third\s+monitoring)\b",
    re.I,
)


def _visit_dates(
    *, text: str, sentences: list[str], letter_date: date | None
) -> tuple[list[date], list[str]]:
    """The days on site: a report's "Inspection dates:" line, else the sentence that says when
    the visit took place. A range gives its two ends; a second period after it ("… and 7 to 8
    August 2019") is a return visit, not the fieldwork."""
    lines = text.splitlines()
    for index, line in enumerate(lines[:200]):
        match = _VISIT_DATES_LINE.match(line)
        if match is None:
            continue
        # The line may wrap inside its date: "29 October 2018 to 9" / "November 2018".
        region = " ".join([match.group("dates"), *lines[index + 1 : index + 2]])[:200]
        for mention in find_dates(region):
            if mention.dates:
                return sorted(set(mention.dates)), []
            break
    for sentence in sentences:
        if not _VISIT_CONTEXT.search(sentence) or _EARLIER_EVENT.search(sentence):
            continue
        mentions = _dates_in(sentence)
        for index, mention in enumerate(mentions):
            before = sentence[mentions[index - 1].end if index else 0 : mention.start][-300:]
            context = before
            if re.fullmatch(r"\W*(?:between|from|on)?\W*", before, re.I):
                # "Between 11 and 15 July 2022, Ofsted … carried out a joint inspection …"
                context = sentence[mention.end : mention.end + 300]
            if not _VISIT_CONTEXT.search(context):
                continue
            if not mention.is_range and _DEADLINE_CUE.search(before) and _deadline_kind(before):
                continue
            days, warnings = list(mention.dates), []
            if mention.problem and letter_date is not None and _YEARLESS in mention.problem:
                # "on 11 and 12 July" in a letter of 8 August 2018: the last July before it.
                days = _with_year_before(mention, letter_date)
                if days:
                    warnings = [
                        f"The visit dates '{mention.text}' have no year: "
                        f"{days[0].year} is taken from the letter's date "
                        f"({format_long(letter_date)}). Check it."
                    ]
            if not days:
                continue
            if letter_date is not None and max(days) > letter_date:
                continue
            return sorted(set(days)), warnings
    return [], []


_YEARLESS = "has no year"


@lru_cache(maxsize=64)
def _dates_in(sentence: str) -> tuple[DateMention, ...]:
    """find_dates for a sentence that is read for its visit dates and for its deadlines."""
    return tuple(find_dates(sentence))


def _with_year_before(mention: DateMention, letter_date: date) -> list[date]:
    """A yearless date or range read in the one year that puts it within the year before
    `letter_date`, or [] when no such year makes it a real date."""
    for year in (letter_date.year, letter_date.year - 1):
        days = _in_year(mention.text, year)
        if days and max(days) <= letter_date and (letter_date - min(days)).days < 366:
            return days
    return []


def _with_year_after(mention: DateMention, letter_date: date) -> list[date]:
    """A yearless deadline read in the one year that puts it after `letter_date`, within a
    year of it, or [] when no such year makes it a real date (31 June, a wrong weekday)."""
    for year in (letter_date.year, letter_date.year + 1):
        days = _in_year(mention.text, year)
        if days and min(days) > letter_date and (max(days) - letter_date).days <= 366:
            return days
    return []


def _in_year(written: str, year: int) -> list[date]:
    found = find_dates(f"{written} {year}")
    return list(found[0].dates) if len(found) == 1 and found[0].dates else []


# --- Deadlines --------------------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[MilestoneKind, re.Pattern[str]], ...] = (
    (
        MilestoneKind.ACTION_PLAN_DRAFT_DUE,
        re.compile(
            r"\bdraft\s+(?:of\s+(?:the\s+|your\s+)?)?(?:action\s+)?plan\b"
            r"|\bdraft\s+(?:written\s+)?statement\s+of\s+(?:proposed\s+)?action",
            re.I,
        ),
    ),
    (
        MilestoneKind.ACTION_PLAN_FINAL_DUE,
        re.compile(
            r"\baction\s+plan|\bfinal\s+plan\b|\bstatement\s+of\s+(?:proposed\s+)?action"
            r"|\bimprovement\s+plan\b",
            re.I,
        ),
    ),
    (
        MilestoneKind.FACTUAL_ACCURACY_DUE,
        re.compile(
            r"\bfactual\s+(?:accuracy|inaccurac|error)|\bcomments?\s+on\s+the\s+draft"
            r"|\bdraft\s+(?:inspection\s+)?(?:report|letter)\b",
            re.I,
        ),
    ),
    (MilestoneKind.COMPLAINT_DEADLINE, re.compile(r"\bcomplain", re.I)),
    (
        MilestoneKind.EMBARGO_LIFT,
        re.compile(r"\bembargo|\bpublish|\bpublication\b|\bpublicly\b|\bmade\s+public", re.I),
    ),
    (MilestoneKind.SURVEY_DEADLINE, re.compile(r"\bsurvey\b|\bfeedback\b|\bquestionnaire\b", re.I)),
)
# A deadline is introduced by one of these just before its date.
_DEADLINE_CUE = re.compile(
    r"\b(?:by|before|until|till|later\s+than|deadline|due|latest|on|is|be|expected|date)\b"
    r"[^.]{0,40}$",
    re.I,
)

_NUMBER_WORDS = {
    word: number
    for number, words in {
        1: "one first",
        2: "two second",
        3: "three third",
        4: "four fourth",
        5: "five fifth",
        6: "six sixth",
        7: "seven seventh",
        8: "eight eighth",
        9: "nine ninth",
        10: "ten tenth",
        12: "twelve twelfth",
        15: "fifteen fifteenth",
        20: "twenty twentieth",
        25: "twenty-five twenty-fifth",
        28: "twenty-eight twenty-eighth",
        30: "thirty thirtieth",
        40: "forty fortieth",
        50: "fifty fiftieth",
        60: "sixty sixtieth",
        70: "seventy seventieth",
    }.items()
    for word in words.split()
}
_NUMBER = (
    r"(?P<n>\d{1,3})(?:st|nd|rd|th)?|(?P<w>"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")"
)
_WORKING_DAYS = re.compile(rf"\b(?:{_NUMBER})\s+working\s+days?\b", re.I)
_CALENDAR_DAYS = re.compile(
    rf"\b(?:{_NUMBER})\s+(?:calendar\s+)?days?\s+(?:after|from|of|following)\b", re.I
)
# What a working-day period counts from: the words right after "N working days".
_PERIOD_BASE = re.compile(
    r"\s*(?:from|of|after|following|beginning\s+with|starting\s+(?:from|with))\s+"
    r"(?P<base>[^,.;]{0,90})",
    re.I,
)
_BASE_PUBLICATION = re.compile(r"\bpublication\b|\bpublished\b", re.I)
_BASE_VISIT_END = re.compile(
    r"(?:end|last\s+day)\s+of\s+(?:the\s+)?(?:visit|inspection|fieldwork)", re.I
)
# A period counted from a letter still to come ("the date of that covering letter").
_BASE_ANOTHER_DOCUMENT = re.compile(
    r"\bthat\b|\bnext\b|\bfuture\b|\bfinal\s+report\b|\bcovering\s+letter\b", re.I
)


@lru_cache(maxsize=1024)
def _deadline_kind(context: str) -> MilestoneKind | None:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(context):
            return kind
    return None


@dataclass(frozen=True)
class _Candidate:
    due: date
    evidence: str | None
    how: str  # "stated", "relative" or "rule"
    description: str | None
    estimate: bool = False


@dataclass
class _Deadlines:
    stated: dict[MilestoneKind, list[_Candidate]] = field(default_factory=dict)
    relative: dict[MilestoneKind, list[_Candidate]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add(
        self,
        table: dict[MilestoneKind, list[_Candidate]],
        kind: MilestoneKind,
        candidate: _Candidate,
    ) -> None:
        known = table.setdefault(kind, [])
        # More than two different dates for one milestone are a conflict however many there are.
        if len(known) < 3 and all(existing.due != candidate.due for existing in known):
            known.append(candidate)


def _explicit_deadlines(*, sentence: str, letter_date: date | None, deadlines: _Deadlines) -> None:
    mentions = _dates_in(sentence)
    for index, mention in enumerate(mentions):
        # The words just around the date decide what it is for; a window keeps a sentence of
        # a thousand dates linear.
        before = sentence[mentions[index - 1].end if index else 0 : mention.start][-_WINDOW:]
        after_end = mentions[index + 1].start if index + 1 < len(mentions) else len(sentence)
        after = sentence[mention.end : after_end][:_WINDOW]
        kind = _deadline_kind(before) if _DEADLINE_CUE.search(before) else None
        if (kind is None and not before.strip(" ,:;(")) or re.fullmatch(r"\W*by\W*", before, re.I):
            # "By 10 September 2018, please send your draft action plan."
            kind = _deadline_kind(after)
        if kind is None:
            if mention.problem and _YEARLESS not in mention.problem:
                deadlines.warnings.append(
                    f"{mention.problem[0].upper()}{mention.problem[1:]} "
                    f'(in: "{_quoted(sentence)}"). Check the letter.'
                )
            continue
        name = MILESTONE_NAMES[kind]
        days = list(mention.dates)
        if mention.problem and _YEARLESS in mention.problem and letter_date is not None:
            days = _with_year_after(mention, letter_date)
            if days and not mention.is_range:
                deadlines.warnings.append(
                    f"The {name} is written without a year ('{mention.text}'): it is read as "
                    f"{format_long(days[0])}, the only such day in the year after the letter's "
                    f"date ({format_long(letter_date)}). Check it."
                )
        if not days:
            deadlines.warnings.append(
                f'The {name} cannot be read: {mention.problem} (in: "{_quoted(sentence)}"). '
                "No date has been set from it: enter it by hand."
            )
            continue
        if len(days) != 1:
            continue
        due = days[0]
        if letter_date is not None and due < letter_date:
            # A date before the letter is history ("the feedback on Thursday 20 May 2021").
            continue
        deadlines.add(deadlines.stated, kind, _Candidate(due, sentence, "stated", None))


# How far either side of a date or period its meaning is looked for, in characters.
_WINDOW = 300


def _quoted(sentence: str) -> str:
    """A sentence as a warning quotes it: whole, unless it runs on for pages."""
    return sentence if len(sentence) <= 2 * _WINDOW else sentence[: 2 * _WINDOW] + " …"


def _period_base(
    *, after: str, document_kind: DocumentKind
) -> Literal["letter", "publication", "visit_end", "another_document"]:
    match = _PERIOD_BASE.match(after)
    if match is None:
        return "letter"  # "within 20 working days": from this letter, which asks for it
    base = match.group("base")
    if _BASE_PUBLICATION.search(base):
        return "publication"
    if _BASE_VISIT_END.search(base):
        return "visit_end"
    if _BASE_ANOTHER_DOCUMENT.search(base) and not (
        document_kind is DocumentKind.FINAL_REPORT_COVER and not re.search(r"\bthat\b", base)
    ):
        return "another_document"
    return "letter"


def _relative_deadlines(
    *,
    sentence: str,
    document_kind: DocumentKind,
    letter_date: date | None,
    publication: date | None,
    visit_end: date | None,
    calendar: WorkingDayCalendar,
    deadlines: _Deadlines,
) -> None:
    estimate: bool | None = None
    counted: dict[tuple[date, int], date] = {}
    for match in _WORKING_DAYS.finditer(sentence):
        count = (
            int(match.group("n")) if match.group("n") else _NUMBER_WORDS[match.group("w").lower()]
        )
        following = sentence[match.end() : match.end() + _WINDOW]
        kind = _deadline_kind(sentence[max(0, match.start() - _WINDOW) : match.start()])
        if kind is None:
            kind = _deadline_kind(sentence)  # the whole sentence's, read once (cached)
        if kind is None:
            continue
        name = MILESTONE_NAMES[kind]
        if re.match(r"\s*before\b", following, re.I):
            deadlines.warnings.append(
                f"The {name} is given as '{match.group()} before' another date (in: "
                f'"{_quoted(sentence)}"); the bot has not computed it: enter it by hand.'
            )
            continue
        counted_from = _period_base(after=following, document_kind=document_kind)
        if counted_from == "another_document":
            continue  # e.g. a draft report's note on the complaint window of the final report
        base, base_name = {
            "publication": (publication, "the publication date"),
            "visit_end": (visit_end, "the last day of the visit"),
            "letter": (letter_date, "the date of the letter"),
        }[counted_from]
        if base is None:
            deadlines.warnings.append(
                f"The {name} is {count} working days from {base_name}, which the letter does "
                "not give: enter the date by hand."
            )
            continue
        due = counted.get((base, count))
        if due is None:
            due = counted[(base, count)] = calendar.add_working_days(base, count)
        if estimate is None:
            estimate = bool(_ESTIMATE.search(sentence))
        description = (
            f"{count} working days from {base_name} ({format_long(base)}), as the letter says"
        )
        deadlines.add(
            deadlines.relative, kind, _Candidate(due, sentence, "relative", description, estimate)
        )


_ESTIMATE = re.compile(r"\busually\b|\btypically\b|\bnormally\b", re.I)


def _calendar_day_periods(sentence: str, deadlines: _Deadlines) -> None:
    for match in _CALENDAR_DAYS.finditer(sentence):
        if "working" in match.group().lower():
            continue
        if _deadline_kind(sentence) is None:
            return
        deadlines.warnings.append(
            f"The letter gives a period in days, not working days ('{match.group().strip()}', "
            f'in: "{_quoted(sentence)}"); the bot counts only working days, so check that '
            "period by hand."
        )


def _choose(
    *,
    kind: MilestoneKind,
    deadlines: _Deadlines,
    rule: MilestoneRule | None,
    rule_candidate: _Candidate | None,
    calendar: WorkingDayCalendar,
    letter_date: date | None,
) -> tuple[MilestoneFact | None, list[str]]:
    name = MILESTONE_NAMES[kind]
    stated = deadlines.stated.get(kind, [])
    relative = deadlines.relative.get(kind, [])
    if len(stated) > 1:
        dates = " and ".join(format_long(candidate.due) for candidate in stated)
        return None, [
            f"The document gives more than one {name}: {dates}. None has been "
            "chosen: check with Ofsted and enter the right one by hand."
        ]
    if len(relative) > 1 and not stated:
        dates = " and ".join(format_long(candidate.due) for candidate in relative)
        return None, [
            f"The letter gives more than one period for the {name} ({dates}). None has been "
            "chosen: enter the right date by hand."
        ]
    ranked = [*stated, *relative, *([rule_candidate] if rule_candidate else [])]
    if not ranked:
        return None, []
    chosen = ranked[0]
    warnings: list[str] = []
    compared = {chosen.due}
    for other in ranked[1:]:
        if other.due in compared:
            continue
        compared.add(other.due)
        where = "the rule's" if other.how == "rule" else "the letter's own"
        relation = "later" if chosen.due > other.due else "earlier"
        counted = (
            f" ({calendar.working_days_between(letter_date, chosen.due)} working days from the "
            "letter date)"
            if letter_date
            else ""
        )
        warnings.append(
            f"The letter's {name}, {format_long(chosen.due)}{counted}, is {relation} than "
            f"{where} {format_long(other.due)} ({other.description}). The letter's date is kept: "
            "check it with Ofsted if unsure."
        )
    if chosen.how == "rule" and rule is not None and rule.estimate:
        warnings.append(
            f"The {name}, {format_long(chosen.due)}, is an estimate ({rule.description}): "
            "confirm it when Ofsted gives the date."
        )
    # A date the letter states outright needs no rule beside it; one it counts in working days
    # says which period it counted.
    rule_text = None if chosen.how == "stated" else chosen.description
    source: Source = "rule" if chosen.how == "rule" else "letter"
    fact = MilestoneFact(
        kind=kind,
        due=chosen.due,
        source=source,
        evidence=chosen.evidence,
        rule=rule_text,
        estimate=chosen.estimate or bool(chosen.how == "rule" and rule and rule.estimate),
    )
    return fact, warnings


# --- The whole letter -------------------------------------------------------------------------


def read_letter(text: str, *, calendar: WorkingDayCalendar = ENGLAND_AND_WALES) -> LetterFacts:
    """Everything the bot needs from a letter or report's text.

    Raises NotAnOfstedLetter when the text is empty or is not from Ofsted about a visit or
    inspection of children's services.
    """
    text = _normalise(text)
    if not text.strip():
        raise NotAnOfstedLetter("the document has no text")
    text = _unflatten(text)
    lines = text.splitlines()
    dear_index = next((index for index, line in enumerate(lines) if _SALUTATION.match(line)), None)
    is_letter = dear_index is not None
    header = lines[:dear_index] if dear_index is not None else lines[:40]
    body = "\n".join(lines[dear_index + 1 :]) if dear_index is not None else text
    title = _title(lines, dear_index)
    opening = _fold(body[:4000])
    has_front_matter = bool(_REPORT_FRONT_MATTER.search(text))
    report_published, published_warnings = _report_published(lines)
    is_report = not is_letter and (has_front_matter or report_published is not None)

    warnings: list[str] = []
    sentences = _sentences(body)
    letter_date: date | None = None
    if is_letter:
        letter_date, date_warnings = _letter_date(header)
        warnings.extend(date_warnings)
    visit_dates, visit_warnings = _visit_dates(
        text=text, sentences=sentences, letter_date=letter_date
    )
    visit_type = _visit_type(title=title, opening=opening, visit_dates=visit_dates)

    if not _OFSTED.search(text) or (visit_type is VisitType.OTHER and not has_front_matter):
        raise NotAnOfstedLetter(
            "this does not look like an Ofsted letter or report about children's services "
            "(no mention of Ofsted and a visit or inspection)"
        )
    if not is_letter and not is_report:
        warnings.append(
            'This reads as neither a letter (no "Dear …") nor a report\'s front page: the facts '
            "below were read from its wording alone, and no dates were computed by rule. Check "
            "them against the letter itself."
        )

    document_kind = _document_kind(
        subject=title,
        body=body,
        is_letter=is_letter,
        visit_type=visit_type,
        has_front_matter=is_report,
    )
    local_authority, authority_code, authority_warnings = _local_authority(
        title=title, header=header, lines=lines, opening=opening
    )
    warnings.extend(authority_warnings)
    warnings.extend(visit_warnings)
    warnings.extend(published_warnings)
    inspectors = _inspectors(sentences=sentences, lines=lines)
    if document_kind is DocumentKind.INSPECTION_REPORT:
        # A report carries no deadline of its own: they come with the letter sent with it.
        sentences = []

    deadlines = _Deadlines()
    for sentence in sentences:
        _explicit_deadlines(sentence=sentence, letter_date=letter_date, deadlines=deadlines)
    publication = _single(deadlines.stated.get(MilestoneKind.EMBARGO_LIFT, []))
    for sentence in sentences:
        _relative_deadlines(
            sentence=sentence,
            document_kind=document_kind,
            letter_date=letter_date,
            publication=publication,
            visit_end=max(visit_dates) if visit_dates else None,
            calendar=calendar,
            deadlines=deadlines,
        )
        _calendar_day_periods(sentence, deadlines)
    warnings.extend(deadlines.warnings)

    priority_action = _has_priority_action(text, document_kind)
    rules = {
        rule.kind: rule
        for rule in rules_for(document_kind=document_kind, priority_action=priority_action)
    }
    trigger = _rule_evidence(sentences, document_kind)
    milestones: list[MilestoneFact] = []
    for kind in MilestoneKind:
        rule = rules.get(kind)
        rule_candidate = None
        if rule is not None and letter_date is not None:
            rule_candidate = _Candidate(
                calendar.add_working_days(letter_date, rule.working_days),
                trigger,
                "rule",
                f"{rule.description}; source: {rule.source}",
                rule.estimate,
            )
        fact, choice_warnings = _choose(
            kind=kind,
            deadlines=deadlines,
            rule=rule,
            rule_candidate=rule_candidate,
            calendar=calendar,
            letter_date=letter_date,
        )
        warnings.extend(choice_warnings)
        if fact is not None:
            milestones.append(fact)
    if document_kind is DocumentKind.INSPECTION_REPORT and not milestones:
        warnings.append(
            "This is an inspection report without its covering letter: the deadlines count from "
            "the date you received it, which the report does not give. Read the covering letter, "
            "or add the dates by hand."
        )

    return LetterFacts(
        local_authority=local_authority,
        visit_type=visit_type,
        document_kind=document_kind,
        letter_date=letter_date,
        visit_dates=tuple(visit_dates),
        inspectors=tuple(inspectors),
        milestones=tuple(sorted(milestones, key=lambda milestone: milestone.due)),
        warnings=tuple(dict.fromkeys(warnings)),
        authority_code=authority_code,
        report_published=report_published,
    )


# "Report published: 11 March 2016", "Published: 23 August 2013", "Publication date: 28/03/2024".
_PUBLISHED_LINE = re.compile(
    r"^[ \t]*(?:report\s+published[ \t]*:?|published[ \t]*:"
    r"|(?:date\s+(?:of\s+publication|published)|publication\s+date)[ \t]*:?)[ \t]*(?P<date>\S.*)$",
    re.I,
)


def _report_published(lines: list[str]) -> tuple[date | None, list[str]]:
    """The document's own publication date: a fact about the report, not an embargo to watch."""
    found: dict[date, str] = {}
    warnings: list[str] = []
    for line in lines:
        match = _PUBLISHED_LINE.match(line)
        if match is None:
            continue
        mentions = find_dates(match.group("date")[:80])
        if not mentions or mentions[0].start > 0:
            continue
        mention = mentions[0]
        if mention.problem:
            warnings.append(f"The report's publication date cannot be read: {mention.problem}.")
        elif not mention.is_range:
            found.setdefault(mention.dates[0], mention.text)
    if len(found) > 1:
        written = " and ".join(f"'{text}'" for text in found.values())
        return None, [
            *warnings,
            f"The document gives more than one publication date ({written}): none is shown.",
        ]
    return next(iter(found), None), warnings


def _single(candidates: list[_Candidate]) -> date | None:
    return candidates[0].due if len(candidates) == 1 else None


def _rule_evidence(sentences: list[str], document_kind: DocumentKind) -> str | None:
    """The sentence that makes a rule apply, shown beside a computed date."""
    trigger = {
        DocumentKind.FINAL_REPORT_COVER: _FINAL_REPORT,
        DocumentKind.DRAFT_REPORT_COVER: _DRAFT_REPORT,
        DocumentKind.FINDINGS_LETTER: _PRIORITY_ACTION,
        DocumentKind.JTAI_LETTER: _WRITTEN_STATEMENT,
    }.get(document_kind)
    if trigger is not None:
        for sentence in sentences:
            if trigger.search(sentence):
                return sentence
    return None
