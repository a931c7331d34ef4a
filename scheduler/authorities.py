"""England's children's services authorities: the names Ofsted's documents use for them.

One entry per local authority that has children's services (the 153 of today, and Cumbria,
Northamptonshire and Poole, which Ofsted inspected before they were replaced), with the name as
the ONS register spells it, its ONS code, and the other names people write ("BCP", "Hull").
The usual wrappings of a name ("London Borough of X", "X County Council", "City of X",
"X Metropolitan Borough Council", "&" for "and", "St" for "St.") are read by `find`, not listed.

Pure data and lookups: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Authority:
    name: str  # as the ONS register writes it: "Bristol, City of", "St. Helens"
    code: str  # ONS code, e.g. "E06000023"
    also_known_as: tuple[str, ...] = ()


AUTHORITIES: tuple[Authority, ...] = (
    Authority('Barking and Dagenham', 'E09000002', ()),
    Authority('Barnet', 'E09000003', ()),
    Authority('Barnsley', 'E08000038', ()),
    Authority('Bath and North East Somerset', 'E06000022', ()),
    Authority('Bedford Borough', 'E06000055', ('Bedford',)),
    Authority('Bexley', 'E09000004', ()),
    Authority('Birmingham', 'E08000025', ()),
    Authority('Blackburn with Darwen', 'E06000008', ()),
    Authority('Blackpool', 'E06000009', ()),
    Authority('Bolton', 'E08000001', ()),
    Authority(
        'Bournemouth, Christchurch and Poole',
        'E06000058',
        ('BCP', 'Bournemouth, Christchurch & Poole', 'Bournemouth'),
    ),
    Authority('Bracknell Forest', 'E06000036', ()),
    Authority('Bradford', 'E08000032', ()),
    Authority('Brent', 'E09000005', ()),
    Authority('Brighton and Hove', 'E06000043', ()),
    Authority('Bristol, City of', 'E06000023', ('Bristol', 'City of Bristol')),
    Authority('Bromley', 'E09000006', ()),
    Authority('Buckinghamshire', 'E06000060', ()),
    Authority('Bury', 'E08000002', ()),
    Authority('Calderdale', 'E08000033', ()),
    Authority('Cambridgeshire', 'E10000003', ()),
    Authority('Camden', 'E09000007', ()),
    Authority('Central Bedfordshire', 'E06000056', ()),
    Authority('Cheshire East', 'E06000049', ()),
    Authority('Cheshire West and Chester', 'E06000050', ()),
    Authority('City of London', 'E09000001', ()),
    Authority('Cornwall', 'E06000052', ()),
    Authority('Coventry', 'E08000026', ()),
    Authority('Croydon', 'E09000008', ()),
    Authority('Cumberland', 'E06000063', ()),
    Authority('Cumbria', 'E10000006', ()),
    Authority('Darlington', 'E06000005', ()),
    Authority('Derby', 'E06000015', ()),
    Authority('Derbyshire', 'E10000007', ()),
    Authority('Devon', 'E10000008', ()),
    Authority('Doncaster', 'E08000017', ()),
    Authority('Dorset', 'E06000059', ()),
    Authority('Dudley', 'E08000027', ()),
    Authority('Durham', 'E06000047', ('County Durham',)),
    Authority('Ealing', 'E09000009', ()),
    Authority('East Riding of Yorkshire', 'E06000011', ('East Riding',)),
    Authority('East Sussex', 'E10000011', ()),
    Authority('Enfield', 'E09000010', ()),
    Authority('Essex', 'E10000012', ()),
    Authority('Gateshead', 'E08000037', ()),
    Authority('Gloucestershire', 'E10000013', ()),
    Authority('Greenwich', 'E09000011', ()),
    Authority('Hackney', 'E09000012', ()),
    Authority('Halton', 'E06000006', ()),
    Authority('Hammersmith and Fulham', 'E09000013', ()),
    Authority('Hampshire', 'E10000014', ()),
    Authority('Haringey', 'E09000014', ()),
    Authority('Harrow', 'E09000015', ()),
    Authority('Hartlepool', 'E06000001', ()),
    Authority('Havering', 'E09000016', ()),
    Authority(
        'Herefordshire', 'E06000019', ('Herefordshire, County of', 'County of Herefordshire')
    ),
    Authority('Hertfordshire', 'E10000015', ()),
    Authority('Hillingdon', 'E09000017', ()),
    Authority('Hounslow', 'E09000018', ()),
    Authority('Isle of Wight', 'E06000046', ()),
    Authority('Isles of Scilly', 'E06000053', ()),
    Authority('Islington', 'E09000019', ()),
    Authority('Kensington and Chelsea', 'E09000020', ()),
    Authority('Kent', 'E10000016', ()),
    Authority(
        'Kingston Upon Hull, City of', 'E06000010', ('Kingston upon Hull', 'Hull', 'City of Hull')
    ),
    Authority('Kingston upon Thames', 'E09000021', ()),
    Authority('Kirklees', 'E08000034', ()),
    Authority('Knowsley', 'E08000011', ()),
    Authority('Lambeth', 'E09000022', ()),
    Authority('Lancashire', 'E10000017', ()),
    Authority('Leeds', 'E08000035', ()),
    Authority('Leicester', 'E06000016', ()),
    Authority('Leicestershire', 'E10000018', ()),
    Authority('Lewisham', 'E09000023', ()),
    Authority('Lincolnshire', 'E10000019', ()),
    Authority('Liverpool', 'E08000012', ()),
    Authority('Luton', 'E06000032', ()),
    Authority('Manchester', 'E08000003', ()),
    Authority('Medway', 'E06000035', ()),
    Authority('Merton', 'E09000024', ()),
    Authority('Middlesbrough', 'E06000002', ()),
    Authority('Milton Keynes', 'E06000042', ()),
    Authority('Newcastle upon Tyne', 'E08000021', ('Newcastle',)),
    Authority('Newham', 'E09000025', ()),
    Authority('Norfolk', 'E10000020', ()),
    Authority('North East Lincolnshire', 'E06000012', ()),
    Authority('North Lincolnshire', 'E06000013', ()),
    Authority('North Northamptonshire', 'E06000061', ()),
    Authority('North Somerset', 'E06000024', ()),
    Authority('North Tyneside', 'E08000022', ()),
    Authority('North Yorkshire', 'E06000065', ()),
    Authority('Northamptonshire', 'E10000021', ()),
    Authority('Northumberland', 'E06000057', ()),
    Authority('Nottingham', 'E06000018', ()),
    Authority('Nottinghamshire', 'E10000024', ()),
    Authority('Oldham', 'E08000004', ()),
    Authority('Oxfordshire', 'E10000025', ()),
    Authority('Peterborough', 'E06000031', ()),
    Authority('Plymouth', 'E06000026', ()),
    Authority('Poole', 'E06000029', ()),
    Authority('Portsmouth', 'E06000044', ()),
    Authority('Reading', 'E06000038', ()),
    Authority('Redbridge', 'E09000026', ()),
    Authority('Redcar and Cleveland', 'E06000003', ()),
    Authority('Richmond upon Thames', 'E09000027', ()),
    Authority('Rochdale', 'E08000005', ()),
    Authority('Rotherham', 'E08000018', ()),
    Authority('Rutland', 'E06000017', ()),
    Authority('Salford', 'E08000006', ()),
    Authority('Sandwell', 'E08000028', ()),
    Authority('Sefton', 'E08000014', ()),
    Authority('Sheffield', 'E08000039', ()),
    Authority('Shropshire', 'E06000051', ()),
    Authority('Slough', 'E06000039', ()),
    Authority('Solihull', 'E08000029', ()),
    Authority('Somerset', 'E06000066', ()),
    Authority('South Gloucestershire', 'E06000025', ()),
    Authority('South Tyneside', 'E08000023', ()),
    Authority('Southampton', 'E06000045', ()),
    Authority('Southend-on-Sea', 'E06000033', ('Southend',)),
    Authority('Southwark', 'E09000028', ()),
    Authority('St. Helens', 'E08000013', ('St Helens',)),
    Authority('Staffordshire', 'E10000028', ()),
    Authority('Stockport', 'E08000007', ()),
    Authority('Stockton-on-Tees', 'E06000004', ()),
    Authority('Stoke-on-Trent', 'E06000021', ('Stoke',)),
    Authority('Suffolk', 'E10000029', ()),
    Authority('Sunderland', 'E08000024', ()),
    Authority('Surrey', 'E10000030', ()),
    Authority('Sutton', 'E09000029', ()),
    Authority('Swindon', 'E06000030', ()),
    Authority('Tameside', 'E08000008', ()),
    Authority('Telford and Wrekin', 'E06000020', ()),
    Authority('Thurrock', 'E06000034', ()),
    Authority('Torbay', 'E06000027', ()),
    Authority('Tower Hamlets', 'E09000030', ()),
    Authority('Trafford', 'E08000009', ()),
    Authority('Wakefield', 'E08000036', ()),
    Authority('Walsall', 'E08000030', ()),
    Authority('Waltham Forest', 'E09000031', ()),
    Authority('Wandsworth', 'E09000032', ()),
    Authority('Warrington', 'E06000007', ()),
    Authority('Warwickshire', 'E10000031', ()),
    Authority('West Berkshire', 'E06000037', ()),
    Authority('West Northamptonshire', 'E06000062', ()),
    Authority('West Sussex', 'E10000032', ()),
    Authority('Westminster', 'E09000033', ()),
    Authority('Westmorland and Furness', 'E06000064', ()),
    Authority('Wigan', 'E08000010', ()),
    Authority('Wiltshire', 'E06000054', ()),
    Authority('Windsor and Maidenhead', 'E06000040', ()),
    Authority('Wirral', 'E08000015', ()),
    Authority('Wokingham', 'E06000041', ()),
    Authority('Wolverhampton', 'E08000031', ()),
    Authority('Worcestershire', 'E10000034', ()),
    Authority('York', 'E06000014', ('City of York',)),
)

# "London Borough of X", "Council of the Isles of Scilly", "Royal Borough of X", "City of X".
_BEFORE = re.compile(
    r"^(?:the\s+)?(?:(?:royal|london|metropolitan)\s+borough\s+of|borough\s+of|city\s+of"
    r"|county\s+of|council\s+of(?:\s+the)?)\s+",
    re.I,
)
# "X Metropolitan Borough Council", "X County Council", "X City", "X local authority".
_AFTER = re.compile(
    r"\s+(?:(?:metropolitan\s+)?(?:borough|district)\s+council|county\s+borough\s+council"
    r"|(?:county|city|unitary)\s+council|council|unitary\s+authority|local\s+authority"
    r"|metropolitan\s+(?:borough|district)|borough|city|county)$",
    re.I,
)
# "Bristol, City of", "Herefordshire, County of": the register's inverted style.
_INVERTED = re.compile(r",\s*(?:city|county)\s+of$", re.I)


def _surface(name: str) -> str:
    """A name with the variations of spelling that carry no meaning taken out."""
    text = name.replace("&", " and ").replace("’", "'")
    text = re.sub(r"\bSt\.", "St", text)
    text = re.sub(r"(?<=\w)\s*[-‐–]\s*(?=\w)", " ", text)  # Stoke-on-Trent, Southend-on-Sea
    text = _INVERTED.sub("", " ".join(text.split()).strip(" ,.;:"))
    return text


def _key(name: str) -> str:
    text = _surface(name)
    if text.casefold() == "city of london":
        return "city of london"  # its own name: "London" alone names no authority
    while True:
        shorter = _AFTER.sub("", _BEFORE.sub("", text))
        if shorter == text or not shorter:
            break
        text = shorter
    return text.casefold()


@cache
def _by_key() -> dict[str, Authority]:
    table: dict[str, Authority] = {}
    for authority in AUTHORITIES:
        for name in (authority.name, *authority.also_known_as):
            table.setdefault(_key(name), authority)
    return table


@cache
def _any_name() -> re.Pattern[str]:
    names = {
        _surface(name)
        for authority in AUTHORITIES
        for name in (authority.name, *authority.also_known_as)
    }
    names |= {f"City of {_surface(a.name)}" for a in AUTHORITIES if a.name.endswith(", City of")}
    # Longest first, so that "North East Lincolnshire" wins over "Lincolnshire" at one place.
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])", re.I)


def lookup(name: str) -> Authority | None:
    """The authority a name stands for ("Hull City Council", "London Borough of Barnet")."""
    return _by_key().get(_key(name))


def find(text: str) -> Authority | None:
    """The first authority named in `text` (a title or an address block), or None.

    Only a name written with a capital counts: "reading" in a sentence is not Reading.
    """
    surface = _surface(text)
    for match in _any_name().finditer(surface):
        if match.group()[0].isupper():
            authority = lookup(match.group())
            if authority is not None:
                return authority
    return None
