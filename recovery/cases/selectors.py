"""Reads: balances, claim totals. No writes here (STYLE.md: selectors)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from ..money import rules as money
from ..models import ZERO, Claim, Dispute, LedgerEntry, RecoveryCase


@dataclass(frozen=True)
class Balance:
    principal: Decimal
    interest: Decimal
    refund_owed: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def debt_balance(*, case: RecoveryCase) -> Balance:
    """Balances are derived from the append-only ledger (SPEC §5.5), never stored.

    PostgreSQL sums NUMERIC exactly. SQLite's SUM goes through floating point (it stores NUMERIC
    loosely), so there the rows — each read back exactly — are added up as Decimals here.
    """
    rows = LedgerEntry.objects.filter(case=case)
    if connection.vendor == "postgresql":
        sums = rows.aggregate(p=Sum("principal"), i=Sum("interest"), r=Sum("refund_owed"))
        return Balance(sums["p"] or ZERO, sums["i"] or ZERO, sums["r"] or ZERO)
    p = i = r = ZERO
    for dp, di, dr in rows.values_list("principal", "interest", "refund_owed"):
        p, i, r = p + dp, i + di, r + dr
    return Balance(p, i, r)


def related_claims(*, case: RecoveryCase):
    return case.claims.filter(status=Claim.Status.RELATED).order_by("service_from", "claim_number")


def related_claims_of(*, case_ids):
    """The related claims of many cases at once, each case's in related_claims's order."""
    return Claim.objects.filter(case_id__in=case_ids, status=Claim.Status.RELATED).order_by(
        "case_id", "service_from", "claim_number")


def conditional_payment_total(*, case: RecoveryCase) -> Decimal:
    """SPEC §5.1: related claims with dates of service inside the recovery period."""
    return money.conditional_payment_total(
        claims=[
            money.Claim(c.service_from, c.service_to, c.amount_paid, c.status == Claim.Status.RELATED)
            for c in case.claims.all()
        ],
        period_start=case.recovery_period_start or date.min,
        period_end=case.termination_date,
    )


def pending_dispute(*, case: RecoveryCase) -> Dispute | None:
    return case.disputes.filter(outcome=Dispute.Outcome.PENDING).order_by("-received_date", "-id").first()
