"""Money survives the database exactly (SPEC §5: Decimal, to the cent, never float): SQLite by default,
PostgreSQL with DATABASE_URL. Saved and reloaded amounts equal what was saved, with two places; a
sub-cent or negative amount is refused by validation; balances summed over many rows are exact (SQLite's
SUM goes through floating point — selectors.debt_balance must not)."""

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery.models import Claim, Debt, LedgerEntry, Settlement
from recovery.cases.selectors import debt_balance
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
VALUES = [D("0.00"), D("0.01"), D("0.10"), D("0.29"), D("1234567.89"),
          D("99999999999.99"), D("999999999999.99")]  # the last: the most a (14, 2) column holds
K = LedgerEntry.Kind


@pytest.fixture
def case():
    return factories.case()


def two_places(value: Decimal) -> str:
    return f"{value:.2f}"


def assert_exact(saved: Decimal, loaded: Decimal):
    assert isinstance(loaded, Decimal)
    assert loaded == saved
    assert str(loaded) == two_places(saved)  # and still to the cent: 0.10 stays "0.10", not "0.1"


def ledger_row(case, **fields):
    return LedgerEntry(**{"case": case, "kind": K.PAYMENT, "entry_date": date(2024, 1, 1), "amount": D("0.00"),
                          "actor_name": "test", **fields})


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


# --- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_claim_and_settlement_amounts_come_back_exactly(case, value):
    claim = factories.claim(case, amount_paid=value)
    assert_exact(value, Claim.objects.get(pk=claim.pk).amount_paid)
    assert_exact(value, Claim.objects.filter(pk=claim.pk).values_list("amount_paid", flat=True).get())
    settlement = factories.settlement(case, gross_amount=value, attorney_fees=value, other_costs=value)
    loaded = Settlement.objects.get(pk=settlement.pk)
    for field in ("gross_amount", "attorney_fees", "other_costs"):
        assert_exact(value, getattr(loaded, field))


@pytest.mark.parametrize("value", VALUES, ids=str)
def test_ledger_deltas_come_back_exactly_with_their_sign(case, value):
    row = ledger_row(case, principal=-value, interest=value, refund_owed=-value, amount=value, base=value)
    row.save()
    loaded = LedgerEntry.objects.get(pk=row.pk)
    assert_exact(-value, loaded.principal)
    assert_exact(value, loaded.interest)
    assert_exact(-value, loaded.refund_owed)
    assert_exact(value, loaded.amount)
    assert_exact(value, loaded.base)


@pytest.mark.parametrize("value", VALUES, ids=str)
@pytest.mark.parametrize("rate", ["0.00000", "0.11500", "0.12345", "1.00000"])
def test_debt_principal_and_rate_come_back_exactly(case, value, rate):
    debt = Debt.objects.create(case=case, demand_date=date(2024, 1, 1), principal=value, annual_rate=D(rate),
                               year_days=360, period_days=30, grace_days=60, rate_effective_from=date(2023, 7, 17),
                               posted_through=date(2024, 1, 1))
    loaded = Debt.objects.get(pk=debt.pk)
    assert_exact(value, loaded.principal)
    assert loaded.annual_rate == D(rate) and str(loaded.annual_rate) == rate


@pytest.mark.parametrize("bad", [D("0.005"), D("10.001"), D("1234567.891"), D("-0.01")], ids=str)
def test_sub_cent_and_negative_amounts_are_refused_by_validation(case, bad):
    claim = Claim(case=case, claim_number="C-ROUNDTRIP", provider_name="Albany Medical Center",
                  service_from=date(2023, 1, 10), service_to=date(2023, 1, 12), diagnosis_codes="S82.101A",
                  amount_paid=bad)
    with pytest.raises(ValidationError) as info:
        claim.full_clean()
    assert set(info.value.message_dict) == {"amount_paid"}

    settlement = Settlement(case=case, settlement_date=date(2023, 6, 1), gross_amount=D("30000.00"),
                            attorney_fees=bad, other_costs=D("0.00"))
    with pytest.raises(ValidationError) as info:
        settlement.full_clean()
    assert "attorney_fees" in info.value.message_dict


def test_an_amount_too_large_for_the_column_is_refused_by_validation(case):
    too_big = Claim(case=case, claim_number="C-BIG", provider_name="Albany Medical Center",
                    service_from=date(2023, 1, 10), service_to=date(2023, 1, 12), diagnosis_codes="S82.101A",
                    amount_paid=D("1000000000000.00"))
    with pytest.raises(ValidationError) as info:
        too_big.full_clean()
    assert "amount_paid" in info.value.message_dict


CENTS = st.decimals(min_value=D("0"), max_value=D("99999999999.99"), places=2, allow_nan=False,
                    allow_infinity=False)
ROUNDTRIP_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@ROUNDTRIP_SETTINGS
@given(value=CENTS)
def test_any_amount_in_cents_below_10_to_the_11_survives_a_round_trip(case, value):
    with rolled_back():
        claim = factories.claim(case, amount_paid=value)
        row = ledger_row(case, principal=-value, interest=value, amount=value)
        row.save()
        assert_exact(value, Claim.objects.get(pk=claim.pk).amount_paid)
        loaded = LedgerEntry.objects.get(pk=row.pk)
        assert_exact(-value, loaded.principal)
        assert_exact(value, loaded.interest)
        assert_exact(value, loaded.amount)


@ROUNDTRIP_SETTINGS
@given(values=st.lists(CENTS.filter(lambda v: v < D("1000000000")), min_size=1, max_size=30))
def test_the_balance_of_any_rows_is_their_exact_decimal_sum(case, values):
    with rolled_back():
        LedgerEntry.objects.bulk_create([ledger_row(case, principal=v, interest=v,
                                                    refund_owed=-v) for v in values])
        balance = debt_balance(case=case)
        total = sum(values, D("0.00"))
        assert (balance.principal, balance.interest, balance.refund_owed) == (total, total, -total)
        assert str(balance.principal) == two_places(total)


# --- sums over many rows ----------------------------------------------------------------------------


def test_a_thousand_rows_of_ten_and_twenty_cents_sum_exactly(case):
    LedgerEntry.objects.bulk_create(
        [ledger_row(case, principal=D("0.10"), interest=D("0.20"), refund_owed=D("0.30")) for _ in range(1000)]
        + [ledger_row(case, principal=D("-0.20"), interest=D("-0.10"), refund_owed=D("0.01")) for _ in range(333)]
    )
    balance = debt_balance(case=case)
    # float: 1000 × 0.1 = 99.9999999999986; the selector must give the Decimal sum.
    assert balance.principal == D("100.00") - D("66.60") == D("33.40")
    assert balance.interest == D("200.00") - D("33.30") == D("166.70")
    assert balance.refund_owed == D("300.00") + D("3.33") == D("303.33")
    assert balance.total == D("200.10")
    for value in (balance.principal, balance.interest, balance.refund_owed):
        assert isinstance(value, Decimal)
        assert str(value) == two_places(value)


def test_cents_on_top_of_a_large_balance_are_not_lost(case):
    """Near 10^11 a double has about 1/100,000 of a dollar of precision; a float sum drifts off the cent."""
    LedgerEntry.objects.bulk_create(
        [ledger_row(case, principal=D("99999999999.99"))]
        + [ledger_row(case, principal=D("-0.01"), interest=D("0.01")) for _ in range(999)]
        + [ledger_row(case, principal=D("0.07")) for _ in range(7)]
    )
    balance = debt_balance(case=case)
    assert balance.principal == D("99999999999.99") - D("9.99") + D("0.49") == D("99999999990.49")
    assert balance.interest == D("9.99")


def test_sqlite_sum_is_floating_point_which_is_why_the_selector_does_not_use_it(case):
    """Documents the database behaviour the selector works around (exact on PostgreSQL)."""
    LedgerEntry.objects.bulk_create([ledger_row(case, principal=D("0.10")) for _ in range(1000)])
    orm_sum = LedgerEntry.objects.filter(case=case).aggregate(s=Sum("principal"))["s"]
    if connection.vendor == "postgresql":
        assert orm_sum == D("100.00")
    else:
        assert isinstance(orm_sum, Decimal)  # Django turns the float SUM into a Decimal, rounded or not
    assert debt_balance(case=case).principal == D("100.00")


def test_a_case_with_no_ledger_rows_has_a_zero_balance(case):
    balance = debt_balance(case=case)
    assert (balance.principal, balance.interest, balance.refund_owed, balance.total) == (
        D("0.00"), D("0.00"), D("0.00"), D("0.00"))
