"""The REST API (SPEC §3, §8, §9): the same steps for staff and people outside, through the same services
as the admin and the portal (recovery.cases.services.case_act, ledger.payment_record, options.*,
portal.services.settlement_submit, documents.document_store).

Every view finds its case through `access.cases_for(request.user)` (a case outside it is a 404, as if
it did not exist) and asks `access.access_to` / `access.may_take` what the user may do; every read of
a beneficiary's data and every write is audit-logged (`channel="api"`, ids only). Answers:

- 401 no or bad credentials; 403 the case is visible but this part or step is not for your role;
- 404 no such case (or not yours); 400 bad input, `{"field": ["message"]}` (`non_field_errors` when no
  single field is at fault) and nothing changed; 409 the case moved since you loaded it.
"""

import django_otp
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, generics, parsers, renderers, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from beneficiaries.models import ExternalProfile
from recovery.access import checks as access, audit
from recovery.money import final_amount, ledger, options
from recovery.cases import selectors, services, tracks
from recovery.access.documents import document_bytes, document_store
from recovery.errors import CaseActionError, StaleCaseError
from recovery.models import CaseEvent, Claim, LedgerEntry, Letter, RecoveryCase, UploadedDocument
from recovery.letters.outbox import letter_pdf_bytes
from recovery.letters.pdf import letter_filename
from recovery.portal.documents import may_read_document
from recovery.portal.services import settlement_submit
from recovery.cases.tracks import Track

from . import permissions
from .authentication import ExpiringTokenAuthentication, issue_token
from . import serializers as s
from .filters import CaseFilter

A = audit.A
OUTCOME = audit.AuditEvent.Outcome
PURPOSE = UploadedDocument.Purpose
CASE_TYPE = "recovery.RecoveryCase"
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
ACTION_NAMES = list(tracks.ACTIONS)
# The parameters each step takes besides on / reason / expected_state (recovery.cases.services.ACTIONS).
STEP_PARAMS = {
    "open_dispute": ("claims", "filed_by", "grounds"),
    "decide_dispute": ("outcome", "removed_claims"),
    "decide_appeal": ("favourable", "reduced_to"),
    "decide_waiver": ("favourable", "reduced_to"),
    "decide_challenge": ("favourable", "reduced_to"),
}
ALL_STEP_PARAMS = {p for params in STEP_PARAMS.values() for p in params}
STALE = "Someone else changed this case at the same time; reload it and try again."

# --- schema helpers -------------------------------------------------------------------------------

E400 = OpenApiResponse(s.FIELD_ERRORS_SCHEMA, description="Bad input: the field at fault and why; nothing changed")
E401 = OpenApiResponse(s.ErrorSerializer, description="No or invalid credentials")
E403 = OpenApiResponse(s.ErrorSerializer, description="The case is visible, but this is not for your role")
E404 = OpenApiResponse(s.ErrorSerializer, description="No such case (or not one you may see)")
E409 = OpenApiResponse(s.ErrorSerializer, description="The case moved since you loaded it: reload and retry")
E415 = OpenApiResponse(s.ErrorSerializer, description="The body is not in a media type this operation reads")
E429 = OpenApiResponse(s.ErrorSerializer, description="Too many requests")
READ_ERRORS = {401: E401, 403: E403, 404: E404, 429: E429}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 409: E409, 415: E415, 429: E429}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": s.MAX_ID}
EMPTY = {"type": "string", "maxLength": 0}
NO_NUL = "^[^\\x00]*$"
ORDERING_PATTERN = r"^(-?(opened_on|next_due_date|number)(,-?(opened_on|next_due_date|number))*)?$"
NO_FORMAT = OpenApiParameter("format", exclude=True)  # DRF's ?format= override: not part of this API
CASE_ID = OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="The case id")
LIST_PARAMETERS = [
    OpenApiParameter("number", {"type": "string", "maxLength": 15, "pattern": NO_NUL},
                     description="The exact 15-digit case number"),
    OpenApiParameter("search", {"type": "string", "maxLength": 20, "pattern": NO_NUL},
                     description="The start of a case number (digits; spaces and dashes are ignored)"),
    # An empty value means "not given", as in an HTML form.
    OpenApiParameter("caseworker", {"anyOf": [ID_SCHEMA, EMPTY]},
                     description="The id of the caseworker the case is assigned to"),
    OpenApiParameter("page", {"anyOf": [{"type": "integer", "minimum": 1}, EMPTY]},
                     description="The page (50 cases a page)"),
    OpenApiParameter("track", {"type": "string", "enum": ["", *Track.values]}, description="The recovery track"),
    OpenApiParameter("overdue", {"type": "string", "enum": ["", "true", "false"]},
                     description="true: the next dated step was due before today; false: it was not"),
    *[OpenApiParameter(name, {"anyOf": [{"type": "string", "format": "date"}, EMPTY]},
                       description="next_due_date from / to, inclusive (YYYY-MM-DD)")
      for name in ("next_due_date_after", "next_due_date_before")],
    OpenApiParameter("ordering", {"type": "string", "pattern": ORDERING_PATTERN},
                     description="Comma-separated: opened_on, next_due_date or number; a leading - for descending "
                                 "(default: newest opened first)"),
]


def field_errors(exc: CaseActionError) -> dict:
    return {exc.field or NON_FIELD: [exc.message]}


def attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    safe_name = filename.replace('"', "").encode("ascii", "replace").decode()
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def filer_name(user) -> str:
    """Who filed a dispute when the body does not say: the person, and their firm (as the portal does)."""
    name = user.get_full_name() or user.get_username()
    try:
        organisation = user.external_profile.organisation
    except ExternalProfile.DoesNotExist:
        organisation = ""
    return f"{name} ({organisation})" if organisation else name


def store_documents(request, case, uploads, *, purpose, field, stored) -> list[UploadedDocument]:
    """Store each upload through documents.document_store; `stored` collects them for `discard`."""
    if len(uploads) > 1:
        # recovery.access.upload_handlers keeps one raw client name per form field (the first part's) and puts it on
        # the last file: with several files under one field it would misname them (see the API report).
        # Django's parser has already cut any folder off each name, so the plain names are safe here.
        for upload in uploads:
            upload.__dict__.pop("raw_name", None)
    for upload in uploads:
        stored.append(document_store(uploaded=upload, purpose=purpose, actor=request.user, case=case, field=field))
    return stored


def discard(stored):
    """Files stored in a transaction that was then rolled back: the rows are gone, remove the bytes too."""
    for doc in stored:
        try:
            doc.file.storage.delete(doc.file.name)
        except OSError:  # pragma: no cover — nothing more to do; the row is gone either way
            pass


class BinaryRenderer(renderers.BaseRenderer):
    """Lets a client ask for a file (Accept: application/pdf …); an error still comes back as JSON text."""

    media_type = "*/*"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


# --- the base ----------------------------------------------------------------------------------------


class ApiView(generics.GenericAPIView):
    # Token first, so that a request without credentials is answered 401 with `WWW-Authenticate: Token`.
    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, permissions.StaffSecondFactor]
    parser_classes = [parsers.JSONParser]

    def audit(self, action, obj=None, **kwargs):
        return audit.record(self.request, action, obj, channel="api", **kwargs)

    def visible_case(self, pk, *, part="case") -> tuple[RecoveryCase, access.CaseAccess]:
        """The case if this user may see it (access.cases_for), with what they may do on it; else 404."""
        case = (access.cases_for(self.request.user)
                .select_related("beneficiary", "caseworker", "debtor_payer", "occurrence").filter(pk=pk).first())
        if case is None:
            self.audit(A.VIEW, object_type=CASE_TYPE, object_id=pk, outcome=OUTCOME.DENIED, detail=part)
            raise exceptions.NotFound("No such case.")
        return case, access.access_to(self.request.user, case)

    def refuse(self, action, case, part, message):
        self.audit(action, case, outcome=OUTCOME.DENIED, detail=part)
        raise exceptions.PermissionDenied(message)

    def refused(self, case, part, exc: CaseActionError, action=A.ACT):
        self.audit(action, case, outcome=OUTCOME.REFUSED, detail=part)
        if isinstance(exc, StaleCaseError):
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        return Response(field_errors(exc), status=status.HTTP_400_BAD_REQUEST)

    def invalid(self, case, part, serializer, action=A.ACT):
        """Bad input caught before any service ran: audited as refused, answered 400, nothing changed."""
        if not serializer.is_valid():
            self.audit(action, case, outcome=OUTCOME.REFUSED, detail=part)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        return None

    def perform(self, case, part, work):
        """Run `work(stored)` in one transaction. A refusal (CaseActionError, a concurrent write) changes
        nothing — files it had stored are removed — and is answered 400/409. Returns (result, error)."""
        stored = []
        try:
            with transaction.atomic():
                return work(stored), None
        except CaseActionError as exc:
            discard(stored)
            return None, self.refused(case, part, exc)
        except IntegrityError:
            discard(stored)
            return None, self.refused(case, part, StaleCaseError(STALE))

    def case_detail(self, case, acc, *, code=status.HTTP_200_OK):
        case = (RecoveryCase.objects.select_related("beneficiary", "caseworker", "debtor_payer", "occurrence")
                .get(pk=case.pk))
        balance = (selectors.debt_balance(case=case) if case.demand_date and permissions.sees_details(acc)
                   else None)
        actions = services.actions_available(case=case, user=self.request.user) if acc.view else []
        context = {"request": self.request, "access": acc, "balance": balance, "actions": actions}
        return Response(s.CaseDetailSerializer(case, context=context).data, status=code)

    @staticmethod
    def case_claims(case, ids, field):
        ids = list(dict.fromkeys(ids))
        found = {c.pk: c for c in case.claims.filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise CaseActionError(f"This case has no claim with id {missing[0]}.", field=field)
        return [found[i] for i in ids]

    @staticmethod
    def check_expected_state(case, expected_state):
        """For writes that are not steps: refuse (409) when the caller saw another state."""
        if expected_state and expected_state != case.state:
            raise StaleCaseError(f"The case moved to '{case.get_state_display()}' since you loaded it; reload and "
                                 "try again.")


# --- cases ---------------------------------------------------------------------------------------------


@extend_schema(tags=["cases"])
class CaseListView(ApiView, generics.ListAPIView):
    """The cases you may see (SPEC §8), newest first, 50 a page."""

    serializer_class = s.CaseListSerializer
    filterset_class = CaseFilter

    def get_queryset(self):
        return access.cases_for(self.request.user).select_related("beneficiary", "caseworker")

    @extend_schema(operation_id="cases_list", parameters=LIST_PARAMETERS, responses={
        200: s.CaseListSerializer(many=True), 400: E400, 401: E401,
        404: OpenApiResponse(s.ErrorSerializer, description="No such page"), 429: E429})
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        self.audit(A.LIST, objects=page, object_type=CASE_TYPE)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["cases"])
class CaseDetailView(ApiView):
    serializer_class = s.CaseDetailSerializer

    @extend_schema(operation_id="cases_retrieve", parameters=[CASE_ID],
                   responses={200: s.CaseDetailSerializer, **READ_ERRORS})
    def get(self, request, pk):
        """One case: its dates, amounts, balance, your role and the steps you may take now."""
        case, acc = self.visible_case(pk)
        self.audit(A.VIEW, case)
        return self.case_detail(case, acc)


class CasePartView(ApiView, generics.ListAPIView):
    """A paginated list hanging off one case, for the roles `allowed` names."""

    part = ""
    allowed = staticmethod(permissions.sees_details)

    def part_queryset(self, case):
        raise NotImplementedError

    def get(self, request, pk):
        case, acc = self.visible_case(pk, part=self.part)
        if not self.allowed(acc):
            self.refuse(A.VIEW, case, self.part, f"Your role on this case ({acc.role}) does not see its {self.part}.")
        page = self.paginate_queryset(self.part_queryset(case))
        self.audit(A.VIEW, case, objects=page, detail=self.part)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["cases"], parameters=[CASE_ID])
class CaseClaimsView(CasePartView):
    """The Medicare claims on the case (related, unrelated, disputed)."""

    part = "claims"
    serializer_class = s.ClaimSerializer
    queryset = Claim.objects.none()

    def part_queryset(self, case):
        return case.claims.order_by("service_from", "claim_number", "id")

    @extend_schema(operation_id="cases_claims_list", responses={200: s.ClaimSerializer(many=True), **READ_ERRORS})
    def get(self, request, pk):
        return super().get(request, pk)


@extend_schema(tags=["cases"], parameters=[CASE_ID])
class CaseLettersView(CasePartView):
    """The letters issued on the case, each with a link to its PDF."""

    part = "letters"
    serializer_class = s.LetterSerializer
    queryset = Letter.objects.none()

    def part_queryset(self, case):
        return case.letters.order_by("letter_date", "id")

    @extend_schema(operation_id="cases_letters_list", responses={200: s.LetterSerializer(many=True), **READ_ERRORS})
    def get(self, request, pk):
        return super().get(request, pk)


@extend_schema(tags=["cases"], parameters=[CASE_ID])
class CaseLedgerView(CasePartView):
    """The debt's append-only ledger (SPEC §5.5), oldest row first. Empty before the demand."""

    part = "ledger"
    serializer_class = s.LedgerEntrySerializer
    queryset = LedgerEntry.objects.none()

    def part_queryset(self, case):
        return case.ledger.order_by("id")

    @extend_schema(operation_id="cases_ledger_list",
                   responses={200: s.LedgerEntrySerializer(many=True), **READ_ERRORS})
    def get(self, request, pk):
        return super().get(request, pk)


@extend_schema(tags=["cases"], parameters=[CASE_ID])
class CaseHistoryView(CasePartView):
    """Who did what, when, from which state to which, and why (staff only)."""

    part = "history"
    allowed = staticmethod(permissions.sees_history)
    serializer_class = s.CaseEventSerializer
    queryset = CaseEvent.objects.none()

    def part_queryset(self, case):
        return case.events.order_by("at", "id")

    @extend_schema(operation_id="cases_history_list",
                   responses={200: s.CaseEventSerializer(many=True), **READ_ERRORS})
    def get(self, request, pk):
        return super().get(request, pk)


# --- letters ---------------------------------------------------------------------------------------


@extend_schema(tags=["letters"])
class LetterPdfView(ApiView):
    renderer_classes = [renderers.JSONRenderer, BinaryRenderer]

    @extend_schema(
        operation_id="letters_pdf",
        parameters=[OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH, description="The letter id"), NO_FORMAT],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                             description="The letter (attachment)"),
                   **READ_ERRORS},
    )
    def get(self, request, pk):
        """A letter's PDF, as an attachment."""
        letter = (Letter.objects.select_related("case__beneficiary", "case__debtor_payer", "case__occurrence")
                  .filter(pk=pk, case__in=access.cases_for(request.user)).first())
        if letter is None:
            self.audit(A.DOWNLOAD, object_type="recovery.Letter", object_id=pk, outcome=OUTCOME.DENIED)
            raise exceptions.NotFound("No such letter.")
        if not permissions.sees_details(access.access_to(request.user, letter.case)):
            self.refuse(A.DOWNLOAD, letter, "letter", "Your role on this case does not see its letters.")
        data = letter_pdf_bytes(letter)
        self.audit(A.DOWNLOAD, letter)
        return attachment(data, "application/pdf", letter_filename(letter))


# --- steps -------------------------------------------------------------------------------------------


@extend_schema(tags=["steps"])
class CaseActionView(ApiView):
    serializer_class = s.ActionInputSerializer

    @extend_schema(
        operation_id="cases_action",
        parameters=[CASE_ID, OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=ACTION_NAMES,
                                              description="The step (recovery.cases.tracks.ACTION_LABELS)")],
        request=s.ActionInputSerializer, responses={200: s.CaseDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk, action):
        """Take one step on the case (recovery.cases.services.case_act): 200 with the case as it now is."""
        if action not in tracks.ACTION_LABELS:
            raise exceptions.NotFound(f"No step '{action}'.")
        case, acc = self.visible_case(pk, part=action)
        if not access.may_take(request.user, case, action):
            self.refuse(A.ACT, case, action,
                        f"Your role on this case ({acc.role}) may not '{tracks.ACTION_LABELS[action]}'.")
        serializer = self.get_serializer(data=request.data)
        if (bad := self.invalid(case, action, serializer)) is not None:
            return bad
        data = dict(serializer.validated_data)
        wanted = STEP_PARAMS.get(action, ())
        stray = sorted(p for p in ALL_STEP_PARAMS - set(wanted) if p in data)
        if stray:
            return self.refused(case, action, CaseActionError(
                f"'{tracks.ACTION_LABELS[action]}' takes no {stray[0]}.", field=stray[0]))
        params = {p: data[p] for p in wanted if p in data}

        def work(stored):
            if "claims" in wanted:
                params["claims"] = self.case_claims(case, params.get("claims", []), "claims")
                params["filed_by"] = params.get("filed_by") or filer_name(request.user)
            if "removed_claims" in wanted:
                params["removed_claims"] = self.case_claims(case, params.get("removed_claims", []), "removed_claims")
            services.case_act(case=case, action=action, actor=request.user, on=data.get("on"),
                              reason=data.get("reason", ""), expected_state=data["expected_state"], **params)
            if action == "open_dispute":
                final_amount.final_amount_dispute_registered(case=case, dispute=selectors.pending_dispute(case=case))

        _, error = self.perform(case, action, work)
        if error:
            return error
        self.audit(A.ACT, case, detail=action)
        return self.case_detail(case, acc)


@extend_schema(tags=["steps"])
class DisputeView(ApiView):
    serializer_class = s.DisputeInputSerializer
    parser_classes = [parsers.MultiPartParser, parsers.JSONParser]

    @extend_schema(
        operation_id="cases_disputes_create", parameters=[CASE_ID],
        request={"multipart/form-data": s.DisputeInputSerializer, "application/json": s.DisputeInputSerializer},
        responses={201: s.DisputeSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk):
        """File a dispute of related claims on a CPL or CPN (SPEC §3.1; decided within 45 days, or 11 business
        days under a notice of settlement, §5.6), with evidence documents if any."""
        case, acc = self.visible_case(pk, part="open_dispute")
        if not access.may_take(request.user, case, "open_dispute"):
            self.refuse(A.ACT, case, "open_dispute", f"Your role on this case ({acc.role}) may not file a dispute.")
        serializer = self.get_serializer(data=request.data)
        if (bad := self.invalid(case, "open_dispute", serializer)) is not None:
            return bad
        data = serializer.validated_data

        def work(stored):
            claims = self.case_claims(case, data["claims"], "claims")
            services.case_act(case=case, action="open_dispute", actor=request.user, on=data.get("on"),
                              reason=data.get("reason", ""), expected_state=data.get("expected_state"),
                              claims=claims, filed_by=data.get("filed_by") or filer_name(request.user),
                              grounds=data["grounds"])
            dispute = selectors.pending_dispute(case=case)
            final_amount.final_amount_dispute_registered(case=case, dispute=dispute)
            dispute.api_documents = store_documents(request, case, data.get("documents", []), purpose=PURPOSE.DISPUTE,
                                                    field="documents", stored=stored)
            return dispute

        dispute, error = self.perform(case, "open_dispute", work)
        if error:
            return error
        self.audit(A.ACT, case, detail="open_dispute")
        return Response(s.DisputeSerializer(dispute, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


# --- writes that are not state changes -----------------------------------------------------------------


@extend_schema(tags=["steps"])
class SettlementView(ApiView):
    serializer_class = s.SettlementInputSerializer
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]

    @extend_schema(
        operation_id="cases_settlement_create", parameters=[CASE_ID],
        request={"application/json": s.SettlementInputSerializer, "multipart/form-data": s.SettlementInputSerializer},
        responses={201: OpenApiResponse(s.SettlementSerializer, description="Recorded"),
                   200: OpenApiResponse(s.SettlementSerializer, description="Corrected"), **WRITE_ERRORS},
    )
    def post(self, request, pk):
        """Send the settlement details before the demand (SPEC §3.1; beneficiary track): date, gross amount,
        attorney fees and other procurement costs, with the settlement documents if any. Sent again before
        the demand, they correct the details (the settlement date only until the case counts it). The
        caseworker then records the settlement as reported, or issues the demand."""
        case, acc = self.visible_case(pk, part="settlement")
        if not permissions.may_operate(acc, permissions.SETTLEMENT_ROLES):
            self.refuse(A.ACT, case, "settlement",
                        f"Your role on this case ({acc.role}) may not send settlement details.")
        serializer = self.get_serializer(data=request.data)
        if (bad := self.invalid(case, "settlement", serializer)) is not None:
            return bad
        data = serializer.validated_data
        existed = RecoveryCase.objects.filter(pk=case.pk, settlement__isnull=False).exists()

        def work(stored):
            self.check_expected_state(case, data.get("expected_state"))
            settlement = settlement_submit(
                case=case, actor=request.user, on=services.today(), settlement_date=data["settlement_date"],
                gross_amount=data["gross_amount"], attorney_fees=data["attorney_fees"],
                other_costs=data["other_costs"], other_settlement_expected=data["other_settlement_expected"])
            store_documents(request, case, data.get("documents", []), purpose=PURPOSE.SETTLEMENT, field="documents",
                            stored=stored)
            return settlement

        settlement, error = self.perform(case, "settlement", work)
        if error:
            return error
        self.audit(A.ACT, case, detail="settlement")
        return Response(s.SettlementSerializer(settlement).data,
                        status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


@extend_schema(tags=["steps"])
class ElectionView(ApiView):
    serializer_class = s.ElectionInputSerializer

    @extend_schema(
        operation_id="cases_elections_create", parameters=[CASE_ID], request=s.ElectionInputSerializer,
        responses={201: OpenApiResponse(s.ElectionSerializer, description="Recorded: accepted, or refused with "
                                                                           "its reasons"), **WRITE_ERRORS},
    )
    def post(self, request, pk):
        """Elect the fixed-percentage or self-calculated option before the demand (SPEC §5.3). An election
        the rules refuse is still recorded, with its reasons (status "refused")."""
        case, acc = self.visible_case(pk, part="election")
        if not permissions.may_operate(acc, permissions.ELECTION_ROLES):
            self.refuse(A.ACT, case, "election", f"Your role on this case ({acc.role}) may not elect an option.")
        serializer = self.get_serializer(data=request.data)
        if (bad := self.invalid(case, "election", serializer)) is not None:
            return bad
        data = serializer.validated_data
        kind = data["kind"]
        elected_on = data.get("elected_on") or services.today()

        def work(stored):
            if kind == "fixed_percentage":
                return options.option_elect_fixed_percentage(case=case, elected_on=elected_on, actor=request.user)
            return options.option_elect_self_calculated(
                case=case, elected_on=elected_on, injury_date=data["injury_date"],
                care_completed_date=data.get("care_completed_date"),
                physician_attestation=data.get("physician_attestation", False),
                expected_settlement=data["expected_settlement"], submitted_amount=data["submitted_amount"],
                actor=request.user)

        election, error = self.perform(case, f"option_{kind}", work)
        if error:
            return error
        self.audit(A.ACT, case, detail=f"option_{kind}")
        return Response(s.ElectionSerializer(election).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["steps"])
class PaymentView(ApiView):
    serializer_class = s.PaymentInputSerializer

    @extend_schema(
        operation_id="cases_payments_create", parameters=[CASE_ID], request=s.PaymentInputSerializer,
        responses={201: s.PaymentSerializer, **WRITE_ERRORS},
    )
    def post(self, request, pk):
        """Record a payment received (staff): interest due by its date first, then principal (SPEC §5.5).
        A payment that clears the balance closes the case as paid."""
        case, acc = self.visible_case(pk, part="record_payment")
        if not permissions.may_operate(acc, permissions.PAYMENT_ROLES):
            self.refuse(A.ACT, case, "record_payment", f"Your role on this case ({acc.role}) may not record payments.")
        serializer = self.get_serializer(data=request.data)
        if (bad := self.invalid(case, "record_payment", serializer)) is not None:
            return bad
        data = serializer.validated_data
        event, error = self.perform(case, "record_payment", lambda stored: ledger.payment_record(
            case=case, amount=data["amount"], received_on=data["received_on"], actor=request.user))
        if error:
            return error
        self.audit(A.ACT, case, detail="record_payment")
        case.refresh_from_db(fields=["state"])
        context = {"balance": selectors.debt_balance(case=case), "case_state": case.state}
        return Response(s.PaymentSerializer(event, context=context).data, status=status.HTTP_201_CREATED)


# --- documents -----------------------------------------------------------------------------------------


@extend_schema(tags=["documents"])
class DocumentUploadView(ApiView):
    serializer_class = s.DocumentInputSerializer
    parser_classes = [parsers.MultiPartParser]

    @extend_schema(
        operation_id="documents_create", request={"multipart/form-data": s.DocumentInputSerializer},
        responses={201: s.DocumentSerializer, 400: E400, 401: E401, 403: E403, 415: E415, 429: E429},
    )
    def post(self, request):
        """Upload a document (checked by its content: PDF, PNG, JPEG or TIFF; not empty; size-limited) — for a
        case you may act on, or on its own (e.g. a POR or CTR before it is verified)."""
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            self.audit(A.CREATE, object_type="recovery.UploadedDocument", outcome=OUTCOME.REFUSED)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        case = None
        if data.get("case") is not None:
            case = access.cases_for(request.user).filter(pk=data["case"]).first()
            if case is None:
                self.audit(A.CREATE, object_type=CASE_TYPE, object_id=data["case"], outcome=OUTCOME.DENIED,
                           detail="document")
                return Response({"case": ["No such case."]}, status=status.HTTP_400_BAD_REQUEST)
            if not permissions.may_operate(access.access_to(request.user, case), permissions.DOCUMENT_ROLES):
                self.refuse(A.CREATE, case, "document", "Your role on this case may not add documents to it.")
        try:
            doc = document_store(uploaded=data["file"], purpose=data["purpose"], actor=request.user, case=case,
                                 field="file")
        except CaseActionError as exc:
            self.audit(A.CREATE, object_type="recovery.UploadedDocument", outcome=OUTCOME.REFUSED)
            return Response(field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        self.audit(A.CREATE, doc)
        return Response(s.DocumentSerializer(doc, context={"request": request}).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["documents"])
class DocumentDownloadView(ApiView):
    renderer_classes = [renderers.JSONRenderer, BinaryRenderer]

    @extend_schema(
        operation_id="documents_retrieve",
        parameters=[OpenApiParameter("key", OpenApiTypes.UUID, OpenApiParameter.PATH), NO_FORMAT],
        responses={**{(200, t): OpenApiResponse(OpenApiTypes.BINARY, description="The document (attachment)")
                      for t in ("application/pdf", "image/png", "image/jpeg", "image/tiff")},
                   401: E401, 404: E404, 429: E429},
    )
    def get(self, request, key):
        """Download an uploaded document — the same checks as the portal (recovery.portal.documents)."""
        doc = UploadedDocument.objects.filter(key=key).first()
        if doc is None or not may_read_document(request.user, doc):
            if doc is not None:
                self.audit(A.DOWNLOAD, doc, outcome=OUTCOME.DENIED)
            raise exceptions.NotFound("No such document.")
        data = document_bytes(doc)
        self.audit(A.DOWNLOAD, doc)
        return attachment(data, doc.content_type, doc.original_name)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other path under /api/: a JSON 404 (not the site's HTML page), e.g. /api/cases/-1/."""
    return JsonResponse({"detail": "Not found."}, status=404)


# --- token ----------------------------------------------------------------------------------------------


class TokenRequestSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(required=False, allow_blank=True, max_length=16, write_only=True,
                                      help_text="Staff, when the second factor is required: the one-time code")


@extend_schema(tags=["auth"])
class TokenView(ObtainAuthToken):
    """DRF's obtain_auth_token, throttled as anonymous traffic, with what the sign-in pages have:

    - django-axes sees every attempt (DRF passes the request to authenticate(), as AxesStandaloneBackend
      requires); a locked-out user gets 429 even with the right password, and a token issued counts as a
      login (user_logged_in: axes forgets the failures, last_login is set);
    - staff give a one-time code from their device when STAFF_OTP_REQUIRED is on, as in the admin."""

    authentication_classes = []
    throttle_classes = [AnonRateThrottle]
    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        operation_id="token_create", request=TokenRequestSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()}), 400: E400, 415: E415,
                   429: E429},
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        """Exchange a username and password for an API token; send it as `Authorization: Token <key>`."""
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                return Response({"detail": "Too many failed login attempts: the account is locked for a while."},
                                status=status.HTTP_429_TOO_MANY_REQUESTS)
            raise
        user = serializer.validated_data["user"]
        if permissions.second_factor_required(user):
            code = serializer.validated_data.get("otp_token", "")
            if not code or django_otp.match_token(user, code) is None:
                raise exceptions.ValidationError(
                    {"otp_token": ["Staff give the one-time code from their device." if not code
                                   else "The one-time code is not valid."]})
        token = issue_token(user)  # a fresh one when the old one expired (TOKEN_TTL_HOURS)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})

    # DELETE is the one method here that needs credentials: the token it revokes.
    def initialize_request(self, request, *args, **kwargs):
        self._method = request.method
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self):
        method = getattr(self, "_method", None) or getattr(getattr(self, "request", None), "method", None)
        return [ExpiringTokenAuthentication()] if method == "DELETE" else []

    @extend_schema(operation_id="token_destroy", request=None,
                   responses={204: OpenApiResponse(description="The token is revoked"), 401: E401, 429: E429})
    def delete(self, request, *args, **kwargs):
        """Revoke the token this request is sent with (issue 9 #12); afterwards it is refused with 401."""
        if not request.user.is_authenticated or request.auth is None:
            raise exceptions.NotAuthenticated()
        user_id = request.user.pk
        request.auth.delete()
        audit.record(request, A.UPDATE, channel="api", object_type="authtoken.Token", object_id=user_id,
                     detail="revoke token")
        return Response(status=status.HTTP_204_NO_CONTENT)
