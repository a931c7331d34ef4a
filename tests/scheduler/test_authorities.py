"""The register of children's services authorities, held against ../shared/local-authorities.csv."""

import csv
import re

import pytest

from scheduler.authorities import AUTHORITIES, find, lookup
from tests.seeds import shared_path


@pytest.fixture(scope="module")
def published_rows():
    with shared_path("local-authorities.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.shared_reports
def test_the_register_has_every_authority_with_its_ons_code_and_nothing_else(published_rows):
    ours = {authority.name: authority.code for authority in AUTHORITIES}
    assert ours == {row["name"]: row["ons_code"] for row in published_rows}


@pytest.mark.shared_reports
def test_every_other_name_in_the_published_list_finds_its_authority(published_rows):
    for row in published_rows:
        for other in filter(None, re.split(r"\s*,\s*", row["also_known_as"].strip("[]\""))):
            # "[BCP, Bournemouth, Christchurch & Poole]" is a list of names split on commas, so
            # "Christchurch & Poole" alone is not one of them.
            if other in {"Christchurch & Poole"}:
                continue
            assert lookup(other) is not None and lookup(other).code == row["ons_code"], other


def test_no_name_stands_for_two_authorities():
    seen = {}
    for authority in AUTHORITIES:
        for name in (authority.name, *authority.also_known_as):
            found = lookup(name)
            assert found == authority, (name, found)
            seen.setdefault(name.casefold(), authority.code)
            assert seen[name.casefold()] == authority.code


@pytest.mark.parametrize(
    ("written", "name", "code"),
    [
        ("BCP", "Bournemouth, Christchurch and Poole", "E06000058"),
        ("Hull City Council", "Kingston Upon Hull, City of", "E06000010"),
        ("St Helens Council", "St. Helens", "E08000013"),
        ("London Borough of Barking and Dagenham", "Barking and Dagenham", "E09000002"),
        ("Royal Borough of Windsor and Maidenhead", "Windsor and Maidenhead", "E06000040"),
        ("Wirral Metropolitan Borough Council", "Wirral", "E08000015"),
        ("Durham County Council", "Durham", "E06000047"),
        ("City of York Council", "York", "E06000014"),
        ("Bristol City Council", "Bristol, City of", "E06000023"),
        ("Council of the Isles of Scilly", "Isles of Scilly", "E06000053"),
        ("Stoke on Trent", "Stoke-on-Trent", "E06000021"),
        ("Brighton & Hove City Council", "Brighton and Hove", "E06000043"),
        ("City of London", "City of London", "E09000001"),
    ],
)
def test_the_names_people_write_find_the_register_entry(written, name, code):
    authority = lookup(written)
    assert authority is not None and (authority.name, authority.code) == (name, code)


@pytest.mark.parametrize("written", ["London", "Estbury", "November", "Feedback", "London Borough"])
def test_a_word_that_is_no_authority_finds_none(written):
    assert lookup(written) is None


def test_find_takes_the_longest_name_at_the_first_place_named():
    assert find("Inspection of North East Lincolnshire local authority").name == (
        "North East Lincolnshire"
    )
    assert find("Inspection of Rotherham Metropolitan\nBorough Council").name == "Rotherham"
    # "reading" in a sentence is not Reading.
    assert find("After reading the plans, inspectors met Slough leaders").name == "Slough"
