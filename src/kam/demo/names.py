"""Pools of invented names for the demo portfolio.

Every organisation and person of the demo is fictional. Place names are built from
syllables that do not form real town names we know of, and surnames are invented,
so that no demo row can be mistaken for a real hospital, payer or person.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = [
    "ACCOUNT_KINDS",
    "account_names",
    "email_address",
    "person_names",
]

_PLACE_HEADS = (
    "Bryn",
    "Caer",
    "Dorn",
    "Esk",
    "Faer",
    "Gild",
    "Harr",
    "Isk",
    "Jor",
    "Kell",
    "Lorr",
    "Myr",
    "Nev",
    "Aver",
    "Pask",
    "Quen",
    "Rhos",
    "Sav",
    "Thal",
    "Ulm",
    "Vesk",
    "Wyn",
    "Yss",
    "Zell",
)

_PLACE_TAILS = (
    "amere",
    "enholt",
    "oway",
    "avale",
    "efell",
    "owick",
    "astead",
    "enbury",
    "ecross",
    "arrow",
)

#: Account kinds: (kind, industry label, name patterns).
ACCOUNT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hospital": (
        "Hospital system",
        ("{} Health System", "{} Regional Health", "{} Medical Alliance"),
    ),
    "payer": (
        "Health insurance",
        ("{} Mutual Health Plan", "{} Health Assurance", "{}Care Health Plans"),
    ),
    "life_science": (
        "Life sciences",
        ("{} Biologics", "{} Therapeutics", "{} Genomics", "{} Diagnostics"),
    ),
    "clinic": (
        "Clinics",
        (
            "{} Family Clinics",
            "{} Orthopedic Partners",
            "{} Dialysis Centers",
            "{} Imaging Group",
            "{} Eye Institute",
        ),
    ),
}

_FIRST_NAMES = (
    "Adaeze",
    "Anouk",
    "Bastian",
    "Beatriz",
    "Cyrus",
    "Delphine",
    "Emeka",
    "Farida",
    "Gideon",
    "Hana",
    "Ilario",
    "Joanna",
    "Kaveh",
    "Leontine",
    "Malik",
    "Noor",
    "Oskar",
    "Pilar",
    "Quentin",
    "Rania",
    "Soren",
    "Tamsin",
    "Umar",
    "Vesna",
    "Wendell",
    "Ximena",
    "Yannick",
    "Zora",
)

_SURNAMES = (
    "Abernaught",
    "Bellchamber",
    "Corrabie",
    "Dunsevere",
    "Elmquarter",
    "Fallowmere",
    "Garnavich",
    "Holloquist",
    "Ibbertson",
    "Jandervelt",
    "Kessridge",
    "Lintermann",
    "Morrowgate",
    "Nettlecombe",
    "Ostrander-Vey",
    "Pellingrove",
    "Quillfeather",
    "Ravenholt",
    "Stroudwick",
    "Tamberlane",
    "Underhay",
    "Varnholt",
    "Wexcombe",
    "Yardeley",
    "Zamoranth",
)


_PLACE_QUALIFIERS = ("", "North ", "South ", "Upper ", "Lower ", "East ", "West ")


def place_names(rng: random.Random) -> Iterator[str]:
    """Invented place names in an order shuffled by ``rng``, plain ones first.

    Qualified names ("North …") only come once the plain ones run out, which only
    happens for portfolios far larger than the default.
    """
    names = [head + tail for head in _PLACE_HEADS for tail in _PLACE_TAILS]
    rng.shuffle(names)
    for qualifier in _PLACE_QUALIFIERS:
        for name in names:
            yield qualifier + name


def account_names(rng: random.Random, kinds: list[str], taken: set[str]) -> list[str]:
    """One unique invented organisation name per entry of ``kinds``.

    Names already in ``taken`` (the flagship's, say) are never reused.
    """
    used = set(taken)
    places = place_names(rng)
    result: list[str] = []
    for kind in kinds:
        patterns = ACCOUNT_KINDS[kind][1]
        while True:
            name = rng.choice(patterns).format(next(places))
            if name not in used:
                break
        used.add(name)
        result.append(name)
    return result


def person_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` unique invented full names, none of them in ``taken``."""
    pool = [
        f"{first} {last}"
        for first in _FIRST_NAMES
        for last in _SURNAMES
        if f"{first} {last}" not in taken
    ]
    if count > len(pool):
        raise ValueError(f"only {len(pool)} invented names are available, not {count}")
    return rng.sample(pool, count)


def email_address(name: str, domain: str) -> str:
    """``first.last@domain`` in lower case, hyphens and spaces turned into dots."""
    local = ".".join(part for part in name.lower().replace("-", " ").split())
    return f"{local}@{domain}"
