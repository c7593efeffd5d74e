"""Staff-only API to create and correct the records a case rests on (issue 13, item 2): beneficiaries,
payers, MSP occurrences, cases and claims — through the same service functions as the intake and the
admin (recovery.intake.records, recovery.cases.services.case_open), audited (channel "api", ids only) — and
authorisations: a representative submits one, a caseworker verifies or rejects it
(beneficiaries.services.authorisation_submit / authorisation_decide).

Answers as the rest of the API (recovery/api/views.py): 401 no credentials; 403 not staff with the
model's add/change permission; 404 no such record; 400 `{"field": ["message"]}` and nothing changed.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Authorisation, Beneficiary, ExternalProfile
from beneficiaries.services import authorisation_decide, authorisation_submit
from payers.models import MSPOccurrence, Payer
from recovery.access import checks as access
from recovery.cases import services
from recovery.errors import CaseActionError
from recovery.intake import records
from recovery.models import Claim, RecoveryCase, UploadedDocument
from recovery.cases.tracks import Track

from . import views
from .serializers import MAX_ID, Money

A = views.A
OUTCOME = views.OUTCOME
ID = OpenApiParameter("id", views.ID_SCHEMA, OpenApiParameter.PATH, description="The record's id")


def _pk(queryset, **kw):
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID), **kw)


def _case_worker_field():
    """A case's caseworker: an active caseworker or supervisor, never the system user (issue 9)."""
    from ..access.roles import case_workers

    return _pk(case_workers(), required=False, allow_null=True, error_messages={
        "does_not_exist": "Choose an active caseworker or supervisor; user {pk_value} does not work cases."})


def validation_errors(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {views.NON_FIELD if k == "__all__" else k: v for k, v in exc.message_dict.items()}
    return {views.NON_FIELD: exc.messages}


# --- serializers -------------------------------------------------------------------------------------


class Strict:
    """JSON types as the schema says: a string field takes a string, a boolean a boolean (DRF would turn
    12 into "12" and 1 into true)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(name)
                if field.read_only or value is None:
                    continue
                if isinstance(field, serializers.CharField) and not isinstance(value, str):
                    errors[name] = ["Give a string."]
                elif isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                    errors[name] = ["Give true or false."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class MBIField(serializers.CharField):
    def __init__(self, **kw):
        super().__init__(max_length=13, **kw)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_mbi(value)  # SPEC §8, the beneficiaries' validator
        except InvalidMBI as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return value


class BeneficiarySerializer(Strict, serializers.ModelSerializer):
    mbi = MBIField()

    class Meta:
        model = Beneficiary
        fields = ["id", *records.BENEFICIARY_FIELDS]
        read_only_fields = ["id"]


class PayerSerializer(Strict, serializers.ModelSerializer):
    class Meta:
        model = Payer
        fields = ["id", *records.PAYER_FIELDS]
        read_only_fields = ["id"]


class OccurrenceSerializer(Strict, serializers.ModelSerializer):
    beneficiary = _pk(Beneficiary.objects.all())
    payer = _pk(Payer.objects.all())

    class Meta:
        model = MSPOccurrence
        fields = ["id", *records.OCCURRENCE_FIELDS]
        read_only_fields = ["id"]


class ClaimRecordSerializer(Strict, serializers.ModelSerializer):
    amount_paid = Money()  # a string of dollars and cents, never a JSON number (SPEC §5)
    class Meta:
        model = Claim
        fields = ["id", "case", *records.CLAIM_FIELDS]
        read_only_fields = ["id", "case"]


class _WithCaseworker:
    """A case's caseworker field, built per request (the queryset of who works cases is read then)."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.fields["caseworker"] = _case_worker_field()


class CaseOpenSerializer(_WithCaseworker, Strict, serializers.Serializer):
    beneficiary = _pk(Beneficiary.objects.all())
    track = serializers.ChoiceField(choices=Track.choices)
    occurrence = _pk(MSPOccurrence.objects.all(), required=False, allow_null=True)
    debtor_payer = _pk(Payer.objects.all(), required=False, allow_null=True)
    opened_on = serializers.DateField(required=False)


class CaseCorrectSerializer(_WithCaseworker, Strict, serializers.Serializer):
    occurrence = _pk(MSPOccurrence.objects.all(), required=False, allow_null=True)


class CaseOpenedSerializer(Strict, serializers.ModelSerializer):
    class Meta:
        model = RecoveryCase
        fields = ["id", "number", "track", "state", "beneficiary", "occurrence", "debtor_payer", "caseworker",
                  "opened_on", "incident_date"]
        read_only_fields = fields


class AuthorisationSubmitSerializer(Strict, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Authorisation.Kind.choices)
    document = serializers.UUIDField(help_text="The key of the document you uploaded (POST /api/documents/)")
    case_number = serializers.RegexField(r"^\d{15}$", required=False, help_text="POR or CTR: the case")
    mbi = MBIField(required=False, help_text="POR or CTR: the beneficiary's MBI, which must match the case")
    ctr_end_date = serializers.DateField(required=False, allow_null=True)
    from_estate = serializers.BooleanField(default=False)


class AuthorisationDecisionSerializer(Strict, serializers.Serializer):
    verified = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AuthorisationSerializer(Strict, serializers.ModelSerializer):
    class Meta:
        model = Authorisation
        fields = ["id", "kind", "status", "case", "payer", "ctr_end_date", "from_estate", "submitted_at",
                  "decided_on", "decision_note"]
        read_only_fields = fields


# --- views ----------------------------------------------------------------------------------------------


class Validating:
    """The one validation block of the create, correct and authorisation views: the serializer's data,
    or the 400 answer naming each bad field, audited as refused."""

    def validated(self, serializer, action, obj=None, **audit):
        if serializer.is_valid():
            return serializer.validated_data, None
        self.audit(action, obj, outcome=OUTCOME.REFUSED, **audit)
        return None, Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)


class StaffRecordView(Validating, views.ApiView):
    """Create (POST on the collection) and correct (PATCH on one) a record, for staff holding the model's
    add / change permission."""

    model = None
    serializer_class = None
    save = None  # the service function

    def check_perm(self, verb, obj=None):
        meta = self.model._meta
        user = self.request.user
        if not (user.is_staff and user.has_perm(f"{meta.app_label}.{verb}_{meta.model_name}")):
            self.audit(A.CREATE if verb == "add" else A.UPDATE, obj, object_type=meta.label,
                       outcome=OUTCOME.DENIED)
            raise exceptions.PermissionDenied(f"Only staff who may {verb} {meta.verbose_name_plural} can do this.")

    def run(self, action, obj, work):
        meta = self.model._meta
        try:
            with transaction.atomic():
                return work(), None
        except ValidationError as exc:
            self.audit(action, obj, object_type=meta.label, outcome=OUTCOME.REFUSED)
            return None, Response(validation_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        except CaseActionError as exc:
            self.audit(action, obj, object_type=meta.label, outcome=OUTCOME.REFUSED)
            return None, Response(views.field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        except IntegrityError:
            self.audit(action, obj, object_type=meta.label, outcome=OUTCOME.REFUSED)
            return None, Response({"detail": views.STALE}, status=status.HTTP_409_CONFLICT)

    def written(self, action, obj, work, present, *, created=False):
        """Run the service call `work` (run: refusals answered and audited), audit what it wrote and
        answer with `present(result)`."""
        result, error = self.run(action, obj, work)
        if error:
            return error
        self.audit(action, result)
        return Response(present(result), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def create(self, request):
        self.check_perm("add")
        data, error = self.validated(self.get_serializer(data=request.data), A.CREATE,
                                     object_type=self.model._meta.label)
        if error:
            return error
        return self.written(A.CREATE, None, lambda: type(self).save(actor=request.user, values=dict(data)),
                            lambda obj: self.get_serializer(obj).data, created=True)

    def correct(self, request, pk):
        self.check_perm("change")
        obj = self.model.objects.filter(pk=pk).first()
        if obj is None:
            self.audit(A.UPDATE, object_type=self.model._meta.label, object_id=pk, outcome=OUTCOME.DENIED)
            raise exceptions.NotFound("No such record.")
        data, error = self.validated(self.get_serializer(obj, data=request.data, partial=True), A.UPDATE, obj)
        if error:
            return error
        return self.written(A.UPDATE, obj, lambda: type(self).save(actor=request.user, instance=obj, values=dict(data)),
                            lambda saved: self.get_serializer(saved).data)


def _collection(model_, serializer_, save_, tag, noun):
    class Collection(StaffRecordView):
        model, serializer_class, save = model_, serializer_, staticmethod(save_)

        @extend_schema(operation_id=f"{tag}_create", tags=["records"], request=serializer_,
                       responses={201: serializer_, **views.WRITE_ERRORS})
        def post(self, request):
            return self.create(request)

    class Item(StaffRecordView):
        model, serializer_class, save = model_, serializer_, staticmethod(save_)

        @extend_schema(operation_id=f"{tag}_partial_update", tags=["records"], parameters=[ID],
                       request=serializer_, responses={200: serializer_, **views.WRITE_ERRORS})
        def patch(self, request, pk):
            return self.correct(request, pk)

    Collection.post.__doc__ = f"Create a {noun} (staff). The model's rules apply; bad input names the field."
    Item.patch.__doc__ = f"Correct a {noun} (staff): only the fields sent change."
    Collection.__name__, Item.__name__ = f"{model_.__name__}CreateView", f"{model_.__name__}CorrectView"
    return Collection, Item


BeneficiaryCreateView, BeneficiaryCorrectView = _collection(
    Beneficiary, BeneficiarySerializer, records.beneficiary_save, "beneficiaries", "beneficiary")
PayerCreateView, PayerCorrectView = _collection(Payer, PayerSerializer, records.payer_save, "payers", "payer")
OccurrenceCreateView, OccurrenceCorrectView = _collection(
    MSPOccurrence, OccurrenceSerializer, records.occurrence_save, "occurrences", "MSP occurrence")


class CaseListCreateView(views.CaseListView, StaffRecordView):
    model = RecoveryCase

    @extend_schema(operation_id="cases_create", tags=["records"], request=CaseOpenSerializer,
                   responses={201: CaseOpenedSerializer, **views.WRITE_ERRORS})
    def post(self, request):
        """Open a case (staff; recovery.cases.services.case_open): beneficiary, track, MSP occurrence, the debtor
        plan on the plan tracks."""
        self.check_perm("add")
        data, error = self.validated(CaseOpenSerializer(data=request.data), A.CREATE, object_type=views.CASE_TYPE)
        if error:
            return error
        if data.get("opened_on") and data["opened_on"] > services.today():
            return Response({"opened_on": ["A case cannot be opened in the future."]}, status=400)
        return self.written(A.CREATE, None, lambda: services.case_open(actor=request.user, **data),
                            lambda case: CaseOpenedSerializer(case).data, created=True)


class CaseDetailCorrectView(views.CaseDetailView, StaffRecordView):
    model = RecoveryCase

    @extend_schema(operation_id="cases_partial_update", tags=["records"], parameters=[views.CASE_ID],
                   request=CaseCorrectSerializer, responses={200: CaseOpenedSerializer, **views.WRITE_ERRORS})
    def patch(self, request, pk):
        """Correct a case's caseworker or MSP occurrence (staff); states and dates change only by steps."""
        case, _ = self.visible_case(pk)
        self.check_perm("change", case)
        data, error = self.validated(CaseCorrectSerializer(data=request.data), A.UPDATE, case)
        if error:
            return error
        return self.written(A.UPDATE, case, lambda: records.case_correct(actor=request.user, case=case,
                                                                         values=dict(data)),
                            lambda saved: CaseOpenedSerializer(saved).data)


class CaseClaimsCreateView(views.CaseClaimsView, StaffRecordView):
    model = Claim

    @extend_schema(operation_id="cases_claims_create", tags=["records"], parameters=[views.CASE_ID],
                   request=ClaimRecordSerializer, responses={201: ClaimRecordSerializer, **views.WRITE_ERRORS})
    def post(self, request, pk):
        """Add a claim to a case before its demand (staff): dates of service inside the recovery period."""
        case, _ = self.visible_case(pk, part="claims")
        self.check_perm("add", case)
        data, error = self.validated(ClaimRecordSerializer(data=request.data), A.CREATE, case, detail="claims")
        if error:
            return error
        return self.written(A.CREATE, case, lambda: records.claim_save(actor=request.user, case=case, values=dict(data)),
                            lambda claim: ClaimRecordSerializer(claim).data, created=True)


class ClaimCorrectView(StaffRecordView):
    model = Claim
    serializer_class = ClaimRecordSerializer

    @extend_schema(operation_id="claims_partial_update", tags=["records"], parameters=[ID],
                   request=ClaimRecordSerializer, responses={200: ClaimRecordSerializer, **views.WRITE_ERRORS})
    def patch(self, request, pk):
        """Correct a claim before its case's demand (staff)."""
        self.check_perm("change")
        claim = Claim.objects.filter(pk=pk, case__in=access.cases_for(request.user)).select_related("case").first()
        if claim is None:
            self.audit(A.UPDATE, object_type="recovery.Claim", object_id=pk, outcome=OUTCOME.DENIED)
            raise exceptions.NotFound("No such claim.")
        data, error = self.validated(ClaimRecordSerializer(claim, data=request.data, partial=True), A.UPDATE, claim)
        if error:
            return error
        return self.written(A.UPDATE, claim, lambda: records.claim_save(actor=request.user, case=claim.case,
                                                                        instance=claim, values=dict(data)),
                            lambda saved: ClaimRecordSerializer(saved).data)


# --- authorisations ---------------------------------------------------------------------------------------


class AuthorisationSubmitView(Validating, views.ApiView):
    serializer_class = AuthorisationSubmitSerializer

    @extend_schema(operation_id="authorisations_create", tags=["authorisations"],
                   request=AuthorisationSubmitSerializer,
                   responses={201: AuthorisationSerializer, 400: views.E400, 401: views.E401, 403: views.E403,
                              415: views.E415, 429: views.E429})
    def post(self, request):
        """Submit a POR or CTR (attorneys and representatives) or a letter of authority (insurer contacts)
        for yourself, with the document you uploaded; a caseworker then verifies or rejects it (SPEC §8).
        A POR or CTR names the case by its number and the beneficiary's MBI."""
        profile = ExternalProfile.objects.filter(user=request.user).first()
        if profile is None:
            self.audit(A.CREATE, object_type="beneficiaries.Authorisation", outcome=OUTCOME.DENIED)
            raise exceptions.PermissionDenied("Authorisations are submitted by representatives and insurer contacts.")
        data, error = self.validated(self.get_serializer(data=request.data), A.CREATE,
                                     object_type="beneficiaries.Authorisation")
        if error:
            return error
        bad = None
        document = UploadedDocument.objects.filter(key=data["document"], uploaded_by=request.user).first()
        if document is None:
            bad = {"document": ["No document with this key uploaded by you."]}
        case = payer = None
        if data["kind"] == Authorisation.Kind.LOA:
            if profile.kind != ExternalProfile.Kind.INSURER_CONTACT:
                bad = bad or {"kind": ["A letter of authority comes from an insurer contact."]}
            payer = profile.payer
        elif not bad:
            case = RecoveryCase.objects.filter(number=data.get("case_number") or "",
                                               beneficiary__mbi=data.get("mbi") or "").first()
            if case is None:
                bad = {"case_number": ["No case with this number for this MBI."]}
        if bad:
            self.audit(A.CREATE, object_type="beneficiaries.Authorisation", outcome=OUTCOME.REFUSED)
            return Response(bad, status=status.HTTP_400_BAD_REQUEST)
        try:
            auth = authorisation_submit(kind=data["kind"], holder=request.user, document=document,
                                        actor=request.user, case=case, payer=payer,
                                        ctr_end_date=data.get("ctr_end_date"), from_estate=data["from_estate"])
        except CaseActionError as exc:
            self.audit(A.CREATE, object_type="beneficiaries.Authorisation", outcome=OUTCOME.REFUSED)
            return Response(views.field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        self.audit(A.CREATE, auth)
        return Response(AuthorisationSerializer(auth).data, status=status.HTTP_201_CREATED)


class AuthorisationDecisionView(Validating, views.ApiView):
    serializer_class = AuthorisationDecisionSerializer

    @extend_schema(operation_id="authorisations_decision_create", tags=["authorisations"], parameters=[ID],
                   request=AuthorisationDecisionSerializer,
                   responses={200: AuthorisationSerializer, **views.WRITE_ERRORS})
    def post(self, request, pk):
        """Verify (`verified: true`) or reject (with the note saying why) a pending authorisation —
        caseworkers (SPEC §8: only a verified one grants anything)."""
        user = request.user
        if not (user.is_staff and user.has_perm("beneficiaries.change_authorisation")):
            self.audit(A.UPDATE, object_type="beneficiaries.Authorisation", object_id=pk, outcome=OUTCOME.DENIED)
            raise exceptions.PermissionDenied("Only caseworkers verify or reject authorisations.")
        auth = Authorisation.objects.filter(pk=pk).first()
        if auth is None:
            self.audit(A.UPDATE, object_type="beneficiaries.Authorisation", object_id=pk, outcome=OUTCOME.DENIED)
            raise exceptions.NotFound("No such authorisation.")
        data, error = self.validated(self.get_serializer(data=request.data), A.UPDATE, auth)
        if error:
            return error
        try:
            auth = authorisation_decide(authorisation=auth, verified=data["verified"], actor=user, note=data["note"])
        except CaseActionError as exc:
            self.audit(A.UPDATE, auth, outcome=OUTCOME.REFUSED)
            return Response(views.field_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        self.audit(A.UPDATE, auth)
        return Response(AuthorisationSerializer(auth).data)
