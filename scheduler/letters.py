"""Reading an Ofsted letter or report's text into facts and a timeline. Pure: text in, facts out.

The letter is the authority. A date it states outright is kept; a deadline it states in working
days ("by the end of the fifth working day from the date of this letter") is computed from its
own date; only what it leaves unsaid comes from the rules table. Whenever two of those disagree,
the stated date is kept and a warning names both. Nothing is guessed: a date that cannot be
read is a warning, never a milestone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from scheduler.calendar import ENGLAND_AND_WALES, WorkingDayCalendar
from scheduler.dates import find_dates, format_long
from scheduler.rules import (
    MILESTONE_LABELS,
    MILESTONE_NAMES,
    DocumentKind,
    MilestoneKind,
    MilestoneRule,
    VisitType,
    rules_for,
)

Source = Literal["letter", "rule"]


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

    def to_json(self) -> dict[str, Any]:
        """The `ofsted-bot letter --json` contract (MISSION.md): other tools read this shape."""
        return {
            "local_authority": self.local_authority,
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
                }
                for milestone in self.milestones
            ],
            "warnings": list(self.warnings),
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- Text preparation -------------------------------------------------------------------------

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "\u2009": " "})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[•■▪-])")
_BULLET = re.compile(r"^\s*(?:[-•■▪*]|\d+\.)\s+")


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_QUOTES)


def _fold(text: str) -> str:
    return " ".join(text.split())


def _sentences(text: str) -> list[str]:
    """Sentences, with the line breaks of a PDF or of a wrapped paragraph folded away."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [_BULLET.sub("", line) for line in paragraph.splitlines()]
        # A bullet or a short heading line starts a sentence of its own.
        joined = _fold(" ".join(lines))
        for sentence in _SENTENCE_END.split(joined):
            if sentence.strip():
                sentences.append(sentence.strip())
    return sentences


# --- Recognising the document -----------------------------------------------------------------

_VISIT_TYPE_PATTERNS: tuple[tuple[VisitType, re.Pattern[str]], ...] = (
    (VisitType.JTAI, re.compile(r"joint\s+targeted\s+area\s+inspection|\bJTAI\b", re.I)),
    (VisitType.MONITORING_VISIT, re.compile(r"monitoring\s+visit", re.I)),
    (VisitType.FOCUSED_VISIT, re.compile(r"focus(?:ed)?\s+visit", re.I)),
    (VisitType.SHORT_INSPECTION, re.compile(r"short\s+inspection", re.I)),
    (VisitType.STANDARD_INSPECTION, re.compile(r"standard\s+inspection", re.I)),
    (
        VisitType.STANDARD_INSPECTION,
        re.compile(
            r"inspection\s+of\s+(?:[\w' -]+?\s+)?local\s+authority\s+children's\s+services"
            r"|\bILACS\b(?!\s+(?:focus|monitoring))|children's\s+services\s+inspection",
            re.I,
        ),
    ),
)
_FINAL_REPORT = re.compile(r"\bfinal\s+report\b", re.I)
_DRAFT_REPORT = re.compile(r"\bdraft\s+(?:inspection\s+)?(?:report|letter)\b", re.I)
_FACTUAL_ACCURACY = re.compile(r"factual\s+(?:accuracy|inaccurac|error)", re.I)
_REPORT_FRONT_MATTER = re.compile(
    r"^\s*(?:inspection\s+dates?|lead\s+inspector|report\s+published|dates?\s+of\s+inspection)"
    r"\s*:",
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
_SALUTATION = re.compile(r"^\s*Dear\b", re.I)
_OFSTED = re.compile(
    r"\bOfsted\b|Office\s+for\s+Standards\s+in\s+Education|\bHMI\b|(?:Her|His)\s+Majesty'?s"
    r"\s+Inspector\b",
    re.I,
)


def _subject(lines: list[str], dear_index: int | None) -> str:
    """The subject line after "Dear …", or a report's title near the top."""
    if dear_index is not None:
        for line in lines[dear_index + 1 : dear_index + 4]:
            if line.strip():
                return _fold(line)
        return ""
    for line in lines[:40]:
        if re.search(r"\b(?:inspection|visit)\s+(?:of|to)\b", line, re.I):
            return _fold(line)
    return ""


def _visit_type(subject: str, text: str) -> VisitType:
    for region in (subject, text[:3000]):
        for visit_type, pattern in _VISIT_TYPE_PATTERNS:
            if pattern.search(region):
                return visit_type
    # Not in the title: the type the body mentions most often.
    counts = {
        visit_type: len(pattern.findall(text)) for visit_type, pattern in _VISIT_TYPE_PATTERNS
    }
    best = max(counts, key=lambda visit_type: counts[visit_type])
    return best if counts[best] else VisitType.OTHER


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
        if draft and _FACTUAL_ACCURACY.search(body) and (not final or draft.start() < final.start()):
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
_NAME_WORD = r"[A-Z][\w'.-]*"
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


def _local_authority(
    *, subject: str, header: list[str], text: str
) -> tuple[str | None, list[str]]:
    candidates: list[str] = []
    regions: list[tuple[str, tuple[re.Pattern[str], ...]]] = [
        (subject, (*_AUTHORITY_PATTERNS, _SUBJECT_TAIL))
    ]
    regions += [(line, _AUTHORITY_PATTERNS) for line in text.splitlines()[:80]]
    for region, patterns in regions:
        for pattern in patterns:
            match = pattern.search(region)
            cleaned = _clean_authority(match.group("name")) if match else None
            if cleaned:
                candidates.append(cleaned)
                break
        if candidates:
            break
    for line in header:
        match = _ADDRESS_COUNCIL.search(line.strip())
        if match:
            cleaned = _clean_authority(match.group("borough") or match.group("name"))
            if cleaned:
                candidates.append(cleaned)
    if not candidates:
        return None, ["The local authority could not be found in the letter: enter it by hand."]
    chosen = candidates[0]
    others = sorted({c for c in candidates if c.casefold() != chosen.casefold()})
    if others:
        return chosen, [
            f"The letter names the local authority as '{chosen}' and also as "
            + ", ".join(f"'{other}'" for other in others)
            + f"; '{chosen}' (from the subject line) is used: check it."
        ]
    return chosen, []


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
    return None, [
        "No letter date was found (the date line at the top of the letter): dates that count "
        "from the letter date have not been computed. Enter the letter date by hand."
    ]


_VISIT_DATES_LINE = re.compile(
    r"^\s*(?:inspection\s+dates?|dates?\s+of\s+(?:the\s+)?(?:inspection|visit)|visit\s+dates?)"
    r"\s*:\s*(?P<dates>.+)$",
    re.I | re.M,
)
_VISIT_CONTEXT = re.compile(
    r"\b(?:visit(?:ed)?|inspect(?:ion|ed)|on[- ]site|took\s+place|fieldwork)\b", re.I
)
_EARLIER_EVENT = re.compile(
    r"\b(?:previous|last|earlier|prior|since|preceding|first\s+monitoring|second\s+monitoring"
    r"|third\s+monitoring)\b",
    re.I,
)


def _visit_dates(*, text: str, sentences: list[str], letter_date: date | None) -> list[date]:
    line = _VISIT_DATES_LINE.search(text)
    if line:
        for mention in find_dates(line.group("dates")):
            if mention.dates:
                return sorted(set(mention.dates))
    for sentence in sentences:
        if not _VISIT_CONTEXT.search(sentence) or _EARLIER_EVENT.search(sentence):
            continue
        mentions = find_dates(sentence)
        for index, mention in enumerate(mentions):
            before = sentence[mentions[index - 1].end if index else 0 : mention.start]
            context = before
            if re.fullmatch(r"\W*(?:between|from|on)?\W*", before, re.I):
                # "Between 11 and 15 July 2022, Ofsted … carried out a joint inspection …"
                context = sentence[mention.end :]
            if not mention.dates or not _VISIT_CONTEXT.search(context):
                continue
            if not mention.is_range and _DEADLINE_CUE.search(before) and _deadline_kind(before):
                continue
            if letter_date is not None and max(mention.dates) > letter_date:
                continue
            return sorted(set(mention.dates))
    return []


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

    def add(self, table: dict[MilestoneKind, list[_Candidate]], kind: MilestoneKind,
            candidate: _Candidate) -> None:
        known = table.setdefault(kind, [])
        if all(existing.due != candidate.due for existing in known):
            known.append(candidate)


def _explicit_deadlines(
    *, sentence: str, letter_date: date | None, deadlines: _Deadlines
) -> None:
    mentions = find_dates(sentence)
    for index, mention in enumerate(mentions):
        before = sentence[mentions[index - 1].end if index else 0 : mention.start]
        after_end = mentions[index + 1].start if index + 1 < len(mentions) else len(sentence)
        after = sentence[mention.end : after_end]
        kind = _deadline_kind(before) if _DEADLINE_CUE.search(before) else None
        if kind is None and not before.strip(" ,:;(") or re.fullmatch(r"\W*by\W*", before, re.I):
            # "By 10 September 2018, please send your draft action plan."
            kind = _deadline_kind(after)
        if kind is None:
            if mention.problem and "has no year" not in mention.problem:
                deadlines.warnings.append(
                    f"{mention.problem[0].upper()}{mention.problem[1:]} (in: \"{sentence}\"). "
                    "Check the letter."
                )
            continue
        name = MILESTONE_NAMES[kind]
        if mention.problem:
            deadlines.warnings.append(
                f"The {name} cannot be read: {mention.problem} (in: \"{sentence}\"). "
                "No date has been set from it: enter it by hand."
            )
            continue
        if mention.is_range:
            continue
        due = mention.dates[0]
        if letter_date is not None and due < letter_date:
            # A date before the letter is history ("the feedback on Thursday 20 May 2021").
            continue
        deadlines.add(deadlines.stated, kind, _Candidate(due, sentence, "stated", None))


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
    for match in _WORKING_DAYS.finditer(sentence):
        count = int(match.group("n")) if match.group("n") else _NUMBER_WORDS[
            match.group("w").lower()
        ]
        kind = _deadline_kind(sentence[: match.start()]) or _deadline_kind(sentence)
        if kind is None:
            continue
        name = MILESTONE_NAMES[kind]
        if re.match(r"\s*before\b", sentence[match.end() :], re.I):
            deadlines.warnings.append(
                f"The {name} is given as '{match.group()} before' another date (in: "
                f"\"{sentence}\"); the bot has not computed it: enter it by hand."
            )
            continue
        counted_from = _period_base(after=sentence[match.end() :], document_kind=document_kind)
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
        due = calendar.add_working_days(base, count)
        estimate = bool(re.search(r"\busually\b|\btypically\b|\bnormally\b", sentence, re.I))
        description = f"{count} working days from {base_name} ({format_long(base)}), as the letter says"
        deadlines.add(
            deadlines.relative, kind, _Candidate(due, sentence, "relative", description, estimate)
        )


def _calendar_day_periods(sentence: str, deadlines: _Deadlines) -> None:
    for match in _CALENDAR_DAYS.finditer(sentence):
        if "working" in match.group().lower():
            continue
        kind = _deadline_kind(sentence)
        if kind is None:
            continue
        deadlines.warnings.append(
            f"The letter gives a period in days, not working days ('{match.group().strip()}', "
            f"in: \"{sentence}\"); the bot counts only working days, so check that period by hand."
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
    if chosen.how == "stated":
        # Where the letter's own words give a working-day period too, say which rule it answers.
        rule_text = None
    else:
        rule_text = chosen.description
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
    lines = text.splitlines()
    dear_index = next(
        (index for index, line in enumerate(lines) if _SALUTATION.match(line)), None
    )
    is_letter = dear_index is not None
    header = lines[:dear_index] if dear_index is not None else lines[:40]
    body = "\n".join(lines[dear_index + 1 :]) if dear_index is not None else text
    subject = _subject(lines, dear_index)
    visit_type = _visit_type(subject, text)
    has_front_matter = bool(_REPORT_FRONT_MATTER.search(text))

    if not _OFSTED.search(text) or not (is_letter or has_front_matter or subject) or (
        visit_type is VisitType.OTHER and not has_front_matter
    ):
        raise NotAnOfstedLetter(
            "this does not look like an Ofsted letter or report about children's services "
            "(no mention of Ofsted and a visit or inspection)"
        )

    document_kind = _document_kind(
        subject=subject,
        body=body,
        is_letter=is_letter,
        visit_type=visit_type,
        has_front_matter=has_front_matter,
    )
    warnings: list[str] = []
    sentences = _sentences(body)

    letter_date: date | None = None
    if is_letter:
        letter_date, date_warnings = _letter_date(header)
        warnings.extend(date_warnings)

    local_authority, authority_warnings = _local_authority(
        subject=subject, header=header, text=text
    )
    warnings.extend(authority_warnings)
    visit_dates = _visit_dates(text=text, sentences=sentences, letter_date=letter_date)
    inspectors = _inspectors(sentences=sentences, lines=lines)

    deadlines = _Deadlines()
    for sentence in sentences:
        _explicit_deadlines(sentence=sentence, letter_date=letter_date, deadlines=deadlines)
    _published_front_matter(text=text, deadlines=deadlines)
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
    )


_PUBLISHED_LINE = re.compile(r"^\s*(?:report\s+published|date\s+of\s+publication)\s*:?\s*(?P<date>.+)$", re.I | re.M)


def _published_front_matter(*, text: str, deadlines: _Deadlines) -> None:
    """A report's "Report published: …" line: the day the embargo lifted."""
    for match in _PUBLISHED_LINE.finditer(text):
        for mention in find_dates(match.group("date")):
            if mention.problem:
                deadlines.warnings.append(
                    f"The report's publication date cannot be read: {mention.problem}."
                )
            elif not mention.is_range:
                deadlines.add(
                    deadlines.stated,
                    MilestoneKind.EMBARGO_LIFT,
                    _Candidate(mention.dates[0], _fold(match.group()), "stated", None),
                )
            break


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
