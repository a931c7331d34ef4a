"""Reading letters into facts: the two real letters, and wordings the seeds do not have."""

from datetime import date

import pytest

from scheduler.documents import document_text
from scheduler.letters import NotAnOfstedLetter, read_letter
from scheduler.rules import DocumentKind, MilestoneKind, VisitType
from tests.factories import docx_from_text, pdf_from_text
from tests.seeds import LETTER_2018, LETTER_2021, seed_letter


def _milestones(facts):
    return {
        milestone.kind.value: (milestone.due, milestone.source) for milestone in facts.milestones
    }


def _as_text(text):
    return text


def _through_pdf(text):
    return document_text(pdf_from_text(text), filename="letter.pdf")


def _through_docx(text):
    return document_text(docx_from_text(text), filename="letter.docx")


FORMATS = pytest.mark.parametrize(
    "convert", [_as_text, _through_pdf, _through_docx], ids=["text", "pdf", "docx"]
)


@pytest.mark.seed_letters
@FORMATS
def test_the_2018_focused_visit_letter(convert):
    facts = read_letter(convert(seed_letter(LETTER_2018).read_text()))
    # Named as the ONS register spells it, with its code.
    assert (facts.local_authority, facts.authority_code) == ("St. Helens", "E08000013")
    assert facts.visit_type is VisitType.FOCUSED_VISIT
    assert facts.document_kind is DocumentKind.FINDINGS_LETTER
    assert facts.letter_date == date(2018, 8, 8)
    assert facts.visit_dates == (date(2018, 7, 11), date(2018, 7, 12))
    assert facts.inspectors == ("Stella Elliott", "Caroline Walsh")
    milestones = _milestones(facts)
    assert milestones["action_plan_draft_due"] == (date(2018, 9, 10), "letter")
    assert milestones["action_plan_final_due"] == (date(2018, 12, 3), "letter")
    # The stated dates are kept, and each disagreement with a computed one is named.
    warnings = " ".join(facts.warnings)
    assert "Monday 10 September 2018" in warnings and "Thursday 6 September 2018" in warnings
    assert "Monday 3 December 2018" in warnings and "Thursday 15 November 2018" in warnings
    final = next(m for m in facts.milestones if m.kind is MilestoneKind.ACTION_PLAN_FINAL_DUE)
    assert "on or before 3 December 2018" in final.evidence


@pytest.mark.seed_letters
@FORMATS
def test_the_2021_final_report_covering_letter(convert):
    facts = read_letter(convert(seed_letter(LETTER_2021).read_text()))
    assert (facts.local_authority, facts.authority_code) == ("St. Helens", "E08000013")
    assert facts.visit_type is VisitType.FOCUSED_VISIT
    assert facts.document_kind is DocumentKind.FINAL_REPORT_COVER
    assert facts.report_published is None
    assert facts.letter_date == date(2021, 6, 22)
    # The administrator who signs the letter is not an inspector.
    assert facts.inspectors == ()
    assert _milestones(facts) == {
        "complaint_deadline": (date(2021, 6, 29), "letter"),
        "embargo_lift": (date(2021, 7, 2), "letter"),
        "survey_deadline": (date(2021, 8, 20), "letter"),
    }
    # "feedback on Thursday 20 May 2021" in the attached table is history, not a deadline.
    assert all("20 May" not in warning for warning in facts.warnings)
    # The stated embargo agrees with "eight working days from the date of this letter".
    assert facts.warnings == ()


@pytest.mark.seed_letters
def test_the_2021_letter_as_json_matches_the_contract():
    facts = read_letter(seed_letter(LETTER_2021).read_text()).to_json()
    assert set(facts) == {
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
    complaint = facts["milestones"][0]
    assert set(complaint) == {"kind", "due", "source", "evidence", "rule", "estimate"}
    assert complaint["estimate"] is False
    assert complaint["kind"] == "complaint_deadline"
    assert complaint["due"] == "2021-06-29"
    assert complaint["evidence"] == (
        "You must submit any complaint by the end of the fifth working day from the date of "
        "this letter."
    )
    assert "5 working days" in complaint["rule"]


LETTER_HEAD = """Ofsted
Clive House
70 Petty France
London
SW1H 9EX

{date_line}

Ms Jane Example
Director of Children's Services
Wealdbury Borough Council
Town Hall
Wealdbury
WB1 1AA

Dear Ms Example

{subject}

"""


def _letter(
    body, *, date_line="Tuesday 8 July 2025", subject="Final report: ILACS Focused Visit Wealdbury"
):
    return (
        LETTER_HEAD.format(date_line=date_line, subject=subject)
        + body
        + ("\n\nYours sincerely\n\nAnnie Admin\nInspection Support Administrator\n")
    )


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We would be grateful for your feedback by 02 July 2026.", date(2026, 7, 2)),
        ("We would be grateful for your feedback by 2 July 2026.", date(2026, 7, 2)),
        ("We would be grateful for your feedback by Thursday 2 July 2026.", date(2026, 7, 2)),
        ("We would be grateful for your feedback by 2nd July 2026.", date(2026, 7, 2)),
        ("Please complete the survey no later than 2 July 2026.", date(2026, 7, 2)),
        ("By 2 July 2026, please complete our post-inspection survey.", date(2026, 7, 2)),
    ],
    ids=["zero-padded", "plain", "weekday", "ordinal", "no-later-than", "date-first"],
)
def test_a_stated_survey_date_in_any_wording(sentence, expected):
    facts = read_letter(_letter(sentence))
    assert _milestones(facts)["survey_deadline"] == (expected, "letter")


def test_a_final_report_letter_that_states_nothing_gets_rule_dates_and_says_they_are_estimates():
    facts = read_letter(_letter("I enclose the final report of the focused visit."))
    milestones = _milestones(facts)
    # Tuesday 8 July 2025: 5 working days is Tuesday 15 July, 8 is Friday 18 July.
    assert milestones["complaint_deadline"] == (date(2025, 7, 15), "rule")
    assert milestones["embargo_lift"] == (date(2025, 7, 18), "rule")
    embargo = next(m for m in facts.milestones if m.kind is MilestoneKind.EMBARGO_LIFT)
    assert embargo.estimate
    assert any("estimate" in warning for warning in facts.warnings)


def test_a_stated_date_that_disagrees_with_the_rule_is_kept_and_both_are_shown():
    facts = read_letter(
        _letter(
            "You must submit any complaint by the end of the fifth working day from the date of "
            "this letter. The report will be published on 25 July 2025."
        )
    )
    assert _milestones(facts)["embargo_lift"] == (date(2025, 7, 25), "letter")
    (warning,) = [w for w in facts.warnings if "publication" in w]
    assert "Friday 25 July 2025" in warning and "Friday 18 July 2025" in warning


@pytest.mark.parametrize(
    ("sentence", "mention"),
    [
        ("We would be grateful for your feedback by 31 June 2026.", "31 June 2026"),
        ("We would be grateful for your feedback by Friday 2 July 2026.", "Friday 2 July 2026"),
        ("We would be grateful for your feedback by 31 June.", "31 June"),
        ("We would be grateful for your feedback by Monday 2 September.", "Monday 2 September"),
    ],
    ids=["impossible", "wrong-weekday", "no-year-impossible", "no-year-wrong-weekday"],
)
def test_a_deadline_that_cannot_be_read_is_a_warning_not_a_date(sentence, mention):
    facts = read_letter(_letter(sentence))
    assert "survey_deadline" not in _milestones(facts)
    assert any(mention in warning for warning in facts.warnings)


def test_a_deadline_without_a_year_takes_the_year_after_the_letter_date_and_says_so():
    # Letter of Tuesday 8 July 2025: "10 September" can only be 10 September 2025, and
    # "Friday 2 January" only 2 January 2026.
    facts = read_letter(
        _letter(
            "We would be grateful for your feedback by 10 September. Please send your draft "
            "action plan by Friday 2 January."
        )
    )
    milestones = _milestones(facts)
    assert milestones["survey_deadline"] == (date(2025, 9, 10), "letter")
    survey = next(m for m in facts.milestones if m.kind is MilestoneKind.SURVEY_DEADLINE)
    assert "10 September" in survey.evidence
    warnings = " ".join(facts.warnings)
    assert "'10 September'" in warnings and "without a year" in warnings
    assert "Wednesday 10 September 2025" in warnings


def test_a_deadline_without_a_year_in_a_letter_without_a_date_is_a_warning_not_a_date():
    facts = read_letter(
        _letter("We would be grateful for your feedback by 10 September.", date_line="")
    )
    assert "survey_deadline" not in _milestones(facts)
    assert any("10 September" in warning for warning in facts.warnings)


def test_visit_dates_without_a_year_take_the_year_before_the_letter_date():
    facts = read_letter(
        _letter(
            "This letter summarises the findings of the focused visit to Wealdbury children's "
            "services on 11 and 12 June.",
            subject="Focused visit to Wealdbury children's services",
        )
    )
    assert facts.visit_dates == (date(2025, 6, 11), date(2025, 6, 12))
    assert any("'11 and 12 June' have no year" in warning for warning in facts.warnings)


def test_without_a_letter_date_nothing_is_counted_from_it():
    facts = read_letter(
        _letter(
            "You must submit any complaint by the end of the fifth working day from the date of "
            "this letter. We would be grateful for your feedback by 20 August 2025.",
            date_line="",
        )
    )
    assert facts.letter_date is None
    assert _milestones(facts) == {"survey_deadline": (date(2025, 8, 20), "letter")}
    assert any("letter date" in warning for warning in facts.warnings)


def test_a_period_counted_from_a_letter_still_to_come_is_not_counted_from_this_one():
    facts = read_letter(
        _letter(
            "I attach the draft report. Please send us any comments on its factual accuracy "
            "within five working days of the date of this letter. If you then wish to complain, "
            "you will have until the end of the fifth working day from the date of that "
            "covering letter to do so.",
            subject="Draft report: focused visit to Wealdbury children's services",
        )
    )
    assert facts.document_kind is DocumentKind.DRAFT_REPORT_COVER
    assert _milestones(facts) == {"factual_accuracy_due": (date(2025, 7, 15), "letter")}


def test_a_period_in_plain_days_is_flagged_not_counted_as_working_days():
    facts = read_letter(
        _letter(
            "Please send us any comments on factual accuracy within 10 days of receipt of this "
            "letter.",
            subject="Draft report: focused visit to Wealdbury children's services",
        )
    )
    assert any("10 days of" in warning for warning in facts.warnings)
    # The rule still gives the usual five working days, as a computed date.
    assert _milestones(facts) == {"factual_accuracy_due": (date(2025, 7, 15), "rule")}


def test_two_different_dates_for_one_milestone_are_flagged_and_neither_is_chosen():
    facts = read_letter(
        _letter(
            "The report will be published on 18 July 2025. You may share it under embargo "
            "until 21 July 2025."
        )
    )
    assert "embargo_lift" not in _milestones(facts)
    assert any("more than one" in warning for warning in facts.warnings)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no text"),
        ("   \n\n  ", "no text"),
        ("Pancakes\n\nMix 100g flour with two eggs and 300ml milk. Rest for 30 minutes.", "Ofsted"),
        (
            "Dear residents\n\nOur children's services were visited by Ofsted last year and the "
            "council newsletter has all the news.",
            "Ofsted",
        ),
    ],
    ids=["empty", "blank", "recipe", "newsletter"],
)
def test_text_that_is_not_an_ofsted_letter_is_refused(text, problem):
    with pytest.raises(NotAnOfstedLetter, match=problem):
        read_letter(text)


def test_inspectors_named_across_a_line_break_and_with_his_majestys_title():
    facts = read_letter(
        _letter(
            "This letter summarises the findings of the monitoring visit to Wealdbury children's "
            "services on 10 and 11 June 2025. The visit was carried out by Nadia\nKowalczyk, His "
            "Majesty's Inspector, and Tom Reeve, His Majesty's Inspector.",
            subject="Monitoring visit to Wealdbury children's services",
        )
    )
    assert facts.visit_type is VisitType.MONITORING_VISIT
    assert facts.visit_dates == (date(2025, 6, 10), date(2025, 6, 11))
    assert facts.inspectors == ("Nadia Kowalczyk", "Tom Reeve")


def test_an_earlier_visit_mentioned_in_passing_is_not_this_visits_dates():
    facts = read_letter(
        _letter(
            "This is the fourth monitoring visit since the inspection in 2024. The previous "
            "monitoring visit was on 4 and 5 March 2025. This letter summarises the findings of "
            "the monitoring visit to Wealdbury children's services on 10 and 11 June 2025.",
            subject="Monitoring visit to Wealdbury children's services",
        )
    )
    assert facts.visit_dates == (date(2025, 6, 10), date(2025, 6, 11))


# --- Real documents' layouts: what the document is about, not what it mentions ----------------


@pytest.mark.seed_letters
@pytest.mark.parametrize("name", [LETTER_2018, LETTER_2021])
def test_a_seed_letter_gives_the_same_facts_as_text_as_a_pdf_and_flattened_onto_one_line(name):
    text = seed_letter(name).read_text()
    facts = read_letter(text).to_json()
    # A PDF whose pages break mid-sentence and repeat a running header and a page number.
    paragraphs = text.split("\n\n")
    paged = "\n\n".join(
        f"{paragraph}\n\nOfsted letter to the director of children's services\nPage {n} of 40\n\f"
        if n % 3 == 0
        else paragraph
        for n, paragraph in enumerate(paragraphs)
    )
    through_pdf = read_letter(_through_pdf(paged)).to_json()
    flattened = read_letter(" ".join(text.split())).to_json()
    for key in (
        "local_authority",
        "authority_code",
        "visit_type",
        "letter_date",
        "visit_dates",
        "inspectors",
    ):
        assert through_pdf[key] == facts[key], key
        assert flattened[key] == facts[key], key
    # The same dates from the same words (a flattened letter's sentences run on further).
    assert _due(through_pdf) == _due(facts) == _due(flattened)


def _due(facts):
    return [(m["kind"], m["due"], m["source"]) for m in facts["milestones"]]


def test_a_date_broken_across_a_page_is_read_whole():
    facts = read_letter(
        _letter(
            "This letter summarises the findings of the focused visit to Wealdbury children's "
            "services on 11 and 12 June\n\n2025. Inspectors looked at the front door.",
            subject="Focused visit to Wealdbury children's services",
        )
    )
    assert facts.visit_dates == (date(2025, 6, 11), date(2025, 6, 12))


@pytest.mark.parametrize(
    ("subject", "name", "code"),
    [
        (
            "Focused visit to BCP children's services",
            "Bournemouth, Christchurch and Poole",
            "E06000058",
        ),
        (
            "Monitoring visit to Hull City Council children's services",
            "Kingston Upon Hull, City of",
            "E06000010",
        ),
        (
            "Inspection of the London Borough of Barnet local authority children's services",
            "Barnet",
            "E09000003",
        ),
        ("Final report: ILACS Focused Visit St Helens", "St. Helens", "E08000013"),
    ],
)
def test_the_authority_is_named_as_the_register_names_it(subject, name, code):
    facts = read_letter(_letter("I enclose the final report.", subject=subject))
    assert (facts.local_authority, facts.authority_code) == (name, code)
    assert not any("register" in warning for warning in facts.warnings)


def test_an_authority_not_in_the_register_is_kept_as_written_with_a_warning():
    facts = read_letter(_letter("I enclose the final report."))
    assert (facts.local_authority, facts.authority_code) == ("Wealdbury", None)
    assert any("'Wealdbury' is not in the register" in warning for warning in facts.warnings)


def test_a_passing_mention_names_neither_the_authority_nor_the_visit_type():
    report = (
        "Inspection of Barnet local authority children's services\n\n"
        "Inspection dates: 3 to 14 June 2024\n\n"
        "Lead inspector: Jo Smith, His Majesty's Inspector\n\n"
        "Since a further focused visit in November 2018 and the monitoring visit to the "
        "council, leaders in Barnet have improved services. Ofsted inspectors visited Enfield "
        "too.\n"
    )
    facts = read_letter(report)
    assert (facts.local_authority, facts.visit_type) == ("Barnet", VisitType.STANDARD_INSPECTION)


@pytest.mark.parametrize(
    ("dates", "visit_type"),
    [
        ("3 to 7 June 2024", VisitType.SHORT_INSPECTION),
        ("3 to 14 June 2024", VisitType.STANDARD_INSPECTION),
    ],
)
def test_an_ilacs_report_is_short_or_standard_by_its_weeks_on_site(dates, visit_type):
    facts = read_letter(
        "Inspection of Sutton local authority children's services\n\n"
        f"Inspection dates: {dates}\n\nLead inspector: Jo Smith, His Majesty's Inspector\n\n"
        "Children's services in Sutton are good. Ofsted found strong leadership.\n"
    )
    assert facts.visit_type is visit_type
    assert facts.document_kind is DocumentKind.INSPECTION_REPORT


def test_a_single_inspection_report_is_a_standard_inspection_and_its_publication_no_deadline():
    facts = read_letter(
        "Wigan Council\n\nInspection of services for children in need of help and\n"
        "protection, children looked after and care leavers\n\n"
        "Inspection date: 9 January 2017 to 2 February 2017\n"
        "Report published: 31 March 2017\n\n"
        "Children's services in Wigan are good. Ofsted judged adoption performance good.\n"
    )
    assert facts.visit_type is VisitType.STANDARD_INSPECTION
    assert (facts.local_authority, facts.authority_code) == ("Wigan", "E08000010")
    assert facts.report_published == date(2017, 3, 31)
    assert facts.milestones == ()
    assert facts.to_json()["report_published"] == "2017-03-31"


def test_a_council_web_page_publication_date_is_the_documents_own_not_an_embargo():
    facts = read_letter(
        "Ofsted focused visit to Slough children's services\n\n"
        "Publication date: 28/03/2024\n\n"
        "Ofsted carried out a focused visit to Slough children's services on 6 and 7 February "
        "2024. The report is now published.\n"
    )
    assert facts.report_published == date(2024, 3, 28)
    assert facts.visit_type is VisitType.FOCUSED_VISIT
    assert all(m.kind is not MilestoneKind.EMBARGO_LIFT for m in facts.milestones)


def test_a_letter_without_dear_is_read_with_a_warning_not_refused():
    facts = read_letter(
        "Ofsted\nPiccadilly Gate\nManchester\n\n"
        "Monitoring visit to Sandwell children's services\n\n"
        "This letter summarises the findings of the monitoring visit to Sandwell children's "
        "services on 4 and 5 March 2025. The visit was carried out by Nadia Kowalczyk, His "
        "Majesty's Inspector.\n"
    )
    assert facts.visit_type is VisitType.MONITORING_VISIT
    assert (facts.local_authority, facts.visit_dates) == (
        "Sandwell",
        (date(2025, 3, 4), date(2025, 3, 5)),
    )
    assert any("neither a letter" in warning for warning in facts.warnings)


def test_a_council_paper_quoting_the_letter_is_read():
    facts = read_letter(
        "Report to Cabinet, 12 September 2018\n\n"
        "Ofsted focused visit: outcome\n\n"
        "1. Ofsted carried out a focused visit to St Helens children's services on 11 and 12 "
        "July 2018. The letter identified areas for priority action.\n"
    )
    assert (facts.local_authority, facts.visit_type) == ("St. Helens", VisitType.FOCUSED_VISIT)
    assert facts.visit_dates == (date(2018, 7, 11), date(2018, 7, 12))
