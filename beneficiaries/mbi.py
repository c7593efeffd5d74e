"""The Medicare Beneficiary Identifier (SPEC §8): pure validation and formatting, no ORM.

An MBI is 11 characters: position 1 a digit 1-9; 2, 5, 8, 9 letters; 4, 7, 10, 11 digits;
3 and 6 a letter or a digit; letters never S, L, O, I, B or Z. It is accepted with or without
dashes (1EG4-TE5-MK73, CMS's published example) and stored as the 11 characters, upper case.
"""

import re

_LETTER = "[AC-HJKMNP-RT-Y]"  # A-Z without S, L, O, I, B, Z
_DIGIT = "[0-9]"
_EITHER = "[AC-HJKMNP-RT-Y0-9]"
_PATTERN = re.compile(
    "^[1-9]" + _LETTER + _EITHER + _DIGIT + _LETTER + _EITHER + _DIGIT + _LETTER * 2 + _DIGIT * 2 + "$"
)
_DASHED = re.compile(r"^[0-9A-Za-z]{4}-[0-9A-Za-z]{3}-[0-9A-Za-z]{4}$")


class InvalidMBI(ValueError):
    """Raised with a message that says which position is wrong."""


_RULES = {
    1: ("1-9", "a digit 1-9"),
    2: ("L", "a letter"), 5: ("L", "a letter"), 8: ("L", "a letter"), 9: ("L", "a letter"),
    4: ("D", "a digit"), 7: ("D", "a digit"), 10: ("D", "a digit"), 11: ("D", "a digit"),
    3: ("E", "a letter or a digit"), 6: ("E", "a letter or a digit"),
}
_FORBIDDEN = set("SLOIBZ")


def normalize_mbi(raw: str) -> str:
    """Return the stored form (11 upper-case characters) or raise InvalidMBI saying why."""
    if raw is None:
        raise InvalidMBI("An MBI is required.")
    text = str(raw).strip().upper()
    if "-" in text:
        if not _DASHED.match(text):
            raise InvalidMBI("Dashes go after the 4th and 7th characters, as in 1EG4-TE5-MK73.")
        text = text.replace("-", "")
    if len(text) != 11:
        raise InvalidMBI(f"An MBI has 11 characters; this one has {len(text)}.")
    for position, char in enumerate(text, start=1):
        kind, words = _RULES[position]
        if char.isalpha() and char in _FORBIDDEN:
            raise InvalidMBI(f"Position {position} is '{char}': the letters S, L, O, I, B and Z are never used.")
        ok = {
            "1-9": char in "123456789",
            "L": char.isalpha() and char.isascii(),
            "D": char.isdigit() and char.isascii(),
            "E": char.isascii() and char.isalnum(),
        }[kind]
        if not ok:
            raise InvalidMBI(f"Position {position} must be {words}; it is '{char}'.")
    assert _PATTERN.match(text), text  # the rules above are the pattern, spelled out
    return text


def is_valid_mbi(raw: str) -> bool:
    try:
        normalize_mbi(raw)
    except InvalidMBI:
        return False
    return True


def format_mbi(mbi: str) -> str:
    """The dashed display form: 1EG4-TE5-MK73."""
    return f"{mbi[:4]}-{mbi[4:7]}-{mbi[7:]}" if len(mbi) == 11 else mbi
