"""Test data in one place (STYLE.md). Plain functions: each makes a valid object, overridable."""

import itertools
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group, User

from beneficiaries.models import Beneficiary
from payers.models import MSPOccurrence, Payer
from recovery.cases import services
from recovery.models import Claim, Settlement
from recovery.cases.tracks import Track

_seq = itertools.count(1)
# Valid MBIs: digit, letter, either, digit, letter, either, digit, letter, letter, digit, digit.
_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


def mbi(n=None):
    n = next(_seq) if n is None else n
    a, b, c = _LETTERS[n % 20], _LETTERS[(n // 20) % 20], _LETTERS[(n // 400) % 20]
    return f"1{a}{b}{n % 10}{c}A{(n // 10) % 10}K{a}{(n // 100) % 10}{n % 7}"


def user(username=None, *, groups=(), superuser=False):
    from recovery.access.roles import ensure_groups

    ensure_groups()
    u = User.objects.create_user(username or f"user{next(_seq)}", password="pw-test-123", is_staff=True,
                                 is_superuser=superuser)
    for name in groups:
        u.groups.add(Group.objects.get(name=name))
    return u


def caseworker(username=None):
    return user(username, groups=["caseworker"])


def supervisor(username=None):
    return user(username, groups=["supervisor"])


def beneficiary(**kw):
    data = dict(
        mbi=mbi(), first_name="Zoë", last_name=f"Nowak{next(_seq)}", date_of_birth=date(1950, 3, 4),
        address_line1="12 Elm St", city="Albany", state="NY", zip_code="12207",
        entitlement_basis=Beneficiary.EntitlementBasis.AGE, entitlement_start=date(2015, 3, 1),
    )
    data.update(kw)
    return Beneficiary.objects.create(**data)


def payer(**kw):
    data = dict(name=f"Acme Casualty {next(_seq)}", kind=Payer.Kind.LIABILITY, address="1 Insurance Way\nHartford, CT",
                email="claims@acme.example")
    data.update(kw)
    return Payer.objects.create(**data)


def occurrence(bene=None, **kw):
    data = dict(beneficiary=bene or beneficiary(), payer=kw.pop("payer", None) or payer(),
                coverage_type=MSPOccurrence.CoverageType.LIABILITY, incident_date=date(2023, 1, 10),
                injury_kind=MSPOccurrence.InjuryKind.TRAUMA)
    data.update(kw)
    return MSPOccurrence.objects.create(**data)


def case(track=Track.BENEFICIARY, *, actor=None, opened_on=date(2023, 2, 1), **kw):
    actor = actor or user(superuser=True)
    if track == Track.GHP:
        occ = kw.pop("occurrence", None) or occurrence(
            coverage_type=MSPOccurrence.CoverageType.GHP, incident_date=None, injury_kind="",
            coverage_start=date(2022, 1, 1), payer=payer(kind=Payer.Kind.EMPLOYER_GHP))
    else:
        occ = kw.pop("occurrence", None) or occurrence(orm=track == Track.PLAN)
    debtor = occ.payer if track != Track.BENEFICIARY else None
    return services.case_open(beneficiary=occ.beneficiary, track=track, actor=actor, occurrence=occ,
                              debtor_payer=debtor, opened_on=opened_on, **kw)


def claim(case, **kw):
    data = dict(claim_number=f"C{next(_seq):08d}", provider_name="Albany Medical Center",
                service_from=date(2023, 1, 10), service_to=date(2023, 1, 12), diagnosis_codes="S82.101A",
                amount_paid=Decimal("1200.00"), paid_date=date(2023, 2, 15))
    data.update(kw)
    return Claim.objects.create(case=case, **data)


def settlement(case, **kw):
    data = dict(settlement_date=date(2023, 6, 1), gross_amount=Decimal("30000.00"),
                attorney_fees=Decimal("10000.00"), other_costs=Decimal("0.00"))
    data.update(kw)
    return Settlement.objects.create(case=case, **data)
