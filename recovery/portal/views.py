"""The portal for people outside the contractor (SPEC §1, §8): attorneys, representatives, insurer contacts.

Every view asks recovery.access.checks what this user may see and do — a case outside `cases_for(user)` is a
404, a form the user may not use is refused with a message — and audit-logs every read and every
write (recovery.access.audit, channel "portal", ids only). A submission runs in one transaction: a bad
input or a refused rule changes nothing, and files stored before the refusal are removed again.
"""

from dataclasses import dataclass
from typing import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from beneficiaries.models import Authorisation, ExternalProfile
from beneficiaries.services import authorisation_submit

from ..access import checks as access, audit
from ..money import final_amount, options, policy
from ..letters import outbox
from ..cases import selectors, services
from ..audit_models import AuditEvent
from ..access.documents import document_store, max_upload_bytes
from ..errors import CaseActionError
from ..cases.guards import why_not
from ..models import Claim, Dispute, LedgerEntry, Letter, RecoveryCase, Settlement, UploadedDocument
from ..pagination import FastPaginator
from ..letters.pdf import letter_filename
from ..cases.tracks import Track
from . import forms as pf
from .due import due_items
from .services import FIELDS as SETTLEMENT_FIELDS
from .services import settlement_submit, why_not_settlement

A, OUT, PURPOSE = audit.A, AuditEvent.Outcome, UploadedDocument.Purpose
CASE = "recovery.RecoveryCase"
PAGE_SIZE = 50

ROLE_LABELS = {
    "por": "Representative (Proof of Representation)",
    "ctr": "Consent to Release — you may see, not act",
    "debtor": "Insurer — the debtor",
    "reporter": "Insurer — reporting entity, you may see, not act",
    "staff": "Contractor staff",
}
WHY_NOT_ACT = {
    "ctr": "You hold a Consent to Release for this case: you may see it and receive copies of its letters, but "
           "not act on it. Acting needs a verified Proof of Representation.",
    "reporter": "Your organisation reported this case but is not the debtor: you may see it, not act on it.",
    "staff": "Contractor staff take steps on a case in the admin.",
}


# --- which forms a person may use on a case now -----------------------------------------------------


@dataclass(frozen=True)
class Offer:
    key: str  # the view's URL name in the portal namespace
    label: str
    roles: frozenset
    rule: Callable  # (case, user, on) -> None, or why it is not open now
    intro: str = ""


def _step(action):
    def rule(case, user, on):
        return why_not(case, action, user=user, on=on)

    return rule


def _dispute_rule(case, user, on):
    refusal = why_not(case, "open_dispute", user=user, on=on)
    if refusal is None and not case.claims.filter(status=Claim.Status.RELATED).exists():
        return "No claim is counted as related, so there is nothing to dispute."
    return refusal


def _settled(case):
    try:
        return case.settlement
    except Settlement.DoesNotExist:
        return None


def _options_rule(case):
    if case.track != Track.BENEFICIARY:
        return "The options are for beneficiaries' liability cases."
    if case.demand_date or case.state not in options.PRE_DEMAND:
        return "An option must be elected before the demand is issued."
    if case.occurrence_id is None:
        return "The contractor has not linked the MSP occurrence yet."
    return None


def _fixed_rule(case, user, on):
    refusal = _options_rule(case)
    if refusal is None and _settled(case) is None:
        return "Send the settlement details first: the option is a percentage of the gross settlement."
    return refusal


def _self_rule(case, user, on):
    refusal = _options_rule(case)
    settlement = _settled(case)
    if refusal is None and settlement is not None and settlement.settlement_date <= on:
        return "The self-calculated option is elected before the case settles."
    return refusal


POR, DEBTOR = frozenset({"por"}), frozenset({"debtor"})
POR_OR_DEBTOR = POR | DEBTOR
OFFERS = {o.key: o for o in [
    Offer("response", "Respond to the notice", POR_OR_DEBTOR, _step("record_response"),
          "Send what the notice asks for. A response within the window stops the automatic demand; the demand "
          "then takes it into account."),
    Offer("dispute", "Dispute claims", POR_OR_DEBTOR, _dispute_rule,
          "Choose the claims you say are not related to the incident and send the records that show it. "
          "The contractor decides within 45 days (11 business days when a settlement is expected, SPEC §5.6)."),
    Offer("settlement", "Send settlement details", POR, lambda case, user, on: why_not_settlement(case),
          "The settlement, judgment, award or other payment: its date, the gross amount, and the attorney fees "
          "and other procurement costs the beneficiary bore. The caseworker then issues the demand."),
    Offer("final_notice", "Give notice of a settlement expected within 120 days", POR,
          lambda case, user, on: final_amount.why_not_notice(case, on=on),
          "Tell us the case is expected to settle within 120 days. Disputes raised from now are decided within "
          "11 business days, and within 3 days before settling you may ask for the final conditional payment "
          "amount (42 CFR 411.39)."),
    Offer("final_request", "Ask for the final conditional payment amount", POR,
          lambda case, user, on: final_amount.why_not_request(case, on=on),
          "The amount is the conditional payment total today. It holds if the case settles within 3 calendar "
          "days of this request and the settlement information is filed within 30 days of settling. It can be "
          "asked for once per case."),
    Offer("option_fixed", "Elect the fixed percentage option", POR, _fixed_rule,
          "Pay a fixed percentage of the gross settlement instead of the computed amount (liability, physical "
          "trauma, no other settlement expected, settlement within the cap; elected before the demand)."),
    Offer("option_self", "Elect the self-calculated option", POR, _self_rule,
          "Submit your own calculation of the conditional payments before settling (physical trauma at least 6 "
          "months ago, expected settlement within the limit, care completed at least 90 days ago or attested). "
          "Electing it gives up appeal rights (not waiver)."),
    Offer("appeal", "Ask for an appeal", POR_OR_DEBTOR, _step("file_appeal"),
          "Ask the contractor to review the demand. Interest keeps accruing while the appeal is pending; no "
          "Treasury referral while it is."),
    Offer("waiver", "Ask for a waiver", POR, _step("file_waiver"),
          "Ask that recovery be waived (e.g. financial hardship, not at fault). Interest keeps accruing."),
    Offer("challenge", "File a challenge", DEBTOR, _step("file_challenge"),
          "Challenge the mistaken-payment demand (e.g. the employer had fewer than 20 employees)."),
]}


def offers_open(case, user, role, on) -> list[Offer]:
    """The forms `user` may use on `case` now (their role allows it and the rule is open)."""
    return [o for o in OFFERS.values() if role in o.roles and o.rule(case, user, on) is None]


# --- shared helpers ---------------------------------------------------------------------------------


def _case_or_404(request, pk, *, detail: str):
    """The case, if this user may see it (recovery.access.checks), with what they may do; else a 404, audited."""
    case = (access.cases_for(request.user)
            .select_related("beneficiary", "occurrence", "debtor_payer").filter(pk=pk).first())
    if case is None:
        audit.record(request, A.VIEW, object_type=CASE, object_id=pk, outcome=OUT.DENIED, detail=detail)
        raise Http404("No such case.")
    return case, access.access_to(request.user, case)


def _filer(user) -> str:
    name = user.get_full_name() or user.get_username()
    profile = _profile(user)
    return f"{name} ({profile.organisation})" if profile and profile.organisation else name


def _profile(user) -> ExternalProfile | None:
    try:
        return user.external_profile
    except ExternalProfile.DoesNotExist:
        return None


def _discard(stored):
    """Remove the files of documents whose rows a rolled-back transaction took away."""
    for doc in stored:
        try:
            doc.file.storage.delete(doc.file.name)
        except OSError:  # pragma: no cover — nothing more to do; the row is gone either way
            pass


def _store_all(request, case, form, stored, field, purpose):
    uploads = form.cleaned_data.get(field) or []
    if len(uploads) > 1:
        # recovery.access.upload_handlers keeps one raw name per field (the first part's) and puts it on the last
        # file: with several files in one field it would name the wrong file. Django's parser has already
        # cut any folder off each name, so the plain names are safe here.
        for upload in uploads:
            upload.__dict__.pop("raw_name", None)
    for upload in uploads:
        stored.append(document_store(uploaded=upload, purpose=purpose, actor=request.user, case=case, field=field))


def _refused(request, case, *, detail, message):
    audit.record(request, A.ACT, case, detail=detail, outcome=OUT.DENIED)
    return render(request, "portal/refused.html", {"case": case, "message": message}, status=403)


def _submit(request, form, work, *, case=None, detail, object_type=CASE):
    """Run `work(stored)` in one transaction; on a refusal, put it on the form, remove stored files
    and record the refusal. Returns (ok, result)."""
    stored = []
    try:
        with transaction.atomic():
            result = work(stored)
    except CaseActionError as exc:
        _discard(stored)
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    except IntegrityError:
        _discard(stored)
        form.add_error(None, "Someone else changed this case at the same time; reload it and try again.")
    else:
        return True, result
    audit.record(request, A.ACT, case, object_type=object_type, detail=detail, outcome=OUT.REFUSED)
    return False, None


# --- My cases ----------------------------------------------------------------------------------------


def _balances(case_ids) -> dict:
    """Debt balances of many cases in one query (summed as Decimals, as selectors.debt_balance does)."""
    out = {}
    rows = LedgerEntry.objects.filter(case_id__in=case_ids).values_list("case_id", "principal", "interest",
                                                                         "refund_owed")
    for case_id, p, i, r in rows:
        b = out.get(case_id, selectors.Balance(selectors.ZERO, selectors.ZERO, selectors.ZERO))
        out[case_id] = selectors.Balance(b.principal + p, b.interest + i, b.refund_owed + r)
    return out


@login_required
@require_GET
def case_list(request):
    """The cases this user may see, their role on each, and what is due from them and by when."""
    cases_qs = (access.cases_for(request.user)
                .select_related("beneficiary", "occurrence", "debtor_payer", "settlement", "debt", "final_amount")
                .order_by("-opened_on", "-id"))
    page = FastPaginator(cases_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    cases = list(page.object_list)
    ids = [c.pk for c in cases]
    audit.record(request, A.LIST, objects=cases, object_type=CASE)
    table, today = policy.clock_table(), services.today()
    balances = _balances(ids)
    disputes = {d.case_id: d for d in Dispute.objects.filter(case_id__in=ids, outcome=Dispute.Outcome.PENDING)
                .select_related("final_amount_clock").order_by("received_date", "id")}
    ctr_ends = dict(Authorisation.objects.filter(holder=request.user, status=Authorisation.Status.VERIFIED,
                                                 kind=Authorisation.Kind.CTR, case_id__in=ids)
                    .values_list("case_id", "ctr_end_date"))
    rows = []
    roles = access.roles_for(request.user, cases)
    for case in cases:
        acc = roles[case.pk]
        rows.append({
            "case": case, "role": acc.role, "role_label": ROLE_LABELS.get(acc.role, ""),
            "ctr_end": ctr_ends.get(case.pk) if acc.role == "ctr" else None,
            "balance": balances.get(case.pk) if case.demand_date else None,
            "due": due_items(case, role=acc.role, table=table, today=today, balance=balances.get(case.pk),
                             pending_dispute=disputes.get(case.pk), settlement=_related(case, "settlement"),
                             debt=_related(case, "debt"), final=_related(case, "final_amount")),
        })
    authorisations = list(Authorisation.objects.filter(holder=request.user).select_related("case", "payer")
                          .order_by("-submitted_at")[:50])
    return render(request, "portal/case_list.html", {
        "rows": rows, "page": page, "authorisations": authorisations, "today": today,
        "profile": _profile(request.user), "is_staff": access.is_staff_user(request.user),
    })


def _related(case, name):
    try:
        return getattr(case, name)
    except Exception:  # noqa: BLE001 — RelatedObjectDoesNotExist of a reverse one-to-one
        return None


# --- Case page ---------------------------------------------------------------------------------------


@login_required
@require_GET
def case_detail(request, pk):
    case, acc = _case_or_404(request, pk, detail="case page")
    audit.record(request, A.VIEW, case, detail="case page")
    today, table = services.today(), policy.clock_table()
    settlement = _settled(case)
    balance = selectors.debt_balance(case=case) if case.demand_date else None
    pending = selectors.pending_dispute(case=case)
    final = _related(case, "final_amount")
    claims = list(case.claims.order_by("service_from", "claim_number"))
    disputes = list(case.disputes.prefetch_related("claims").select_related("final_amount_clock"))
    return render(request, "portal/case_detail.html", {
        "case": case, "role": acc.role, "role_label": ROLE_LABELS.get(acc.role, ""),
        "may_act": acc.act and acc.role in ("por", "debtor"), "why_not_act": WHY_NOT_ACT.get(acc.role, ""),
        "due": due_items(case, role=acc.role, table=table, today=today, balance=balance, pending_dispute=pending,
                         settlement=settlement, debt=_related(case, "debt"), final=final),
        "offers": offers_open(case, request.user, acc.role, today) if acc.act else [],
        "claims": claims, "cp_total": selectors.conditional_payment_total(case=case),
        "letters": list(case.letters.order_by("letter_date", "id")),
        "balance": balance, "settlement": settlement, "disputes": disputes,
        "elections": list(case.elections.all()),
        "final": final,
        "final_standing": final_amount.standing_of(final, settlement=settlement, as_of=today, table=table)
        if final else None,
        "documents": list(case.documents.filter(uploaded_by=request.user)),
        "authorisations": list(case.authorisations.filter(holder=request.user).order_by("-submitted_at")),
    })


@login_required
@require_GET
def letter_pdf(request, pk, letter_pk):
    """A letter's PDF, as an attachment, for a person who may see the case (audited)."""
    case, acc = _case_or_404(request, pk, detail="letter")
    letter = Letter.objects.filter(case=case, pk=letter_pk).first()
    if letter is None:
        audit.record(request, A.DOWNLOAD, object_type="recovery.Letter", object_id=letter_pk, outcome=OUT.DENIED)
        raise Http404("No such letter.")
    data = outbox.letter_pdf_bytes(letter)
    audit.record(request, A.DOWNLOAD, letter)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter_filename(letter)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# --- The forms on a case -----------------------------------------------------------------------------


def _case_form(request, pk, key, *, make_form, perform, extra=None):
    """GET: the form (audited read). POST: validate, perform in one transaction, redirect to the case.

    `make_form(data, files, case)` builds the form; `perform(case, form, stored, today)` does the work
    and returns the success message (raising CaseActionError to refuse)."""
    case, acc = _case_or_404(request, pk, detail=f"form {key}")
    offer = OFFERS[key]
    if not acc.act or acc.role not in offer.roles:
        return _refused(request, case, detail=key, message=WHY_NOT_ACT.get(
            acc.role, f"'{offer.label}' is not open to you on this case."))
    today = services.today()
    refusal = offer.rule(case, request.user, today)
    bound = request.method == "POST"
    form = make_form(request.POST if bound else None, request.FILES if bound else None, case)
    if bound:
        if not form.is_valid():
            audit.record(request, A.ACT, case, detail=key, outcome=OUT.REFUSED)
        elif refusal:
            form.add_error(None, refusal)
            audit.record(request, A.ACT, case, detail=key, outcome=OUT.REFUSED)
        else:
            ok, message = _submit(request, form, lambda stored: perform(case, form, stored, today),
                                  case=case, detail=key)
            if ok:
                audit.record(request, A.ACT, case, detail=key)
                level, text = message if isinstance(message, tuple) else (messages.SUCCESS, message)
                messages.add_message(request, level, text)
                return redirect("portal:case", pk=case.pk)
    else:
        audit.record(request, A.VIEW, case, detail=f"form {key}")
    context = {"case": case, "form": form, "offer": offer, "refusal": refusal, "role": acc.role,
               "errors": pf.error_summary(form) if bound else [], "max_mb": max_upload_bytes() / (1024 * 1024),
               "multipart": any(isinstance(f, pf.DocumentsField) for f in form.fields.values())}
    context.update(extra(case, today) if extra else {})
    return render(request, "portal/case_form.html", context)


def _expected(form):
    return form.cleaned_data.get("expected_state") or None


@login_required
@require_http_methods(["GET", "POST"])
def settlement(request, pk):
    def make(data, files, case):
        return pf.SettlementForm(data, files, case=case, instance=_settled(case) or Settlement(case=case))

    def perform(case, form, stored, today):
        existed = Settlement.objects.filter(case=case).exists()  # (the form's new instance is not one)
        data = form.cleaned_data
        settlement_submit(case=case, actor=request.user, on=today, **{k: data[k] for k in SETTLEMENT_FIELDS})
        _store_all(request, case, form, stored, "documents", PURPOSE.SETTLEMENT)
        return ("Settlement details updated." if existed else "Settlement details sent.") + \
            " The caseworker reviews them and issues the demand."

    return _case_form(request, pk, "settlement", make_form=make, perform=perform)


@login_required
@require_http_methods(["GET", "POST"])
def dispute(request, pk):
    def perform(case, form, stored, today):
        data = form.cleaned_data
        services.case_act(case=case, action="open_dispute", actor=request.user, on=today,
                          expected_state=_expected(form), claims=list(data["claims"]), filed_by=_filer(request.user),
                          grounds=data["grounds"])
        _store_all(request, case, form, stored, "documents", PURPOSE.DISPUTE)
        opened = selectors.pending_dispute(case=case)
        expedited = final_amount.final_amount_dispute_registered(case=case, dispute=opened)
        due = expedited.due_date if expedited else None
        return "Dispute received." + (f" The contractor decides it by {due:%B %-d, %Y} (11 business days)."
                                      if due else " The contractor decides it within 45 days.")

    return _case_form(request, pk, "dispute", make_form=lambda d, f, case: pf.DisputeForm(d, f, case=case),
                      perform=perform)


def _review_view(key, action, purpose, form_class, done):
    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request, pk):
        def perform(case, form, stored, today):
            services.case_act(case=case, action=action, actor=request.user, on=today, expected_state=_expected(form),
                              reason=form.cleaned_data["reason"])
            _store_all(request, case, form, stored, "documents", purpose)
            return done

        return _case_form(request, pk, key, make_form=lambda d, f, case: form_class(d, f, case=case),
                          perform=perform)

    view.__name__ = key
    return view


response = _review_view("response", "record_response", PURPOSE.SETTLEMENT, pf.ResponseForm,
                        "Response recorded. The demand will take it into account.")
appeal = _review_view("appeal", "file_appeal", PURPOSE.APPEAL, pf.ReviewForm,
                      "Appeal received. Interest keeps accruing while it is pending.")
waiver = _review_view("waiver", "file_waiver", PURPOSE.APPEAL, pf.ReviewForm,
                      "Waiver request received. Interest keeps accruing while it is pending.")
challenge = _review_view("challenge", "file_challenge", PURPOSE.APPEAL, pf.ReviewForm,
                         "Challenge received.")


def _election_message(election):
    if election.status == election.Status.REFUSED:
        return messages.WARNING, (f"{election.get_kind_display()}: refused — {' '.join(election.reasons)}")
    return messages.SUCCESS, f"{election.get_kind_display()}: accepted."


def _fixed_terms(case, today):
    settlement = _settled(case)
    terms = policy.fixed_percentage_terms(on=settlement.settlement_date) if settlement else None
    return {"fixed_terms": terms, "settlement": settlement}


@login_required
@require_http_methods(["GET", "POST"])
def option_fixed(request, pk):
    def perform(case, form, stored, today):
        return _election_message(options.option_elect_fixed_percentage(case=case, elected_on=today,
                                                                       actor=request.user))

    return _case_form(request, pk, "option_fixed", make_form=lambda d, f, case: pf.FixedPercentageForm(d, case=case),
                      perform=perform, extra=_fixed_terms)


@login_required
@require_http_methods(["GET", "POST"])
def option_self(request, pk):
    def perform(case, form, stored, today):
        d = form.cleaned_data
        return _election_message(options.option_elect_self_calculated(
            case=case, elected_on=today, injury_date=d["injury_date"], care_completed_date=d["care_completed_date"],
            physician_attestation=d["physician_attestation"], expected_settlement=d["expected_settlement"],
            submitted_amount=d["submitted_amount"], actor=request.user))

    return _case_form(request, pk, "option_self", make_form=lambda d, f, case: pf.SelfCalculatedForm(d, case=case),
                      perform=perform)


@login_required
@require_http_methods(["GET", "POST"])
def final_notice(request, pk):
    def perform(case, form, stored, today):
        record = final_amount.final_amount_notice(
            case=case, actor=request.user, on=today,
            expected_settlement_date=form.cleaned_data["expected_settlement_date"])
        return (f"Notice received: settlement expected on {record.expected_settlement_date:%B %-d, %Y}. Disputes "
                "raised from now are decided within 11 business days.")

    return _case_form(request, pk, "final_notice", make_form=lambda d, f, case: pf.FinalNoticeForm(d, case=case),
                      perform=perform)


@login_required
@require_http_methods(["GET", "POST"])
def final_request(request, pk):
    def perform(case, form, stored, today):
        record = final_amount.final_amount_request(case=case, actor=request.user, on=today)
        st = final_amount.standing_of(record, settlement=_settled(case), as_of=today)
        return (f"Final conditional payment amount: ${record.amount:,}. It holds if the case settles by "
                f"{st.settle_by:%B %-d, %Y} and the settlement information is filed within 30 days of settling.")

    return _case_form(request, pk, "final_request", make_form=lambda d, f, case: pf.FinalRequestForm(d, case=case),
                      perform=perform,
                      extra=lambda case, today: {"cp_total": selectors.conditional_payment_total(case=case)})


# --- Authorisations ----------------------------------------------------------------------------------

NO_MATCH = ("No case matches this case number and MBI together. Check both against our letter: the case "
            "number has 15 digits and the MBI is the beneficiary's.")


@login_required
@require_http_methods(["GET", "POST"])
def authorisation_new(request):
    """A representative uploads a POR or CTR for a case named by number + MBI; an insurer contact uploads
    a letter of authority for its organisation. Pending until a caseworker verifies it."""
    profile = _profile(request.user)
    if profile is None:
        audit.record(request, A.CREATE, object_type="beneficiaries.Authorisation", detail="authorisation",
                     outcome=OUT.DENIED)
        return render(request, "portal/refused.html", {
            "message": "Only attorneys, representatives and insurer contacts registered with the contractor upload "
                       "authorisations here."}, status=403)
    representative = profile.kind == ExternalProfile.Kind.REPRESENTATIVE
    form_class = pf.RepresentativeAuthorisationForm if representative else pf.LetterOfAuthorityForm
    bound = request.method == "POST"
    form = form_class(request.POST if bound else None, request.FILES if bound else None)
    if bound:
        if form.is_valid():
            def work(stored):
                d = form.cleaned_data
                # The document is checked first: its errors must not tell whether a case matched.
                doc = document_store(uploaded=d["document"][0], purpose=PURPOSE.AUTHORISATION, actor=request.user,
                                     field="document")
                stored.append(doc)
                if not representative:
                    return authorisation_submit(kind=Authorisation.Kind.LOA, holder=request.user, document=doc,
                                                actor=request.user, payer=profile.payer)
                case = RecoveryCase.objects.filter(number=d["case_number"], beneficiary__mbi=d["mbi"]).first()
                if case is None:
                    raise CaseActionError(NO_MATCH, field="case_number")
                if Authorisation.objects.filter(holder=request.user, case=case, kind=d["kind"],
                                                status=Authorisation.Status.PENDING).exists():
                    raise CaseActionError("You already sent this kind of authorisation for this case; it is awaiting "
                                          "verification.", field="kind")
                try:
                    return authorisation_submit(kind=d["kind"], holder=request.user, document=doc, actor=request.user,
                                                case=case, ctr_end_date=d["ctr_end_date"],
                                                from_estate=d["from_estate"])
                except CaseActionError as exc:
                    exc.field = {"case": "case_number", "payer": None}.get(exc.field, exc.field)
                    raise

            ok, auth = _submit(request, form, work, detail="authorisation", object_type="beneficiaries.Authorisation")
            if ok:
                audit.record(request, A.CREATE, auth, detail="authorisation")
                messages.success(request, f"{auth.get_kind_display()} received. It gives access once a caseworker "
                                          "has verified it.")
                return redirect("portal:cases")
        else:
            audit.record(request, A.CREATE, object_type="beneficiaries.Authorisation", detail="authorisation",
                         outcome=OUT.REFUSED)
    return render(request, "portal/authorisation_form.html", {
        "form": form, "representative": representative, "profile": profile,
        "errors": pf.error_summary(form) if bound else [],
    })
