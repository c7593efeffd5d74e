"""Demo data: staff logins and a few dozen realistic cases in every state of every track.

Every case is walked to its state through the same services people use, so its dates, letters,
ledger and history are what the product itself would have written. Loading twice changes nothing:
the beneficiaries carry fixed MBIs and a case is only made for a beneficiary that has none.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from beneficiaries.models import Beneficiary
from payers.models import MSPOccurrence, Payer

from .money import ledger
from .cases import services
from .models import Claim, RecoveryCase, Settlement
from .access.roles import CASEWORKER, SUPERVISOR, ensure_groups
from .cases.tracks import State, Track

LOGINS = [
    # username, password, role, superuser
    ("admin", "admin-demo-2026", None, True),
    ("supervisor", "supervisor-demo-2026", SUPERVISOR, False),
    ("caseworker", "caseworker-demo-2026", CASEWORKER, False),
    ("caseworker2", "caseworker2-demo-2026", CASEWORKER, False),
]

PEOPLE = [
    ("Zoë", "Kowalski"), ("Łukasz", "Nowak"), ("María", "Hernández"), ("James", "O'Connor"), ("Aisha", "Bello"),
    ("Robert", "Chen"), ("Linda", "Johnson"), ("José", "Martínez"), ("Françoise", "Dubois"), ("Henry", "Walker"),
    ("Patricia", "Nguyen"), ("Søren", "Jensen"), ("Grace", "Okafor"), ("Thomas", "Müller"), ("Dorothy", "Smith"),
    ("Raymond", "Brown"), ("Hélène", "Lefèvre"), ("Walter", "Davis"), ("Ruth", "Garcia"), ("Kenji", "Tanaka"),
    ("Margaret", "Wilson"), ("Ángel", "Ramírez"), ("Evelyn", "Moore"), ("Frank", "Taylor"), ("Irene", "Anderson"),
    ("Chidi", "Eze"), ("Barbara", "Thomas"), ("Arthur", "Jackson"), ("Joan", "White"), ("Dmitri", "Volkov"),
    ("Carol", "Harris"), ("Eugene", "Martin"), ("Shirley", "Thompson"), ("Olga", "Petrova"), ("Harold", "Lee"),
    ("Nora", "Fitzgerald"), ("Samuel", "Clark"), ("Beatriz", "Souza"),
]
CITIES = [("Albany", "NY", "12207"), ("Buffalo", "NY", "14202"), ("Newark", "NJ", "07102"),
          ("Hartford", "CT", "06103"), ("Scranton", "PA", "18503"), ("Burlington", "VT", "05401")]
PROVIDERS = ["Albany Medical Center", "St. Peter's Hospital", "Mercy Orthopedics", "Capital Region Imaging",
             "Northway Physical Therapy", "Ellis Hospital"]
DIAGNOSES = ["S82.101A", "S72.001A", "S13.4XXA", "S33.5XXA", "M54.5", "S42.001A"]

# For each track: (state to reach, [(day offset, step)][, days ago]). A step is an action name or one of
# the data steps "claims", "settlement", "settlement_111", "pay" handled below. "Days ago" is how long
# before the day the demo is loaded its last step lands (default: 3 to 27 days). A few are set so that the
# work queue has something in each bucket on any day it is loaded: a CPL overdue and one due this week
# (the 65-day CPL clock is a person's step, so no sweep takes it), dispute decisions due today and overdue.
_B_CPL = [(0, "claims"), (1, "post_occurrence"), (2, "issue_rar"), (40, "issue_cpl")]
_B_DEMAND = _B_CPL + [(90, "settlement"), (95, "report_settlement"), (100, "issue_demand")]
_P_CPN = [(0, "claims"), (3, "issue_cpn")]
_P_DEMAND = _P_CPN + [(40, "issue_demand")]
_G_NOTICE = [(0, "claims"), (3, "issue_payment_notice")]
_G_DEMAND = _G_NOTICE + [(50, "issue_demand")]
PATHS = {
    Track.BENEFICIARY: [
        (State.REPORTED, []),
        (State.OCCURRENCE_POSTED, [(1, "post_occurrence")]),
        (State.RAR_ISSUED, [(1, "post_occurrence"), (2, "issue_rar")], 70),  # CPL overdue by 5 days
        (State.RAR_ISSUED, [(1, "post_occurrence"), (2, "issue_rar")], 62),  # CPL due in 3 days
        (State.CPL_ISSUED, _B_CPL),
        (State.CPN_ISSUED, [(0, "claims"), (0, "settlement"), (3, "issue_cpn")]),
        (State.CPN_ISSUED, _B_CPL + [(60, "settlement_111"), (62, "issue_cpn")]),
        (State.DISPUTE_PENDING, _B_CPL + [(50, "open_dispute")], 45),  # decision due today
        (State.SETTLEMENT_REPORTED, _B_CPL + [(90, "settlement"), (95, "report_settlement")]),
        (State.DEMAND_ISSUED, _B_DEMAND),
        (State.DEMAND_ISSUED, _B_DEMAND),
        (State.INTENT_TO_REFER_ISSUED, _B_DEMAND + [(190, "issue_itr")]),
        (State.REFERRED_TO_TREASURY, _B_DEMAND + [(190, "issue_itr"), (251, "refer_to_treasury")]),
        (State.APPEAL_PENDING, _B_DEMAND + [(110, "file_appeal")]),
        (State.WAIVER_PENDING, _B_DEMAND + [(110, "file_waiver")]),
        (State.CLOSED_PAID, _B_DEMAND + [(130, "pay")]),
        (State.CLOSED_NO_RECOVERY, [(5, "close_no_recovery")]),
        (State.ON_HOLD, _B_CPL + [(45, "put_on_hold")]),
    ],
    Track.PLAN: [
        (State.REPORTED, []),
        (State.CPN_ISSUED, _P_CPN),
        (State.DISPUTE_PENDING, _P_CPN + [(10, "open_dispute")], 48),  # decision overdue by 3 days
        (State.DEMAND_ISSUED, _P_DEMAND),
        (State.REFERRAL_NOTICE_ISSUED, _P_DEMAND + [(101, "issue_referral_notice")]),
        (State.REFERRED_TO_TREASURY, _P_DEMAND + [(101, "issue_referral_notice"), (161, "refer_to_treasury")]),
        (State.APPEAL_PENDING, _P_DEMAND + [(60, "file_appeal")]),
        (State.CLOSED_PAID, _P_DEMAND + [(70, "pay")]),
        (State.CLOSED_NO_RECOVERY, [(4, "close_no_recovery")]),
        (State.ON_HOLD, _P_CPN + [(8, "put_on_hold")]),
    ],
    Track.GHP: [
        (State.REPORTED, []),
        (State.PAYMENT_NOTICE_ISSUED, _G_NOTICE),
        (State.DEMAND_ISSUED, _G_DEMAND),
        (State.CHALLENGE_PENDING, _G_DEMAND + [(60, "file_challenge")]),
        (State.INTENT_TO_REFER_ISSUED, _G_DEMAND + [(170, "issue_itr")]),
        (State.REFERRED_TO_TREASURY, _G_DEMAND + [(170, "issue_itr"), (231, "refer_to_treasury")]),
        (State.CLOSED_PAID, _G_DEMAND + [(80, "pay")]),
        (State.CLOSED_NO_RECOVERY, [(4, "close_no_recovery")]),
        (State.ON_HOLD, _G_NOTICE + [(10, "put_on_hold")]),
    ],
}


def _mbi(i: int) -> str:
    letters = "ACDEFGHJKMNPQRTUVWXY"
    return f"{1 + i % 9}{letters[i % 20]}{letters[(i * 7) % 20]}{i % 10}{letters[(i * 3) % 20]}{i % 10}" \
           f"{(i * 3) % 10}{letters[(i * 11) % 20]}{letters[(i * 13) % 20]}{(i * 7) % 10}{i // 10 % 10}"


def _users():
    ensure_groups()
    User = get_user_model()
    from django.contrib.auth.models import Group

    users = {}
    for username, password, role, superuser in LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, password=password, is_staff=True, is_superuser=superuser,
                                            first_name=username.capitalize())
            if role:
                user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def _payers():
    specs = [("Keystone Casualty Insurance", Payer.Kind.LIABILITY), ("Empire Workers' Comp Fund", Payer.Kind.WORKERS_COMP),
             ("Garden State No-Fault Mutual", Payer.Kind.NO_FAULT), ("Hudson Valley Manufacturing Health Plan",
                                                                     Payer.Kind.EMPLOYER_GHP)]
    out = []
    for name, kind in specs:
        payer, _ = Payer.objects.get_or_create(
            name=name, defaults={"kind": kind, "address": "PO Box 4400\nHartford, CT 06103",
                                 "email": f"recovery@{name.split()[0].lower()}.example"})
        out.append(payer)
    return out


def _data_step(case, step, on, n, actor):
    if step == "claims":
        start = case.recovery_period_start
        for k in range(3):
            Claim.objects.create(
                case=case, claim_number=f"{case.number[-6:]}{k:02d}", provider_name=PROVIDERS[(n + k) % 6],
                provider_npi=f"{1234567890 + n * 10 + k}", service_from=start + timedelta(days=k * 9),
                service_to=start + timedelta(days=k * 9 + 2), diagnosis_codes=DIAGNOSES[(n + k) % 6],
                amount_paid=Decimal("850.00") + Decimal(n * 37 + k * 113) + Decimal("0.45"),
                paid_date=start + timedelta(days=k * 9 + 30),
            )
    elif step in ("settlement", "settlement_111"):
        Settlement.objects.create(
            case=case, settlement_date=on, gross_amount=Decimal(15000 + n * 1250), received_on=on,
            attorney_fees=Decimal(5000 + n * 400), other_costs=Decimal("312.50"),
            source=Settlement.Source.SECTION_111 if step == "settlement_111" else Settlement.Source.BENEFICIARY,
        )
    elif step == "pay":
        ledger.payment_record(case=case, amount=services.debt_balance(case=case).total, received_on=on, actor=actor)


_PARAMS = {
    "open_dispute": lambda case: {"claims": list(case.claims.all()[:1]), "filed_by": "Beneficiary's attorney",
                                  "grounds": "Treatment for an unrelated condition."},
    "close_no_recovery": lambda case: {"reason": "Withdrawn: no MSP occurrence after research."},
    "put_on_hold": lambda case: {"reason": "Bankruptcy stay pending."},
    "file_appeal": lambda case: {"reason": "Disputes the relatedness of two claims."},
    "file_waiver": lambda case: {"reason": "Financial hardship."},
    "file_challenge": lambda case: {"reason": "Employer had fewer than 20 employees."},
}


EXTERNAL_LOGINS = [
    # username, password, profile kind, organisation
    ("attorney", "attorney-demo-2026", "representative", "Kowalski & Partners LLP"),
    ("insurer", "insurer-demo-2026", "insurer_contact", "Garden State No-Fault Mutual"),
]
_DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _external_people(staff):
    """A demo attorney with a verified POR on two cases and a CTR on one, and an insurer contact with a
    verified letter of authority for the insurer that is the debtor on the plan-track cases."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries.models import Authorisation, ExternalProfile

    from .access.documents import document_store

    User = get_user_model()
    people = {}
    for username, password, kind, organisation in EXTERNAL_LOGINS:
        user = User.objects.filter(username=username).first()
        if user is None:
            first, last = ("Ada", "Kowalski") if kind == "representative" else ("Sam", "Rivera")
            user = User.objects.create_user(username, password=password, first_name=first, last_name=last)
            payer = Payer.objects.filter(name=organisation).first() if kind == "insurer_contact" else None
            ExternalProfile.objects.create(user=user, kind=kind, organisation=organisation, payer=payer)
        people[username] = user
    if Authorisation.objects.filter(holder__in=people.values()).exists():
        return

    def grant(holder, kind, *, case=None, payer=None, end=None):
        upload = SimpleUploadedFile(f"{kind}.pdf", _DEMO_PDF)
        doc = document_store(uploaded=upload, purpose="authorisation", actor=holder, case=case)
        Authorisation.objects.create(kind=kind, holder=holder, case=case, payer=payer, document=doc,
                                     beneficiary=case.beneficiary if case else None, ctr_end_date=end,
                                     status=Authorisation.Status.VERIFIED, submitted_by=holder,
                                     decided_by=staff, decided_on=timezone.localdate())

    bene_cases = RecoveryCase.objects.filter(track=Track.BENEFICIARY).order_by("pk")
    for state in (State.CPL_ISSUED, State.DEMAND_ISSUED):
        case = bene_cases.filter(state=state).first()
        if case:
            grant(people["attorney"], "por", case=case)
    ctr_case = bene_cases.filter(state=State.SETTLEMENT_REPORTED).first()
    if ctr_case:
        grant(people["attorney"], "ctr", case=ctr_case, end=timezone.localdate() + timedelta(days=180))
    insurer = people["insurer"].external_profile.payer
    if insurer:
        grant(people["insurer"], "loa", payer=insurer)
    _portal_work(people, bene_cases)


def _portal_work(people, bene_cases):
    """Issue 12: work waiting on the worklist — the attorney's settlement details sent through the portal
    (a submission to review) and a POR of theirs awaiting verification."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from beneficiaries.models import Authorisation

    from .access.documents import document_store
    from .portal.services import settlement_submit

    attorney = people["attorney"]
    case = bene_cases.filter(state=State.CPL_ISSUED, authorisations__holder=attorney).first()
    if case:
        today = timezone.localdate()
        settlement_submit(case=case, actor=attorney, on=today, settlement_date=today - timedelta(days=4),
                          gross_amount=Decimal("45000.00"), attorney_fees=Decimal("15000.00"),
                          other_costs=Decimal("1250.00"))
    pending = bene_cases.filter(state=State.CPN_ISSUED).first()
    if pending:
        doc = document_store(uploaded=SimpleUploadedFile("por.pdf", _DEMO_PDF), purpose="authorisation",
                             actor=attorney, case=pending)
        Authorisation.objects.create(kind="por", holder=attorney, case=pending, beneficiary=pending.beneficiary,
                                     document=doc, submitted_by=attorney)


@transaction.atomic
def load_demo(*, stdout=None) -> dict:
    users = _users()
    payers = _payers()
    caseworkers = [users["caseworker"], users["caseworker2"]]
    today = timezone.localdate()
    made = 0
    n = 0
    for track, paths in PATHS.items():
        for state, path, *ago in paths:
            n += 1
            first, last = PEOPLE[n % len(PEOPLE)]
            city, st, zip_code = CITIES[n % len(CITIES)]
            bene, created = Beneficiary.objects.get_or_create(
                mbi=_mbi(n), defaults=dict(
                    first_name=first, last_name=last, date_of_birth=date(1940 + n % 20, 1 + n % 12, 1 + n % 28),
                    address_line1=f"{100 + n} Main Street", city=city, state=st, zip_code=zip_code,
                    email=f"{first.lower()[:3]}{n}@mail.example" if n % 3 else "",
                    entitlement_basis=Beneficiary.EntitlementBasis.AGE, entitlement_start=date(2008 + n % 10, 1, 1)))
            if bene.cases.exists():
                continue
            # Date the walk so its last step lands a few days ago: clocks fall due around today.
            span = path[-1][0] if path else 0
            opened = today - timedelta(days=span + (ago[0] if ago else 3 + (n * 5) % 25))
            if track == Track.GHP:
                occ = MSPOccurrence.objects.create(
                    beneficiary=bene, payer=payers[3], coverage_type=MSPOccurrence.CoverageType.GHP,
                    coverage_start=opened - timedelta(days=400))
            else:
                occ = MSPOccurrence.objects.create(
                    beneficiary=bene, payer=payers[n % 3], coverage_type=[
                        MSPOccurrence.CoverageType.LIABILITY, MSPOccurrence.CoverageType.WORKERS_COMP,
                        MSPOccurrence.CoverageType.NO_FAULT][n % 3],
                    incident_date=opened - timedelta(days=60), injury_kind=MSPOccurrence.InjuryKind.TRAUMA,
                    orm=track == Track.PLAN)
            actor = users["supervisor"]
            case = services.case_open(
                beneficiary=bene, track=track, actor=actor, occurrence=occ,
                debtor_payer=None if track == Track.BENEFICIARY else occ.payer,
                caseworker=caseworkers[n % 2], opened_on=opened)
            for offset, step in path:
                on = opened + timedelta(days=offset)
                if step in ("claims", "settlement", "settlement_111", "pay"):
                    _data_step(case, step, on, n, actor)
                else:
                    params = _PARAMS.get(step, lambda case: {})(case)
                    services.case_act(case=case, action=step, actor=actor, on=on, **params)
                case.refresh_from_db()
            assert case.state == state, (track, state, case.state)
            made += 1
    _external_people(users["supervisor"])
    return {"cases_created": made,
            "logins": [(u, p) for u, p, _, _ in LOGINS] + [(u, p) for u, p, _, _ in EXTERNAL_LOGINS]}
