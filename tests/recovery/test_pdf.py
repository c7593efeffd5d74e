"""Letters as PDFs (SPEC §6): every kind renders, and the facts each letter must state are really in
the printed text — accented names exactly, case number, MBI with dashes, claims, totals, the demand's
§411.37 steps and due date, the CPN's respond-by date, the ITR's referral date."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from recovery.letters import compose as letters
from recovery.cases import services
from recovery.models import Letter
from recovery.letters.pdf import letter_filename, long_date, percent, render_letter_html, render_letter_pdf, usd
from recovery.cases.tracks import State as S
from recovery.cases.tracks import Track
from tests import factories

pytestmark = pytest.mark.django_db

K = Letter.Kind


# --- helpers ------------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """All pages' text, whitespace collapsed (so a phrase split over two lines still matches)."""
    assert data.startswith(b"%PDF-"), data[:20]
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_fonts(data: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font") or {}
        for ref in fonts.get_object().values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def flat(text: str) -> str:
    return " ".join(text.split())


def act(case, action, on, actor, **params):
    services.case_act(case=case, action=action, actor=actor, on=on, **params)
    return case


def letter_of(case, kind) -> Letter:
    return case.letters.filter(kind=kind).order_by("-letter_date", "-id").first()


# --- a beneficiary walked through the real services: RAR, CPL, settlement, demand ----------------


@pytest.fixture
def actor():
    return factories.user(superuser=True)


@pytest.fixture
def zoe_case(actor):
    bene = factories.beneficiary(first_name="Zoë", last_name="Kowalski", address_line1="7 Łąkowa Street",
                                 city="Albany", state="NY", zip_code="12207")
    occ = factories.occurrence(bene, incident_date=date(2023, 1, 10))
    case = factories.case(occurrence=occ, actor=actor, opened_on=date(2023, 2, 1))
    factories.claim(case, claim_number="24001100012345", provider_name="Albany Medical Center",
                    service_from=date(2023, 1, 10), service_to=date(2023, 1, 12), diagnosis_codes="S82.101A",
                    amount_paid=Decimal("1200.00"))
    factories.claim(case, claim_number="24001100067890", provider_name="Świętokrzyski Physical Therapy",
                    service_from=date(2023, 2, 6), service_to=date(2023, 2, 6), diagnosis_codes="S82.101A,M25.561",
                    amount_paid=Decimal("2345.67"))
    factories.claim(case, claim_number="24001100099999", provider_name="St. Peter's Hospital",
                    service_from=date(2023, 3, 15), service_to=date(2023, 3, 20), diagnosis_codes="S72.001A",
                    amount_paid=Decimal("5000.00"))
    act(case, "post_occurrence", date(2023, 2, 2), actor)
    act(case, "issue_rar", date(2023, 2, 3), actor)
    act(case, "issue_cpl", date(2023, 3, 30), actor)
    return case


@pytest.fixture
def zoe_demand(zoe_case, actor):
    factories.settlement(zoe_case, settlement_date=date(2023, 6, 1), gross_amount=Decimal("30000.00"),
                         attorney_fees=Decimal("9000.00"), other_costs=Decimal("1000.00"))
    act(zoe_case, "report_settlement", date(2023, 7, 20), actor)
    act(zoe_case, "issue_demand", date(2023, 8, 1), actor)
    assert zoe_case.state == S.DEMAND_ISSUED
    return letter_of(zoe_case, K.DEMAND)


def test_rar_names_the_beneficiary_and_what_comes_next(zoe_case):
    letter = letter_of(zoe_case, K.RAR)
    text = pdf_text(render_letter_pdf(letter))

    assert "Zoë Kowalski" in text
    assert "7 Łąkowa Street" in text
    assert zoe_case.number in text
    assert zoe_case.beneficiary.mbi_display in text and "-" in zoe_case.beneficiary.mbi_display
    assert "February 3, 2023" in text  # the letter date
    assert "April 9, 2023" in text  # the CPL within 65 days of the RAR
    assert "Consent to Release" in text and "Proof of Representation" in text
    assert "settlement" in text and "procurement costs" in text


def test_cpl_lists_every_related_claim_with_its_facts_and_the_interim_total(zoe_case):
    letter = letter_of(zoe_case, K.CPL)
    text = pdf_text(render_letter_pdf(letter))

    assert "Zoë Kowalski" in text
    assert zoe_case.number in text
    assert zoe_case.beneficiary.mbi_display in text
    for number in ("24001100012345", "24001100067890", "24001100099999"):
        assert number in text
    assert "Świętokrzyski Physical Therapy" in text
    assert "St. Peter's Hospital" in text
    assert "01/10/2023 – 01/12/2023" in text and "02/06/2023" in text
    assert "S82.101A, M25.561" in text and "S72.001A" in text
    assert "$1,200.00" in text and "$2,345.67" in text and "$5,000.00" in text
    assert "$8,545.67" in text  # the interim total
    assert "as of March 30, 2023" in text
    assert "April 29, 2023" in text  # dispute within 30 days
    assert "dispute" in text


def test_demand_states_the_computation_amount_due_date_interest_and_rights(zoe_demand):
    letter = zoe_demand
    comp = letter.content["computation"]
    assert comp["rule"] == "411.37(c)"
    text = pdf_text(render_letter_pdf(letter))

    assert "Zoë Kowalski" in text
    assert letter.case.beneficiary.mbi_display in text
    assert letter.case.number in text
    assert "January 10, 2023" in text  # date of incident
    assert "June 1, 2023" in text  # settlement date
    for number in ("24001100012345", "24001100067890", "24001100099999"):
        assert number in text
    assert "$8,545.67" in text  # conditional payments
    assert "$30,000.00" in text and "$10,000.00" in text  # settlement and procurement costs
    # $10,000 × $8,545.67 ÷ $30,000 = $2,848.56 (half up); recovery $8,545.67 − $2,848.56 = $5,697.11
    assert letter.amount == Decimal("5697.11")
    assert "Total demand amount: $5,697.11" in text
    assert "42 CFR 411.37(c)" in text
    for step in comp["steps"]:
        assert flat(step) in text, step
    assert "$2,848.56" in text
    assert "September 30, 2023 (60 days after the date of this letter)" in text  # the due date
    assert "11.50%" in text  # the rate in force on the demand date
    assert "Interest accrues from the date of this letter (August 1, 2023)" in text
    assert "interest first, then to principal" in text
    assert "redetermination" in text and "waive recovery" in text


def test_demand_after_an_unanswered_cpn_says_no_reduction_was_taken(actor):
    bene = factories.beneficiary(first_name="José", last_name="Martínez")
    case = factories.case(occurrence=factories.occurrence(bene), actor=actor, opened_on=date(2023, 7, 20))
    factories.claim(case, claim_number="CLM-JM-1", amount_paid=Decimal("4000.00"))
    factories.settlement(case, settlement_date=date(2023, 6, 1), gross_amount=Decimal("30000.00"),
                         attorney_fees=Decimal("10000.00"))
    act(case, "issue_cpn", date(2023, 7, 20), actor)
    act(case, "issue_demand", date(2023, 8, 20), actor)  # day 31: no response, automatic demand
    letter = letter_of(case, K.DEMAND)
    text = pdf_text(render_letter_pdf(letter))

    assert "José Martínez" in text
    assert "$4,000.00" in text and letter.amount == Decimal("4000.00")
    assert "No reduction for procurement costs was taken" in text


# --- Łukasz: CPN, dispute decision, demand, appeal and waiver decisions, ITR, Treasury referral ------


@pytest.fixture
def lukasz_case(actor):
    bene = factories.beneficiary(first_name="Łukasz", last_name="Nowak", address_line1="15 Żółkiewski Ave")
    case = factories.case(occurrence=factories.occurrence(bene, incident_date=date(2023, 1, 10)), actor=actor,
                          opened_on=date(2023, 8, 1))
    factories.claim(case, claim_number="LN-0001", provider_name="Albany Medical Center",
                    service_from=date(2023, 1, 10), service_to=date(2023, 1, 11), amount_paid=Decimal("3000.00"))
    factories.claim(case, claim_number="LN-0002", provider_name="Capital Region Imaging",
                    service_from=date(2023, 2, 1), service_to=date(2023, 2, 1), diagnosis_codes="M54.5",
                    amount_paid=Decimal("450.25"))
    factories.settlement(case, settlement_date=date(2023, 6, 1), gross_amount=Decimal("20000.00"),
                         attorney_fees=Decimal("5000.00"))
    act(case, "issue_cpn", date(2023, 9, 1), actor)
    return case


def test_cpn_states_the_payments_the_respond_by_date_and_what_to_send(lukasz_case):
    letter = letter_of(lukasz_case, K.CPN)
    assert letter.content["respond_by"] == "2023-10-01"
    text = pdf_text(render_letter_pdf(letter))

    assert "Łukasz Nowak" in text
    assert "15 Żółkiewski Ave" in text
    assert lukasz_case.number in text and lukasz_case.beneficiary.mbi_display in text
    assert "LN-0001" in text and "LN-0002" in text
    assert "$3,450.25" in text
    assert "Respond by: October 1, 2023" in text
    assert "without any reduction for fees or costs" in text
    assert "procurement costs (attorney fees and other expenses)" in text and "settlement documents" in text


def test_dispute_decision_shows_removed_claims_and_the_new_total(lukasz_case, actor):
    unrelated = lukasz_case.claims.get(claim_number="LN-0002")
    act(lukasz_case, "open_dispute", date(2023, 9, 10), actor, claims=[unrelated], filed_by="Łukasz Nowak",
        grounds="Back pain treated before the incident")
    act(lukasz_case, "decide_dispute", date(2023, 9, 20), actor, outcome="granted", removed_claims=[unrelated],
        reason="Records show the imaging was for an earlier condition.")
    letter = letter_of(lukasz_case, K.DISPUTE_DECISION)
    text = pdf_text(render_letter_pdf(letter))

    assert "Łukasz Nowak" in text
    assert "Decision: Granted" in text
    assert "Records show the imaging was for an earlier condition." in text
    assert "removed them: LN-0002" in text
    assert "New total conditional payments: $3,000.00" in text


def test_debt_letters_through_itr_and_treasury_referral(lukasz_case, actor):
    act(lukasz_case, "record_response", date(2023, 9, 15), actor)
    act(lukasz_case, "issue_demand", date(2023, 10, 16), actor)
    demand = letter_of(lukasz_case, K.DEMAND)
    demand_text = pdf_text(render_letter_pdf(demand))
    assert "Łukasz Nowak" in demand_text
    assert f"Total demand amount: {usd(demand.amount)}" in demand_text
    assert "December 15, 2023 (60 days after the date of this letter)" in demand_text

    act(lukasz_case, "file_appeal", date(2023, 11, 1), actor, reason="The fees were higher than reported.")
    act(lukasz_case, "decide_appeal", date(2023, 11, 20), actor, reason="No documentation of other fees.")
    appeal = pdf_text(render_letter_pdf(letter_of(lukasz_case, K.APPEAL_DECISION)))
    assert "Not in your favor: the debt stands" in appeal
    assert "No documentation of other fees." in appeal

    act(lukasz_case, "issue_itr", date(2024, 1, 14), actor)  # day 90 after the demand
    itr = letter_of(lukasz_case, K.ITR)
    text = pdf_text(render_letter_pdf(itr))
    assert "Łukasz Nowak" in text and lukasz_case.number in text
    assert f"Principal still owed {usd(itr.content['principal'])}" in text
    assert f"Balance with interest, as of January 14, 2024 {usd(itr.amount)}" in text
    # 60 days after the ITR (2024 is a leap year): resolve by March 14, referral on March 15.
    assert "Resolve the debt by: March 14, 2024 (60 days after the date of this letter)" in text
    assert "referred to the Treasury on: March 15, 2024" in text
    assert "paid in full" in text and "appeal" in text and "waive recovery" in text
    assert "Amount demanded on October 16, 2023" in text

    act(lukasz_case, "file_waiver", date(2024, 1, 20), actor, reason="Financial hardship.")
    act(lukasz_case, "decide_waiver", date(2024, 2, 1), actor, favourable=True, reduced_to="1000.00",
        reason="Repayment in full would cause financial hardship.")
    waiver = pdf_text(render_letter_pdf(letter_of(lukasz_case, K.WAIVER_DECISION)))
    assert "In your favor: the debt is reduced" in waiver
    assert "Debt reduced to $1,000.00" in waiver
    assert "Repayment in full would cause financial hardship." in waiver

    act(lukasz_case, "refer_to_treasury", date(2024, 3, 15), actor)
    referral = letter_of(lukasz_case, K.TREASURY_REFERRAL)
    text = pdf_text(render_letter_pdf(referral))
    assert "Łukasz Nowak" in text
    assert "On March 15, 2024 it was referred" in text
    assert f"Balance referred, as of March 15, 2024 {usd(referral.amount)}" in text


# --- plan and GHP tracks: the plan is the addressee, the beneficiary a copy ------------------------


def test_plan_track_letters_go_to_the_plan_with_a_copy_to_the_beneficiary(actor):
    payer = factories.payer(name="Compañía Aseguradora Ñandú", address="Av. Díaz 12\nSan Juan, PR 00901")
    bene = factories.beneficiary(first_name="José", last_name="Martínez")
    occ = factories.occurrence(bene, payer=payer, orm=True)
    case = factories.case(Track.PLAN, occurrence=occ, actor=actor, opened_on=date(2023, 8, 1))
    factories.claim(case, claim_number="PL-1", amount_paid=Decimal("1500.00"))
    act(case, "issue_cpn", date(2023, 8, 1), actor)
    act(case, "issue_demand", date(2023, 9, 1), actor)
    act(case, "issue_referral_notice", date(2023, 11, 1), actor)  # day 61 after the demand

    cpn = letter_of(case, K.CPN)
    text = pdf_text(render_letter_pdf(cpn))
    assert "Dear Compañía Aseguradora Ñandú:" in text
    assert "Av. Díaz 12 San Juan, PR 00901" in text
    assert "Copies of this letter were sent to: José Martínez (Beneficiary)" in text
    assert "Commercial Repayment Center (CRC)" in text
    beneficiary_copy = pdf_text(render_letter_pdf(cpn, recipient=cpn.recipients[1]))
    assert "Dear José Martínez:" in beneficiary_copy
    assert "Compañía Aseguradora Ñandú (Debtor)" in beneficiary_copy

    notice = letter_of(case, K.REFERRAL_NOTICE)
    text = pdf_text(render_letter_pdf(notice))
    referral = date(2023, 9, 1) + timedelta(days=121)  # SPEC §3.2 default: day 121 after the demand
    assert f"referred to the Treasury on: {long_date(referral)}" in text
    assert "December 30, 2023" in text  # the first-level appeal window: 120 days from the demand
    assert f"Balance with interest, as of November 1, 2023 {usd(notice.amount)}" in text


def test_ghp_payment_notice_demand_and_challenge_decision(actor):
    case = factories.case(Track.GHP, actor=actor, opened_on=date(2023, 8, 1))
    case.beneficiary.first_name, case.beneficiary.last_name = "Zoë", "Łęcka"
    case.beneficiary.save()
    factories.claim(case, claim_number="GHP-77", service_from=date(2023, 3, 1), service_to=date(2023, 3, 2),
                    amount_paid=Decimal("777.70"))
    act(case, "issue_payment_notice", date(2023, 8, 1), actor)
    act(case, "issue_demand", date(2023, 9, 16), actor)  # day 46, no response
    act(case, "file_challenge", date(2023, 9, 20), actor, reason="The employer plan had ended.")
    act(case, "decide_challenge", date(2023, 10, 5), actor, favourable=True, reduced_to="0.00",
        reason="Coverage ended on 2023-02-28.")

    notice = pdf_text(render_letter_pdf(letter_of(case, K.PAYMENT_NOTICE)))
    assert "Zoë Łęcka" in notice
    assert "GHP-77" in notice and "$777.70" in notice
    assert "Pay or respond by: September 15, 2023" in notice

    demand = pdf_text(render_letter_pdf(letter_of(case, K.DEMAND)))
    assert "Total demand amount: $777.70" in demand
    assert "Not applicable (group health plan coverage)" in demand
    assert "Challenge." in demand and "not a formal Medicare appeal" in demand

    challenge = pdf_text(render_letter_pdf(letter_of(case, K.CHALLENGE_DECISION)))
    assert "In your favor: the debt is cancelled" in challenge
    assert "Coverage ended on 2023-02-28." in challenge


# --- every kind renders (rows built directly, with the content letters.content() gives) -----------


EXTRA = {
    K.CPN: {"window_days": 30},
    K.DISPUTE_DECISION: {"outcome": "partial", "reason": "One claim was for an earlier injury.",
                         "removed": ["EVERY-2"]},
    K.DEMAND: {"computation": {"conditional_payments": "2000.00", "amount": "1333.33", "rule": "411.37(c)",
                               "without_reduction": False, "settlement": "6000.00", "procurement_costs": "2000.00",
                               "steps": ["Medicare payments ($2,000.00) are less than the settlement ($6,000.00): "
                                         "42 CFR 411.37(c) applies."]},
               "annual_rate": "0.11500"},
    K.ITR: {"principal": "1333.33000", "interest": "25.56"},
    K.REFERRAL_NOTICE: {"principal": "1333.33", "interest": "25.56"},
    K.TREASURY_REFERRAL: {"principal": "1333.33", "interest": "51.12"},
    K.APPEAL_DECISION: {"favourable": False, "reduced_to": None, "reason": "No new evidence.",
                        "balance_before": "1358.89"},
    K.WAIVER_DECISION: {"favourable": True, "reduced_to": "500.00", "reason": "Hardship shown.",
                        "balance_before": "1358.89"},
    K.CHALLENGE_DECISION: {"favourable": True, "reduced_to": "0.00", "reason": "Plan was not primary.",
                           "balance_before": "1333.33"},
}
AMOUNT = {K.DEMAND: Decimal("1333.33"), K.ITR: Decimal("1358.89"), K.REFERRAL_NOTICE: Decimal("1358.89"),
          K.TREASURY_REFERRAL: Decimal("1384.45")}
# One fact per kind that only that letter states.
KEY_FACT = {
    K.RAR: "How to authorize a representative",
    K.CPL: "Interim total conditional payments as of March 10, 2024: $2,000.00",
    K.CPN: "Respond by: April 9, 2024",
    K.DISPUTE_DECISION: "Decision: Partly granted",
    K.PAYMENT_NOTICE: "Pay or respond by: April 24, 2024",
    K.DEMAND: "Payment due by: May 9, 2024 (60 days after the date of this letter)",
    K.ITR: "referred to the Treasury on: May 10, 2024",
    K.REFERRAL_NOTICE: "Notice of intent to refer",
    K.TREASURY_REFERRAL: "Balance referred, as of March 10, 2024 $1,384.45",
    K.APPEAL_DECISION: "Not in your favor: the debt stands",
    K.WAIVER_DECISION: "Debt reduced to $500.00",
    K.CHALLENGE_DECISION: "In your favor: the debt is cancelled",
}


@pytest.fixture
def every_kind_case(actor):
    bene = factories.beneficiary(first_name="Łukasz", last_name="Zoë-Nowak")
    case = factories.case(occurrence=factories.occurrence(bene), actor=actor, opened_on=date(2023, 2, 1))
    factories.claim(case, claim_number="EVERY-1", amount_paid=Decimal("2000.00"))
    return case


@pytest.mark.parametrize("kind", Letter.Kind.values)
def test_every_kind_renders_with_the_common_facts(every_kind_case, kind):
    case = every_kind_case
    on = date(2024, 3, 10)
    letter = Letter.objects.create(
        case=case, kind=kind, letter_date=on, amount=AMOUNT.get(kind), recipients=letters.recipients(case),
        content=letters.content(case, kind, on, **dict(EXTRA.get(kind, {}))),
    )
    data = render_letter_pdf(letter)
    text = pdf_text(data)

    assert "Medicare Secondary Payer Recovery" in text  # letterhead
    assert "March 10, 2024" in text
    assert case.number in text
    assert "Łukasz Zoë-Nowak" in text  # recipient block and beneficiary
    assert "12 Elm St Albany, NY 12207" in text  # recipient address
    assert case.beneficiary.mbi_display in text
    assert KEY_FACT[kind] in text
    assert "Dated by rule" not in text and "Dated on run day" not in text
    assert {f.split("+")[-1] for f in pdf_fonts(data)} >= {"DejaVuSans", "DejaVuSans-Bold"}


@pytest.mark.parametrize("dated_by, shown", [("rule", "Dated by rule"), ("run_date", "Dated on run day")])
def test_a_letter_says_whether_a_rule_or_the_run_day_dated_it(every_kind_case, dated_by, shown):
    case = every_kind_case
    on = date(2024, 3, 10)
    letter = Letter.objects.create(case=case, kind=K.ITR, letter_date=on, amount=AMOUNT[K.ITR],
                                   recipients=letters.recipients(case),
                                   content=letters.content(case, K.ITR, on, dated_by=dated_by, **EXTRA[K.ITR]))
    assert shown in pdf_text(render_letter_pdf(letter))


def test_filename_is_case_kind_and_letter_date(zoe_case):
    rar = letter_of(zoe_case, K.RAR)
    assert letter_filename(rar) == f"{zoe_case.number}-rar-2023-02-03.pdf"
    assert rar.case.number.startswith("2") and len(rar.case.number) == 15
    decision = Letter(case=zoe_case, kind=K.DISPUTE_DECISION, letter_date=date(2024, 3, 10))
    assert letter_filename(decision) == f"{zoe_case.number}-dispute-decision-2024-03-10.pdf"


def test_html_escapes_what_people_typed(every_kind_case):
    on = date(2024, 3, 10)
    letter = Letter.objects.create(
        case=every_kind_case, kind=K.DISPUTE_DECISION, letter_date=on, recipients=letters.recipients(every_kind_case),
        content=letters.content(every_kind_case, K.DISPUTE_DECISION, on, outcome="denied",
                                reason="<b>Not enough</b> & no records", removed=[]),
    )
    assert "&lt;b&gt;Not enough&lt;/b&gt; &amp; no records" in render_letter_html(letter)
    assert "<b>Not enough</b> & no records" in pdf_text(render_letter_pdf(letter))


@pytest.mark.parametrize("value, shown", [
    (Decimal("1234.56"), "$1,234.56"),
    ("6664.35000000000", "$6,664.35"),
    (Decimal("1234.565"), "$1,234.57"),  # half up
    (Decimal("0"), "$0.00"),
    (Decimal("-12.5"), "−$12.50"),
    (None, "—"),
    (1000000, "$1,000,000.00"),
])
def test_money_prints_in_dollars_and_cents(value, shown):
    assert usd(value) == shown


def test_rates_and_dates_print_plainly():
    assert percent("0.11500") == "11.50%"
    assert percent(Decimal("0.11125")) == "11.125%"
    assert long_date("2024-03-01") == "March 1, 2024"
    assert long_date(date(2023, 12, 31)) == "December 31, 2023"
