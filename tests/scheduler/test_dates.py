from datetime import date

import pytest

from scheduler.dates import find_dates, format_long


@pytest.mark.parametrize(
    ("text", "written", "dates"),
    [
        ("under embargo until 02 July 2021 at which", "02 July 2021", [date(2021, 7, 2)]),
        ("by 2 July 2021.", "2 July 2021", [date(2021, 7, 2)]),
        ("on Friday 2 July 2021", "Friday 2 July 2021", [date(2021, 7, 2)]),
        ("by the 2nd July 2021", "the 2nd July 2021", [date(2021, 7, 2)]),
        ("Wednesday, 8th of August, 2018", "Wednesday, 8th of August, 2018", [date(2018, 8, 8)]),
        ("by 2 Sept 2021", "2 Sept 2021", [date(2021, 9, 2)]),
        ("by July 2, 2021", "July 2, 2021", [date(2021, 7, 2)]),
        ("by 02/07/2021", "02/07/2021", [date(2021, 7, 2)]),  # day first, as in England
        ("BY 5 MAY 2021", "5 MAY 2021", [date(2021, 5, 5)]),
        ("on 11 and 12 July 2018.", "11 and 12 July 2018", [date(2018, 7, 11), date(2018, 7, 12)]),
        ("6 to 17 December 2021", "6 to 17 December 2021", [date(2021, 12, 6), date(2021, 12, 17)]),
        ("8 – 12 July 2013", "8 – 12 July 2013", [date(2013, 7, 8), date(2013, 7, 12)]),
        (
            "29 November to 10 December 2021",
            "29 November to 10 December 2021",
            [date(2021, 11, 29), date(2021, 12, 10)],
        ),
        (
            "3 March 2015 – 25 March 2015",
            "3 March 2015 – 25 March 2015",
            [date(2015, 3, 3), date(2015, 3, 25)],
        ),
        (
            "30 December to 7 January 2026",
            "30 December to 7 January 2026",
            [date(2025, 12, 30), date(2026, 1, 7)],
        ),
        (
            "30 December 2025 to 7 January 2026",
            "30 December 2025 to 7 January 2026",
            [date(2025, 12, 30), date(2026, 1, 7)],
        ),
        ("Monday 6 to Tuesday 7 March 2023", "Monday 6 to Tuesday 7 March 2023",
         [date(2023, 3, 6), date(2023, 3, 7)]),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_dates_written_the_ways_letters_write_them(text, written, dates):
    (mention,) = find_dates(text)
    assert mention.problem is None
    assert mention.text == written
    assert list(mention.dates) == dates
    assert text[mention.start : mention.end] == written


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("by 31 June 2021", "'31 June 2021' is not a real date"),
        ("by 29 February 2023", "'29 February 2023' is not a real date"),
        ("by Friday 3 July 2021", "3 July 2021 is a Saturday"),
        ("by 10 September.", "'10 September' has no year"),
        ("15 to 3 March 2024", "ends before it starts"),
    ],
    ids=lambda value: value,
)
def test_dates_that_cannot_be_read_come_back_as_problems_not_dates(text, problem):
    (mention,) = find_dates(text)
    assert mention.dates == ()
    assert problem in mention.problem


@pytest.mark.parametrize(
    "text",
    [
        "The Ofsted single inspection in November 2014 found",  # a month is not a date
        "Page 2, Paragraph 5",
        "on the 5 th line",
        "children who had been on a plan for over 18 months",
        "a 5 may be enough",  # the verb, not the month
        "within 20 working days",
    ],
)
def test_text_that_is_not_a_date(text):
    assert find_dates(text) == []


def test_a_leap_day_is_a_real_date():
    (mention,) = find_dates("by 29 February 2024")
    assert mention.dates == (date(2024, 2, 29),)


def test_two_dates_far_apart_joined_by_and_are_two_dates_not_a_range():
    mentions = find_dates("by 1 March 2024 and 30 June 2024")
    assert [mention.dates for mention in mentions] == [(date(2024, 3, 1),), (date(2024, 6, 30),)]


def test_several_dates_in_one_sentence_keep_their_order_and_places():
    sentence = (
        "You will receive the letter 24 hours before publication on 8 August 2018, so we expect "
        "to receive your final action plan on or before 3 December 2018 and your draft plan by "
        "10 September 2018."
    )
    mentions = find_dates(sentence)
    assert [mention.dates[0] for mention in mentions] == [
        date(2018, 8, 8),
        date(2018, 12, 3),
        date(2018, 9, 10),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(date(2021, 6, 29), "Tuesday 29 June 2021"), (date(2021, 7, 2), "Friday 2 July 2021")],
    ids=str,
)
def test_format_long_writes_dates_as_the_letters_do(value, expected):
    assert format_long(value) == expected
