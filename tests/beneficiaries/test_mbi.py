import pytest
from django.core.exceptions import ValidationError

from beneficiaries.mbi import InvalidMBI, format_mbi, is_valid_mbi, normalize_mbi
from tests import factories as f


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("1EG4-TE5-MK73", "1EG4TE5MK73"),  # CMS's published example, dashed
        ("1EG4TE5MK73", "1EG4TE5MK73"),
        ("1eg4-te5-mk73", "1EG4TE5MK73"),  # lower case is accepted
        (" 1EG4TE5MK73 ", "1EG4TE5MK73"),
        ("9AA9AA9AA99", "9AA9AA9AA99"),  # positions 3 and 6 may be letters
        ("1A09A09AA00", "1A09A09AA00"),  # ... or digits
    ],
)
def test_valid_mbis_are_accepted_and_stored_without_dashes(raw, stored):
    assert normalize_mbi(raw) == stored
    assert is_valid_mbi(raw)


@pytest.mark.parametrize(
    "raw, says",
    [
        ("", "11 characters"),
        ("1EG4TE5MK7", "11 characters"),
        ("1EG4TE5MK733", "11 characters"),
        ("0EG4TE5MK73", "Position 1 must be a digit 1-9"),
        ("AEG4TE5MK73", "Position 1 must be a digit 1-9"),
        ("11G4TE5MK73", "Position 2 must be a letter"),
        ("1EGATE5MK73", "Position 4 must be a digit"),
        ("1EG41E5MK73", "Position 5 must be a letter"),
        ("1EG4TEAMK73", "Position 7 must be a digit"),
        ("1EG4TE51K73", "Position 8 must be a letter"),
        ("1EG4TE5M173", "Position 9 must be a letter"),
        ("1EG4TE5MKA3", "Position 10 must be a digit"),
        ("1EG4TE5MK7A", "Position 11 must be a digit"),
        *[(f"1{c}G4TE5MK73", "never used") for c in "SLOIBZ"],
        ("1EO4TE5MK73", "never used"),  # forbidden letters in the either-positions too
        ("1EG4-TE5MK73", "Dashes go after"),
        ("1EG-4TE5-MK73", "Dashes go after"),
        ("1EG4_TE5_MK73", "11 characters"),
        ("1ÉG4TE5MK73", "Position 2 must be a letter"),
    ],
)
def test_invalid_mbis_are_refused_with_the_reason(raw, says):
    with pytest.raises(InvalidMBI, match=says):
        normalize_mbi(raw)
    assert not is_valid_mbi(raw)


def test_an_mbi_is_shown_with_dashes():
    assert format_mbi("1EG4TE5MK73") == "1EG4-TE5-MK73"


@pytest.mark.django_db
def test_a_beneficiary_saved_with_a_dashed_mbi_is_stored_normalised_and_found_by_either_form():
    bene = f.beneficiary(mbi="1eg4-te5-mk73")
    bene.refresh_from_db()
    assert bene.mbi == "1EG4TE5MK73"
    assert bene.mbi_display == "1EG4-TE5-MK73"


@pytest.mark.django_db
def test_model_validation_names_the_mbi_field():
    bene = f.beneficiary()
    bene.mbi = "1SG4TE5MK73"
    with pytest.raises(ValidationError) as err:
        bene.full_clean()
    assert "mbi" in err.value.message_dict
    assert "never used" in err.value.message_dict["mbi"][0]
