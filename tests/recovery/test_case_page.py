"""The case page that explains itself (issue 12 item 3) and the labels (item 5): every step with the
guard's reason, the demand preview's figures before committing, readable history, money as
$12,345.67, percentages in the policy admin, case numbers in messages. Worked numbers throughout."""

from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from recovery.cases import services, steps, tracks
from recovery.cases.tracks import State
from recovery.models import Debt, InterestRate, RecoveryCase
from recovery.money.admin import PercentField
from recovery.templatetags.caseday import money, percent_text
from tests import factories as f

pytestmark = pytest.mark.django_db


def change_url(case):
    return reverse("admin:recovery_recoverycase_change", args=[case.pk])


def act_url(case, action):
    return reverse("admin:recovery_recoverycase_act", args=[case.pk, action])


def at_rar(actor, *, claims=()):
    case = f.case(actor=actor, caseworker=actor)
    for amount in claims:
        f.claim(case, amount_paid=Decimal(amount))
    services.case_act(case=case, action="post_occurrence", actor=actor, on=date(2023, 2, 2))
    services.case_act(case=case, action="issue_rar", actor=actor, on=date(2023, 2, 3))
    case.refresh_from_db()
    return case


def at_settlement(actor):
    """Claims $1,200.00 + $800.00; settled for $30,000.00 with $10,000.00 of attorney fees borne by the
    beneficiary in a disputed claim: §411.37(c) share = 10,000 × 2,000 ÷ 30,000 = $666.67 → $1,333.33."""
    case = at_rar(actor, claims=["1200.00", "800.00"])
    services.case_act(case=case, action="issue_cpl", actor=actor, on=date(2023, 3, 1))
    f.settlement(case)
    services.case_act(case=case, action="report_settlement", actor=actor, on=date(2023, 6, 5))
    case.refresh_from_db()
    return case


# --- every step, allowed or greyed with the guard's reason --------------------------------------------


def test_after_the_rar_with_no_related_claim_issue_cpl_is_greyed_with_the_guards_reason(client):
    worker = f.caseworker("cw")
    case = at_rar(worker)
    listed = {s.action: s for s in steps.case_steps(case=case, user=worker)}
    cpl = listed["issue_cpl"]
    assert cpl.from_here and not cpl.allowed
    assert cpl.reason == "A CPL lists the related claims: add at least one related claim first."
    hold = listed["put_on_hold"]
    assert hold.from_here and not hold.allowed and hold.reason == "You do not have permission to 'Put on hold'."
    assert listed["close_no_recovery"].allowed  # a caseworker may close a pre-demand case
    demand = listed["issue_demand"]
    assert not demand.from_here and not demand.allowed
    assert demand.reason == ("Taken from 'Conditional payment notice issued', 'Settlement reported'; the case is "
                             "'RAR letter issued'.")
    assert services.why_not(case, "issue_demand", user=worker, on=services.today()).startswith(
        "'Issue demand' is not possible while the case is 'RAR letter issued'")
    # Every step of the beneficiary track is listed, each once; the allowed ones are the service's.
    track_actions = {a for a, _, _ in tracks.EDGES[case.track]}
    assert set(listed) == track_actions and len(listed) == len(steps.case_steps(case=case, user=worker))
    assert {a for a, s in listed.items() if s.allowed} == set(services.actions_available(case=case, user=worker))
    assert steps.steps_from_here(case=case, user=worker) == [
        ("issue_cpl", "Issue conditional payment letter", False,
         "A CPL lists the related claims: add at least one related claim first."),
        ("close_no_recovery", "Close with no recovery", True, ""),
        ("put_on_hold", "Put on hold", False, "You do not have permission to 'Put on hold'."),
    ]

    client.force_login(worker)
    html = client.get(change_url(case)).content.decode()
    assert 'data-step="issue_cpl"' in html and 'data-action="issue_cpl"' not in html
    assert "add at least one related claim first" in html
    assert 'data-action="close_no_recovery"' in html

    f.claim(case, amount_paid=Decimal("10.00"))  # the guard holds now: the step becomes a button
    html = client.get(change_url(case)).content.decode()
    assert 'data-action="issue_cpl"' in html and 'data-step="issue_cpl"' not in html
    assert ("issue_cpl", "Issue conditional payment letter", True, "") in steps.steps_from_here(case=case, user=worker)


def test_a_supervisor_sees_hold_as_a_button_and_on_hold_every_other_step_is_greyed():
    boss = f.supervisor("boss")
    case = at_rar(boss, claims=["100.00"])
    assert steps.steps_from_here(case=case, user=boss)[-1] == ("put_on_hold", "Put on hold", True, "")
    services.case_act(case=case, action="put_on_hold", actor=boss, on=date(2023, 2, 4), reason="Awaiting records")
    case.refresh_from_db()
    here = steps.steps_from_here(case=case, user=boss)
    assert [(a, allowed) for a, _, allowed, _ in here] == [("resume", True)]
    cpl = next(s for s in steps.case_steps(case=case, user=boss) if s.action == "issue_cpl")
    assert cpl.reason == "Taken from 'RAR letter issued'; the case is 'On hold'."
    assert [s.reason for s in steps.case_steps(case=case, user=boss) if s.action == "put_on_hold"] == [
        "Taken from any open state; the case is 'On hold'."]


# --- the demand preview ------------------------------------------------------------------------------


def test_the_demand_preview_shows_the_whole_computation_and_issue_demand_commits_that_amount(client):
    worker = f.caseworker("cw")
    case = at_settlement(worker)
    today = services.today()
    preview = steps.demand_preview(case=case, on=today)
    c = preview.computation
    assert (c.conditional_payments, c.settlement, c.procurement_costs, c.amount) == (
        Decimal("2000.00"), Decimal("30000.00"), Decimal("10000.00"), Decimal("1333.33"))
    assert c.rule.startswith("411.37(c)") and not c.below_threshold
    assert preview.threshold == Decimal("750.00")  # liability, in force on the 2023-06-01 settlement date
    assert preview.interest_rate == Decimal("0.11500") and preview.grace_days == 60
    assert preview.elections == () and preview.error == ""

    client.force_login(worker)
    page = client.get(act_url(case, "issue_demand")).content.decode()
    for element, shown in [("preview-payments", "$2,000.00"), ("preview-settlement", "$30,000.00"),
                           ("preview-costs", "$10,000.00"), ("preview-threshold", "$750.00"),
                           ("preview-rate", "11.50%"), ("preview-amount", "$1,333.33"), ("preview-options", "none")]:
        start = page.index(f'id="{element}"')
        assert shown in page[start:page.index("</td>", start)], element
    assert 'name="preview_amount" value="1333.33"' in page
    assert f'name="preview_on" value="{today.isoformat()}"' in page

    form = {"on": today.isoformat(), "reason": "", "expected_state": case.state}
    # Without having read a preview (no preview fields), nothing is issued: the page shows the figures.
    unread = client.post(act_url(case, "issue_demand"), form)
    assert unread.status_code == 200 and "comes to $1,333.33" in unread.content.decode()
    assert RecoveryCase.objects.get(pk=case.pk).state == State.SETTLEMENT_REPORTED

    # "Preview for this date": another date's figures, and nothing issued.
    earlier = today - timedelta(days=1)
    previewed = client.post(act_url(case, "issue_demand"), {**form, "on": earlier.isoformat(), "_preview": "1"})
    assert previewed.status_code == 200 and "comes to" not in previewed.content.decode()
    assert f'name="preview_on" value="{earlier.isoformat()}"' in previewed.content.decode()
    assert RecoveryCase.objects.get(pk=case.pk).state == State.SETTLEMENT_REPORTED

    # A claim added after the preview: the preview read is stale, the new figure is shown, nothing issued.
    f.claim(case, amount_paid=Decimal("1200.00"))  # 3,200 − 10,000 × 3,200 ÷ 30,000 (1,066.67) = 2,133.33
    stale = client.post(act_url(case, "issue_demand"),
                        {**form, "preview_on": today.isoformat(), "preview_amount": "1333.33"})
    assert stale.status_code == 200 and "comes to $2,133.33" in stale.content.decode()
    assert 'name="preview_amount" value="2133.33"' in stale.content.decode()
    assert not Debt.objects.filter(case=case).exists()

    done = client.post(act_url(case, "issue_demand"),
                       {**form, "preview_on": today.isoformat(), "preview_amount": "2133.33"})
    assert done.status_code == 302
    assert Debt.objects.get(case=case).principal == Decimal("2133.33")
    case.refresh_from_db()
    assert case.state == State.DEMAND_ISSUED and case.demand_amount == Decimal("2133.33")


def test_the_preview_of_a_settlement_at_the_threshold_says_medicare_does_not_recover(client):
    worker = f.caseworker("cw")
    case = at_rar(worker, claims=["1200.00"])
    services.case_act(case=case, action="issue_cpl", actor=worker, on=date(2023, 3, 1))
    f.settlement(case, gross_amount=Decimal("750.00"), attorney_fees=Decimal("250.00"))
    services.case_act(case=case, action="report_settlement", actor=worker, on=date(2023, 6, 5))
    case.refresh_from_db()
    preview = steps.demand_preview(case=case, on=services.today())
    assert preview.computation.below_threshold and preview.amount == Decimal("0.00")
    assert "Settlement $750.00 is at or below the recovery threshold $750.00." in preview.threshold_notes
    client.force_login(worker)
    page = client.get(act_url(case, "issue_demand")).content.decode()
    assert "Medicare does not recover" in page


# --- readable history, money, documents ----------------------------------------------------------------


def test_the_history_reads_in_words_with_no_internal_codes_or_row_captions(client):
    worker = f.caseworker("cw")
    case = at_rar(worker, claims=["1200.00"])
    services.case_act(case=case, action="issue_cpl", actor=worker, on=date(2023, 3, 1), reason="Claims found")
    client.force_login(worker)
    html = client.get(change_url(case)).content.decode()
    history = html[html.index('id="events-group"'):]
    history = history[:history.index("</fieldset>")]
    for label in ["Case opened", "MSP occurrence posted", "RAR letter issued", "CPL issued"]:
        assert f"<p>{label}</p>" in history, label
    assert "RAR letter issued → Conditional payment letter issued" in history
    assert "Claims found" in history and "cw" in history
    for code in ["issue_rar", "issue_cpl", "post_occurrence", "rar_issued", "cpl_issued", "→ rar_issued"]:
        assert code not in history, code
    assert 'class="original">\n          <p>' not in html  # no caption above each row in any table


def test_every_step_and_history_action_has_a_past_tense_label():
    assert set(tracks.ACTIONS) <= set(tracks.EVENT_LABELS)
    assert tracks.event_label("issue_cpl") == "CPL issued"
    assert tracks.event_label("submit_settlement") == "Settlement details sent"
    assert tracks.event_label("some_new_thing") == "Some new thing"


@pytest.mark.parametrize("value, shown", [
    (Decimal("12345.67"), "$12,345.67"), (Decimal("2958.75"), "$2,958.75"), (Decimal("0"), "$0.00"),
    (Decimal("-5"), "-$5.00"), (Decimal("1234567.891"), "$1,234,567.89"), (None, "—"), ("", "—"),
    ("1333.33", "$1,333.33"),
])
def test_money_is_always_dollars_with_thousands_commas_and_cents(value, shown):
    assert money(value) == shown


def test_the_case_page_shows_the_demand_and_balance_as_money_and_the_documents_with_download(client):
    worker = f.caseworker("cw")
    case = at_settlement(worker)
    services.case_act(case=case, action="issue_demand", actor=worker, on=services.today())
    from recovery.access.documents import document_store
    from tests.portal.conftest import pdf

    doc = document_store(uploaded=pdf("settlement-agreement.pdf"), purpose="settlement", actor=worker, case=case)
    client.force_login(worker)
    html = client.get(change_url(case)).content.decode()
    assert "$1,333.33 (principal $1,333.33, interest $0.00)" in html
    # After the demand the claims and the settlement are fixed, and read as money.
    claims = html[html.index('id="claims-group"'):]
    claims = claims[:claims.index("</fieldset>")]
    assert "<p>$1,200.00</p>" in claims and "<p>$800.00</p>" in claims and "1200.00" not in claims
    settlement = html[html.index('id="settlement-group"'):]
    settlement = settlement[:settlement.index("</fieldset>")]
    assert "$30,000.00" in settlement and "$10,000.00" in settlement and "30000.00" not in settlement
    demand = html[html.index("field-demand_amount_money"):]
    assert "$1,333.33" in demand[:demand.index("</div>", demand.index("readonly"))]
    docs = html[html.index('id="case-documents"'):]
    docs = docs[:docs.index("</fieldset>")]
    assert reverse("portal:document", args=[doc.key]) in docs and "settlement-agreement.pdf" in docs
    assert client.get(reverse("portal:document", args=[doc.key])).status_code == 200  # a caseworker downloads it
    ledger = html[html.index('id="ledger_entries-group"'):] if 'id="ledger_entries-group"' in html else html
    assert "1333.33<" not in ledger.replace("$1,333.33", "")


def test_a_step_message_names_the_case_number(client):
    worker = f.caseworker("cw")
    case = at_rar(worker, claims=["100.00"])
    client.force_login(worker)
    response = client.post(act_url(case, "issue_cpl"), {"on": date(2023, 3, 1).isoformat(), "reason": "",
                                                       "expected_state": case.state}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert f"on case {case.number}: done" in text and f"case {case.pk}:" not in text


# --- percentages in the policy admin --------------------------------------------------------------------


@pytest.mark.parametrize("typed, stored", [
    ("12.5", Decimal("0.12500")), ("12.50%", Decimal("0.12500")), ("0", Decimal("0.00000")),
    ("100", Decimal("1.00000")), ("11.5 %", Decimal("0.11500")), ("12.125", Decimal("0.12125")),
])
def test_a_rate_typed_as_a_percentage_is_stored_as_the_fraction(typed, stored):
    field = PercentField(decimal_places=5, label="Annual rate (%)")
    assert field.clean(typed) == stored


@pytest.mark.parametrize("typed, message", [
    ("100.01", "Annual rate (%) is at most 100% (you typed 100.01%)."),
    ("-1", "Annual rate (%) must not be negative (0% to 100%)."),
    ("abc", "Annual rate (%): enter a percentage, e.g. 12.5 or 12.50% (digits 0–9 and a point)."),
    ("12.1255", "Annual rate (%): at most 3 decimal places in a percentage (e.g. 12.125%)."),
    ("١٢", "Annual rate (%): enter a percentage, e.g. 12.5 or 12.50% (digits 0–9 and a point)."),
    ("1e1", "Annual rate (%): enter a percentage, e.g. 12.5 or 12.50% (digits 0–9 and a point)."),
])
def test_a_bad_percentage_is_refused_naming_the_field(typed, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        PercentField(decimal_places=5, label="Annual rate (%)").clean(typed)
    assert exc.value.messages == [message]


def test_the_policy_admin_takes_and_shows_percentages_and_changes_nothing_on_bad_input(client):
    client.force_login(f.supervisor("boss"))
    url = reverse("admin:recovery_interestrate_add")
    base = {"effective_from": "2027-07-01", "year_days": "360", "period_days": "30", "grace_days": "60",
            "source": "Treasury notice"}
    for bad in ["100.01", "-1", "abc"]:
        response = client.post(url, {**base, "annual_rate": bad})
        assert response.status_code == 200 and "Annual rate (%)" in response.content.decode()
        assert "annual_rate" in response.context["adminform"].form.errors
    assert not InterestRate.objects.filter(effective_from=date(2027, 7, 1)).exists()
    assert client.post(url, {**base, "annual_rate": "12.50%"}).status_code == 302
    rate = InterestRate.objects.get(effective_from=date(2027, 7, 1))
    assert rate.annual_rate == Decimal("0.12500")
    listing = client.get(reverse("admin:recovery_interestrate_changelist")).content.decode()
    assert "12.50%" in listing and "11.50%" in listing  # the new row and the seeded 2023-07-17 row
    edit = client.get(reverse("admin:recovery_interestrate_change", args=[rate.pk])).content.decode()
    assert 'name="annual_rate" value="12.50"' in edit
    # Saving the unchanged form keeps the fraction (shown 12.50, read back as 0.125).
    form = {**base, "annual_rate": "12.50"}
    assert client.post(reverse("admin:recovery_interestrate_change", args=[rate.pk]), form).status_code == 302
    assert InterestRate.objects.get(pk=rate.pk).annual_rate == Decimal("0.12500")


def test_percent_text_shows_two_decimals_and_more_only_when_stored():
    assert [percent_text(Decimal(v)) for v in ["0.11500", "0.12125", "0", "1", "0.25"]] == [
        "11.50%", "12.125%", "0.00%", "100.00%", "25.00%"]


# --- the submission review page's HTML ---------------------------------------------------------------------


class FormTree(HTMLParser):
    """Records, for each form, the submit inputs inside it; and whether any form was opened inside another
    or closed when none was open."""

    def __init__(self):
        super().__init__()
        self.stack, self.forms, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if self.stack:
                self.errors.append(f"form {attrs.get('id')} opened inside form {self.stack[-1]['id']}")
            self.stack.append({"id": attrs.get("id"), "action": attrs.get("action"), "submits": [], "names": [],
                               "submit_rows": 0})
        elif tag in ("input", "button") and attrs.get("type") == "submit":
            if self.stack:
                self.stack[-1]["submits"].append(attrs.get("value") or attrs.get("name"))
            else:
                self.errors.append(f"submit {attrs.get('value')} outside any form")
        if tag in ("input", "textarea", "select", "button") and self.stack and attrs.get("name"):
            self.stack[-1]["names"].append(attrs["name"])
        if "submit-row" in (attrs.get("class") or "").split() and self.stack:
            self.stack[-1]["submit_rows"] += 1

    def handle_endtag(self, tag):
        if tag == "form":
            if not self.stack:
                self.errors.append("a </form> with no form open")
            else:
                self.forms.append(self.stack.pop())


def test_the_submission_review_page_is_well_formed_and_its_form_holds_its_button(client):
    from recovery.models import Submission
    from recovery.portal.services import settlement_submit
    from beneficiaries.models import Authorisation
    from tests.portal.conftest import authorise, external_user

    worker = f.caseworker("cw")
    case = at_rar(worker, claims=["100.00"])
    services.case_act(case=case, action="issue_cpl", actor=worker, on=services.today() - timedelta(days=5))
    attorney = external_user("attorney")
    authorise(attorney, Authorisation.Kind.POR, verifier=worker, case=case)
    settlement_submit(case=case, actor=attorney, on=services.today(), settlement_date=services.today(),
                      gross_amount=Decimal("30000.00"), attorney_fees=Decimal("10000.00"),
                      other_costs=Decimal("0"))
    sub = Submission.objects.get(case=case)
    client.force_login(worker)
    html = client.get(reverse("admin:recovery_submission_change", args=[sub.pk])).content.decode()
    tree = FormTree()
    tree.feed(html)
    tree.close()
    assert tree.errors == [] and tree.stack == []
    review = [form for form in tree.forms if form["id"] == "review-form"]
    assert len(review) == 1 and review[0]["submits"] == ["Mark reviewed"]
    # The review form holds exactly its own fields; the admin's form keeps the rest of its page (its
    # submit row) instead of being closed early and leaving it to the review form.
    assert sorted(review[0]["names"]) == ["csrfmiddlewaretoken", "note", "review"]
    assert review[0]["submit_rows"] == 1
    admin_form = [form for form in tree.forms if form["id"] == "submission_form"]
    assert len(admin_form) == 1 and admin_form[0]["submit_rows"] == 1
    assert review[0]["action"] == reverse("admin:recovery_submission_review", args=[sub.pk])
    assert f"on case {case.number}" in html  # the page's title names the case number, not its id
    sent = html[html.index('id="submitted-settlement"'):]
    sent = sent[:sent.index("</fieldset>")]
    assert "$30,000.00" in sent and "$10,000.00" in sent and "$0.00" in sent


# --- every money input reads money the one way --------------------------------------------------------------


def _form_classes():
    import importlib
    import inspect

    from django import forms

    for name in ["recovery.cases.forms", "recovery.portal.forms", "recovery.money.calculator_forms",
                 "payers.coordination.forms"]:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == name and getattr(cls, "base_fields", None):
                yield cls


def test_every_money_input_of_every_form_and_admin_reads_dollars_with_or_without_dollar_sign_and_commas(rf):
    from django import forms
    from django.contrib import admin as django_admin

    from recovery.fields import MoneyField, StrictDecimalField

    seen = 0
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.DecimalField):
                assert isinstance(field, (MoneyField, StrictDecimalField)), f"{cls.__name__}.{name}"
                if isinstance(field, MoneyField):
                    seen += 1
                    assert field.clean("$12,345.67") == field.clean("12345.67") == Decimal("12345.67"), name
    request = rf.get("/")
    request.user = f.supervisor("boss")
    for model, model_admin in django_admin.site._registry.items():
        for owner in [model_admin, *[i(model, django_admin.site) for i in model_admin.inlines]]:
            shown = owner.fields or [f.name for f in owner.model._meta.concrete_fields]
            names = {n for item in shown for n in (item if isinstance(item, (list, tuple)) else [item])}
            typed = names - set(owner.readonly_fields)  # the inputs a person types into
            for db_field in owner.model._meta.concrete_fields:
                if db_field.get_internal_type() == "DecimalField" and db_field.decimal_places == 2 \
                        and not db_field.choices and db_field.name in typed:
                    formfield = owner.formfield_for_dbfield(db_field, request)
                    assert isinstance(formfield, MoneyField), f"{type(owner).__name__}.{db_field.name}"
                    seen += 1
    assert seen >= 15  # payments, refunds, elections, calculators, portal settlement, claims, settlement, policy


def test_the_letters_list_shows_amounts_as_money(client):
    worker = f.caseworker("cw")
    case = at_settlement(worker)
    services.case_act(case=case, action="issue_demand", actor=worker, on=services.today())
    client.force_login(f.supervisor("boss"))
    html = client.get(reverse("admin:recovery_letter_changelist")).content.decode()
    assert "$1,333.33" in html and ">1333.33<" not in html


# --- case numbers where a person reads a case ------------------------------------------------------------


def test_run_deadlines_names_cases_by_number_and_steps_in_words():
    from io import StringIO

    from django.core.management import call_command

    from tests.recovery.test_sweeps import at_demand

    on = services.today() - timedelta(days=95)
    w = at_demand("beneficiary", on)
    out = StringIO()
    call_command("run_deadlines", "--dry-run", stdout=out)
    assert f"  case {w.case.number}: would issue intent to refer on {on + timedelta(days=90)}" in out.getvalue()
    out = StringIO()
    call_command("run_deadlines", stdout=out)
    text = out.getvalue()
    assert f"  case {w.case.number}: Intent to refer issued on {on + timedelta(days=90)}" in text
    assert f"case {w.case.pk}:" not in text and "issue_itr" not in text


def test_the_history_list_reads_in_words(client):
    worker = f.caseworker("cw")
    case = at_rar(worker, claims=["10.00"])
    client.force_login(f.supervisor("boss"))
    html = client.get(reverse("admin:recovery_caseevent_changelist"), {"q": case.number}).content.decode()
    assert "RAR letter issued" in html and "MSP occurrence posted" in html
    assert ">issue_rar<" not in html and ">post_occurrence<" not in html


def test_an_interest_rate_reads_as_a_percentage_in_its_title():
    assert str(InterestRate(annual_rate=Decimal("0.11500"), effective_from=date(2023, 7, 17))) == "11.50% from 2023-07-17"
    assert str(InterestRate(annual_rate=Decimal("0.12125"), effective_from=date(2024, 1, 1))) == "12.125% from 2024-01-01"


def test_the_case_page_sections_have_no_inline_style_or_script_and_constant_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = f.caseworker("cw")
    case = at_settlement(worker)
    client.force_login(worker)
    client.get(change_url(case))  # warm caches
    with CaptureQueriesContext(connection) as few:
        html = client.get(change_url(case)).content.decode()
    for section in ['id="case-actions"', 'id="case-documents"', 'id="events-group"', 'id="claims-group"']:
        part = html[html.index(section):]
        part = part[:part.index("</fieldset>")]
        assert "style=" not in part and "<script" not in part and " on" + "click=" not in part, section
    boss = f.supervisor("boss")
    for n in range(12):  # more claims and more history rows: the same number of queries
        f.claim(case, amount_paid=Decimal("10.00"))
        services.case_act(case=case, action="put_on_hold" if n % 2 == 0 else "resume", actor=boss,
                          on=date(2023, 6, 6), reason="Waiting for records")
        case.refresh_from_db()
    assert case.events.count() >= 17 and case.state == State.SETTLEMENT_REPORTED
    with CaptureQueriesContext(connection) as many:
        assert client.get(change_url(case)).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries][-10:]
    page = client.get(act_url(case, "issue_demand")).content.decode()
    part = page[page.index('id="demand-preview"'):]
    assert "style=" not in part[:part.index("</section>")]


def test_the_fixed_percentage_terms_are_typed_as_a_percentage_too(client):
    from recovery.models import FixedPercentageTerms

    client.force_login(f.supervisor("boss"))
    url = reverse("admin:recovery_fixedpercentageterms_add")
    base = {"effective_from": "2027-08-01", "settlement_cap": "$12,500.00", "source": "CMS notice"}
    refused = client.post(url, {**base, "percentage": "25.125"})  # the column holds 0.2512, not 0.25125
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["percentage"] == [
        "Percentage (%): at most 2 decimal places in a percentage (e.g. 12.12%)."]
    assert client.post(url, {**base, "percentage": "25%"}).status_code == 302
    row = FixedPercentageTerms.objects.get(effective_from=date(2027, 8, 1))
    assert (row.percentage, row.settlement_cap) == (Decimal("0.2500"), Decimal("12500.00"))
    listing = client.get(reverse("admin:recovery_fixedpercentageterms_changelist")).content.decode()
    assert "25.00%" in listing and "$12,500.00" in listing and "$10,000.00" in listing


def test_the_case_page_and_the_demand_page_are_well_formed_forms(client):
    worker = f.caseworker("cw")
    case = at_settlement(worker)
    client.force_login(worker)
    for url, form_id, submits in [(change_url(case), "recoverycase_form", {"Save"}),
                                  (act_url(case, "issue_demand"), None, {"Issue demand", "Preview for this date"})]:
        tree = FormTree()
        tree.feed(client.get(url).content.decode())
        tree.close()
        assert tree.errors == [] and tree.stack == [], url
        forms = [form for form in tree.forms if form_id is None or form["id"] == form_id]
        forms = [form for form in forms if submits <= set(form["submits"])]
        assert len(forms) == 1, (url, tree.forms)
        if form_id is None:
            assert {"preview_on", "preview_amount", "on", "expected_state"} <= set(forms[0]["names"])


def test_a_plan_case_in_its_cpn_window_greys_issue_demand_with_the_dates_and_previews_no_reduction():
    from recovery.cases.tracks import Track

    worker = f.caseworker("cw")
    case = f.case(Track.PLAN, actor=worker, caseworker=worker)
    f.claim(case, amount_paid=Decimal("2958.75"))
    f.claim(case, amount_paid=Decimal("1041.25"))
    cpn = services.today() - timedelta(days=10)
    services.case_act(case=case, action="issue_cpn", actor=worker, on=cpn)
    case.refresh_from_db()
    here = {a: (allowed, reason) for a, _, allowed, reason in steps.steps_from_here(case=case, user=worker)}
    assert here["issue_demand"] == (False, f"The 30-day response window runs through {cpn + timedelta(days=30)}: "
                                           f"the demand can be issued from {cpn + timedelta(days=31)}, or once a "
                                           "response is recorded.")
    assert here["record_response"] == (True, "") and here["open_dispute"] == (True, "")
    assert {a for a, (ok, _) in here.items() if ok} == set(services.actions_available(case=case, user=worker))
    preview = steps.demand_preview(case=case, on=services.today())
    assert preview.amount == Decimal("4000.00") and preview.computation.without_reduction  # no response yet
    assert preview.threshold is None and preview.coverage == ""  # no threshold on the plan track
