"""The policy tables' seed figures (SPEC §3, §5.3, §5.5) — written by migration 0002 and restored
after a database flush (post_migrate), so an empty table never silently means "no threshold"."""

from datetime import date
from decimal import Decimal


SINCE_ALWAYS = date(1980, 12, 5)  # the MSP provisions (Omnibus Reconciliation Act of 1980)
SPEC3 = "SPEC §3 (cms-medicare-recovery-process; CRS pp. 25-28)"

CLOCKS = {
    "beneficiary": {"cpl_due": 65, "cpn_response": 30, "dispute_filing": 30, "dispute_decision": 45,
                    "itr": 90, "treasury_after_itr": 60},
    "plan": {"cpn_response": 30, "dispute_filing": 30, "dispute_decision": 45,
             "referral_notice": 60, "appeal_window": 120, "treasury_after_demand": 120},
    "ghp": {"payment_notice_response": 45, "itr": 120, "treasury_after_itr": 60},
}

THRESHOLDS = [
    # coverage type, from, amount, source
    ("liability", date(2012, 6, 15), "300.00", "SPEC §5.3: $300 (2012); dated from 77 FR 35917 (2012-06-15)"),
    ("liability", date(2014, 1, 1), "1000.00", "SPEC §5.3: $1,000 for liability from 2014-01-01"),
    ("no_fault", date(2016, 9, 26), "750.00", "SPEC §5.3: $750 for WC and no-fault without ORM from 2016-09-26"),
    ("workers_comp", date(2016, 9, 26), "750.00", "SPEC §5.3: $750 for WC and no-fault without ORM from 2016-09-26"),
    ("liability", date(2018, 1, 1), "750.00", "SPEC §5.3: $750 for all three by 2018"),
    ("no_fault", date(2018, 1, 1), "750.00", "SPEC §5.3: $750 for all three by 2018"),
    ("workers_comp", date(2018, 1, 1), "750.00", "SPEC §5.3: $750 for all three by 2018"),
    ("liability", date(2023, 1, 1), "750.00", "CRS p. 29 n. 119: threshold for 2023"),
    ("no_fault", date(2023, 1, 1), "750.00", "CRS p. 29 n. 119: threshold for 2023"),
    ("workers_comp", date(2023, 1, 1), "750.00", "CRS p. 29 n. 119: threshold for 2023"),
]


def seed(apps, schema_editor=None):
    ClockLength = apps.get_model("recovery", "ClockLength")
    RecoveryThreshold = apps.get_model("recovery", "RecoveryThreshold")
    FixedPercentageTerms = apps.get_model("recovery", "FixedPercentageTerms")
    SelfCalculatedTerms = apps.get_model("recovery", "SelfCalculatedTerms")
    InterestRate = apps.get_model("recovery", "InterestRate")
    for track, clocks in CLOCKS.items():
        for name, days in clocks.items():
            ClockLength.objects.get_or_create(track=track, name=name, effective_from=SINCE_ALWAYS,
                                              defaults={"days": days, "source": SPEC3})
    for coverage, since, amount, source in THRESHOLDS:
        RecoveryThreshold.objects.get_or_create(coverage_type=coverage, effective_from=since,
                                                defaults={"amount": Decimal(amount), "source": source})
    FixedPercentageTerms.objects.get_or_create(
        effective_from=date(2012, 6, 15),
        defaults={"percentage": Decimal("0.2500"), "settlement_cap": Decimal("5000.00"),
                  "source": "SPEC §5.3, CRS p. 29: 25% of settlements up to $5,000; dated from 77 FR 35917"})
    FixedPercentageTerms.objects.get_or_create(
        effective_from=date(2023, 10, 2),
        defaults={"percentage": Decimal("0.2500"), "settlement_cap": Decimal("10000.00"),
                  "source": "SPEC §5.3: cap raised to $10,000 from 2023-10-02"})
    SelfCalculatedTerms.objects.get_or_create(
        effective_from=date(2012, 6, 15),
        defaults={"settlement_limit": Decimal("25000.00"), "min_months_since_injury": 6, "min_days_since_care": 90,
                  "answer_days": 60, "settle_within_days": 60,
                  "source": "SPEC §5.3, CRS p. 29; dated from 77 FR 35917"})
    InterestRate.objects.get_or_create(
        effective_from=date(2023, 7, 17),
        defaults={"annual_rate": Decimal("0.11500"), "year_days": 360, "period_days": 30, "grace_days": 60,
                  "source": "SPEC §5.5: 11.50% effective 2023-07-17"})
