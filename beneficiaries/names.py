"""Names as a search compares them (issue 12 item 5): "Lukasz" finds Łukasz, "zoe" finds Zoë, on every
database. `fold` is the one normalisation: the search column (Beneficiary.search_name) holds the folded
name and a search folds what was typed the same way."""

import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ħ": "H", "ħ": "h",
    "ı": "i", "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th",
})


def fold(text: str) -> str:
    """Upper case, accents and marks removed, special letters spelt in ASCII, blanks collapsed:
    fold("  Łukasz  Nowak-Żółć ") == "LUKASZ NOWAK-ZOLC"."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_SPECIAL))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.upper().split())
