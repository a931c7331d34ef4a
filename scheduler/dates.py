"""Finding the dates written in a letter, the way Ofsted writes them.

"02 July 2021", "2 July 2021", "Friday 2 July 2021", "2nd July 2021", "2 July, 2021",
"July 2, 2021", "02/07/2021" (day first, as in England), and ranges: "11 and 12 July 2018",
"6 to 17 December 2021", "8 – 12 July 2013", "29 November to 10 December 2021",
"3 March 2015 – 25 March 2015", "30 December 2025 to 7 January 2026".

Nothing here guesses: a date that does not exist, a weekday that does not match its date, or a
day and month without a year come back as a mention with a `problem`, not as a date.
"""

from __future__ import annotations

import calendar as std_calendar
import re
from dataclasses import dataclass
from datetime import date

_MONTHS: dict[str, int] = {}
for _number, _name in enumerate(std_calendar.month_name):
    if _name:
        _MONTHS[_name.lower()] = _number
        _MONTHS[_name[:3].lower()] = _number
_MONTHS["sept"] = 9

_WEEKDAYS: dict[str, int] = {}
for _number, _name in enumerate(std_calendar.day_name):
    _WEEKDAYS[_name.lower()] = _number
    _WEEKDAYS[_name[:3].lower()] = _number
for _abbreviation, _number in (("tues", 1), ("weds", 2), ("thur", 3), ("thurs", 3)):
    _WEEKDAYS[_abbreviation] = _number

_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"

# One date as Ofsted writes it: optional weekday, day, month, optional year.
def _full(prefix: str) -> str:
    return (
        rf"(?:(?P<{prefix}wd>{_WEEKDAY}),?\s+)?(?:the\s+)?(?P<{prefix}d>{_DAY})\s+(?:of\s+)?"
        rf"(?P<{prefix}m>{_MONTH})(?:,?\s+(?P<{prefix}y>{_YEAR}))?"
    )


# The first end of a range may leave out its month and year ("11 and 12 July 2018").
_PARTIAL = (
    rf"(?:(?P<awd>{_WEEKDAY}),?\s+)?(?:the\s+)?(?P<ad>{_DAY})"
    rf"(?:\s+(?:of\s+)?(?P<am>{_MONTH})(?:,?\s+(?P<ay>{_YEAR}))?)?"
)
_CONNECTOR = r"\s*(?:and|to|until|till|&|–|—|-|−)\s*"

_RANGE_RE = re.compile(
    rf"(?<![\w/]){_PARTIAL}{_CONNECTOR}{_full('b')}(?![\w/])", re.IGNORECASE
)
_SINGLE_RE = re.compile(rf"(?<![\w/]){_full('')}(?![\w/])", re.IGNORECASE)
# "July 2, 2021": rare in English letters, but cheap to read right.
_US_RE = re.compile(
    rf"(?<![\w/])(?:(?P<wd>{_WEEKDAY}),?\s+)?(?P<m>{_MONTH})\s+(?P<d>{_DAY}),?\s+(?P<y>{_YEAR})"
    r"(?![\w/])",
    re.IGNORECASE,
)
# "Friday 02/07/2021": the weekday is read too, so that a wrong one is caught as in words.
_NUMERIC_RE = re.compile(
    rf"(?<![\w/.])(?:(?P<wd>{_WEEKDAY}),?\s+)?(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/(?P<y>(?:19|20)\d\d)"
    r"(?![\w/])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """A date (or a range of dates) as written, where it was written, and what it means."""

    start: int
    end: int
    text: str
    dates: tuple[date, ...]  # one date, or the two ends of a range; empty when `problem`
    problem: str | None = None

    @property
    def is_range(self) -> bool:
        return len(self.dates) == 2


class _Unreadable(ValueError):
    pass


def _day_number(text: str) -> int:
    return int(re.match(r"\d+", text).group())  # type: ignore[union-attr]


def _build(day: int, month: int, year: int, weekday: str | None, written: str) -> date:
    try:
        value = date(year, month, day)
    except ValueError:
        raise _Unreadable(f"'{written}' is not a real date") from None
    if weekday is not None:
        expected = _WEEKDAYS[weekday.lower().rstrip(".")]
        if value.weekday() != expected:
            raise _Unreadable(
                f"'{written}' does not add up: {value.day} {value:%B %Y} is a {value:%A}"
            )
    return value


def find_dates(text: str) -> list[DateMention]:
    """Every date and date range written in `text`, in order of appearance.

    Ranges are read first; a single date inside a range already read is part of it. Linear in
    the text: each pattern's matches come in order, so one walk along what is taken finds any
    overlap.
    """
    mentions: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    for match in _RANGE_RE.finditer(text):
        mention = _range_mention(match)
        if mention is not None:
            mentions.append(mention)
            taken.append((match.start(), match.end()))

    for pattern in (_SINGLE_RE, _US_RE, _NUMERIC_RE):
        added: list[tuple[int, int]] = []
        index = 0
        for match in pattern.finditer(text):
            while index < len(taken) and taken[index][1] <= match.start():
                index += 1
            if index < len(taken) and taken[index][0] < match.end():
                continue  # inside a date already read
            single = _single_mention(match, numeric=pattern is _NUMERIC_RE)
            if single is not None:
                mentions.append(single)
                added.append((match.start(), match.end()))
        taken = sorted(taken + added)

    return sorted(mentions, key=lambda mention: mention.start)


def _written(match: re.Match[str]) -> tuple[str, int]:
    """The mention as written, whitespace folded, without a full stop that ends the sentence."""
    raw = match.group()
    end = match.end()
    if raw.endswith("."):
        raw, end = raw[:-1], end - 1
    return " ".join(raw.split()), end


def _is_month_word(text: str | None) -> bool:
    # "5 may be" is not a date: months are written with a capital, as in every letter.
    return text is None or text[0].isupper() or text.isdigit()


def _single_mention(match: re.Match[str], *, numeric: bool) -> DateMention | None:
    written, end = _written(match)
    groups = match.groupdict()
    if not _is_month_word(groups.get("m")):
        return None
    if groups.get("y") is None:
        return DateMention(match.start(), end, written, (), f"'{written}' has no year")
    month = int(groups["m"]) if numeric else _MONTHS[groups["m"].lower().rstrip(".")]
    try:
        value = _build(
            _day_number(groups["d"]), month, int(groups["y"]), groups.get("wd"), written
        )
    except _Unreadable as error:
        return DateMention(match.start(), end, written, (), str(error))
    return DateMention(match.start(), end, written, (value,))


def _range_mention(match: re.Match[str]) -> DateMention | None:
    """A range, or None when the text only looks like one ("70 and 12 July 2018" is not)."""
    written, end = _written(match)
    groups = match.groupdict()
    if not (_is_month_word(groups["am"]) and _is_month_word(groups["bm"])):
        return None
    if groups["by"] is None:
        return DateMention(match.start(), end, written, (), f"'{written}' has no year")
    end_month = _MONTHS[groups["bm"].lower().rstrip(".")]
    end_year = int(groups["by"])
    start_month = _MONTHS[groups["am"].lower().rstrip(".")] if groups["am"] else end_month
    if groups["ay"]:
        start_year = int(groups["ay"])
    else:
        # "30 December to 7 January 2026" crosses a year end; the range itself says so.
        start_year = end_year - 1 if start_month > end_month else end_year
    try:
        first = _build(
            _day_number(groups["ad"]), start_month, start_year, groups["awd"], written
        )
        last = _build(_day_number(groups["bd"]), end_month, end_year, groups["bwd"], written)
    except _Unreadable as error:
        return DateMention(match.start(), end, written, (), str(error))
    if last < first:
        return DateMention(
            match.start(), end, written, (), f"'{written}' ends before it starts"
        )
    if (last - first).days > 62:
        # Not one visit: two separate dates joined by "and" ("1 March and 30 June 2024").
        return None
    return DateMention(match.start(), end, written, (first, last))


def format_long(value: date) -> str:
    """A date as the letters write it: "Tuesday 29 June 2021"."""
    return f"{value:%A} {value.day} {value:%B %Y}"
