"""POST /api/coordination/who-pays-first/ (SPEC §7): the who-pays-first determination for staff; and
POST /api/coordination/wcmsa-review/: would CMS review a WCMSA.

Staff who may see cases only (``recovery.access.checks.is_staff_user``; 401 without credentials, 403 for anyone
else). With an ``mbi`` the beneficiary's record supplies the date of birth and entitlement basis, and the
read is audit-logged (channel ``api``). Bad input: 400 ``{"field": ["message"]}``; nothing is stored.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Beneficiary
from recovery.access import checks as access, audit
from recovery.api.serializers import Money
from recovery.api.views import E400, E401, E403, E415, E429, ApiView

from . import answers, services
from .rules import EARLIEST_DATE, LATEST_DATE, PAYER_LABELS, CoordinationInputError

DATE_HELP = "YYYY-MM-DD, 1900-01-01 to 2199-12-31"


def _date(help_text, **kw):
    kw.setdefault("required", False)
    if not kw["required"]:
        kw.setdefault("allow_null", True)
    return serializers.DateField(help_text=f"{help_text} ({DATE_HELP})", **kw)


def _count(help_text):
    return serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10_000_000,
                                    help_text=help_text)


def _flag(help_text, default=False):
    return serializers.BooleanField(required=False, default=default, help_text=help_text)


def _field(answer: answers.Answer):
    """The API's field for one answer (answers.ANSWERS)."""
    if answer.kind == "date":
        return _date(answer.api_help, required=answer.required)
    if answer.kind == "flag":
        return _flag(answer.api_help, default=answer.default)
    if answer.kind == "count":
        return _count(answer.api_help)
    return serializers.ChoiceField(choices=[c for c, _ in answer.choices], required=False,
                                   default=str(answer.default), help_text=answer.api_help)


class _WhoPaysFirstInputBase(serializers.Serializer):
    on = _field(answers.DATE_OF_SERVICE)
    mbi = serializers.CharField(required=False, allow_blank=True, max_length=13,
                                help_text="Optional: the beneficiary whose record gives date of birth and basis")

    def validate(self, attrs):
        errors = {}
        for name, value in attrs.items():
            if isinstance(self.fields.get(name), serializers.DateField) and value is not None \
                    and not EARLIEST_DATE <= value <= LATEST_DATE:
                errors[name] = [f"{name} must be between 1900-01-01 and 2199-12-31."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def validate_mbi(self, value):
        if not value.strip():
            return ""
        try:
            mbi = normalize_mbi(value)
        except InvalidMBI as exc:
            raise serializers.ValidationError(str(exc)) from exc
        beneficiary = Beneficiary.objects.filter(mbi=mbi).first()
        if beneficiary is None:
            raise serializers.ValidationError("No beneficiary has this MBI.")
        self.beneficiary = beneficiary
        return mbi


# The answers' fields, declared from the one table (the serializer's metaclass collects them in order).
WhoPaysFirstInputSerializer = type(serializers.Serializer)("WhoPaysFirstInputSerializer", (_WhoPaysFirstInputBase,), {
    "__module__": __name__, **{a.name: _field(a) for a in answers.ANSWERS}})


PAYERS = [str(p) for p in PAYER_LABELS]


class PayerInOrderSerializer(serializers.Serializer):
    payer = serializers.ChoiceField(choices=PAYERS)
    label = serializers.CharField()


class AppliedRuleSerializer(serializers.Serializer):
    rule_id = serializers.CharField()
    rule = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class WhoPaysFirstSerializer(serializers.Serializer):
    primary = serializers.ChoiceField(choices=PAYERS, help_text="Who pays first")
    primary_label = serializers.CharField()
    secondary = serializers.ChoiceField(choices=PAYERS, allow_null=True, help_text="Who pays next (or null)")
    secondary_label = serializers.CharField(allow_null=True)
    order = PayerInOrderSerializer(many=True, help_text="Everyone who pays, first to last")
    rule_id = serializers.CharField(help_text="The rule that decided who pays first (e.g. T1.2: CRS Table 1)")
    rule = serializers.CharField()
    applied = AppliedRuleSerializer(many=True, help_text="Every rule applied")
    medicare_primary = serializers.BooleanField()
    medicare_pays = serializers.BooleanField(help_text="False when Medicare pays nothing (VA, military facility)")
    conditional_payment = serializers.BooleanField(help_text="Medicare may pay conditionally (120-day rule)")
    coordination_period = PeriodSerializer(allow_null=True, help_text="The ESRD 30-month coordination period")
    beneficiary_id = serializers.IntegerField(allow_null=True)


def _schema(operation_id, request, response):
    return extend_schema(tags=["coordination"], operation_id=operation_id, request=request,
                         responses={200: response, 400: E400, 401: E401, 415: E415, 429: E429,
                                    403: OpenApiResponse(E403.response, description="Not staff")})


def _refused(exc: CoordinationInputError, serializer):
    """The rule's refusal as a 400 on the answer it names (SPEC §9)."""
    name = exc.field if exc.field in serializer.fields else "non_field_errors"
    return Response({name: [f"{exc.field}: {exc.message}."]}, status=status.HTTP_400_BAD_REQUEST)


class WhoPaysFirstView(ApiView):
    serializer_class = WhoPaysFirstInputSerializer

    @_schema("coordination_who_pays_first", WhoPaysFirstInputSerializer, WhoPaysFirstSerializer)
    def post(self, request):
        """Who pays first for one service on one day (SPEC §7, CRS Tables 1–3), with the rule that decided
        it; staff only. Stores nothing."""
        if not access.is_staff_user(request.user):
            raise exceptions.PermissionDenied("Who pays first is for staff.")
        serializer = self.get_serializer(data=request.data)
        serializer.beneficiary = None
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        beneficiary = serializer.beneficiary
        if beneficiary is not None:
            self.audit(audit.A.VIEW, beneficiary, detail="who_pays_first")
        try:
            result = services.determine(answers.answers_of(serializer.validated_data), beneficiary=beneficiary)
        except CoordinationInputError as exc:
            return _refused(exc, serializer)
        body = {**services.as_dict(result), "beneficiary_id": beneficiary.pk if beneficiary else None}
        return Response(WhoPaysFirstSerializer(body).data)


class WcmsaInputSerializer(serializers.Serializer):
    total_settlement = Money(help_text="The total settlement, in dollars and cents")
    medicare_beneficiary = _flag("The claimant is a Medicare beneficiary")
    expects_medicare_within_30_months = _flag("Reasonable expectation of Medicare enrolment within 30 months of "
                                              "the settlement date (or give the two dates)")
    settlement_date = _date("Settlement date")
    expected_medicare_on = _date("Expected Medicare enrolment (decides the 30 months with settlement_date)")

    validate = _WhoPaysFirstInputBase.validate


class WcmsaSerializer(serializers.Serializer):
    reviewed = serializers.BooleanField(help_text="CMS reviews this WCMSA")
    rule = serializers.CharField()


class WcmsaReviewView(ApiView):
    serializer_class = WcmsaInputSerializer

    @_schema("coordination_wcmsa_review", WcmsaInputSerializer, WcmsaSerializer)
    def post(self, request):
        """Would CMS review a workers' compensation Medicare set-aside (SPEC §7)? A beneficiary with a total
        settlement over $25,000, or a claimant expecting Medicare within 30 months with over $250,000.
        Staff only; reads and stores nothing."""
        if not access.is_staff_user(request.user):
            raise exceptions.PermissionDenied("The WCMSA check is for staff.")
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = services.wcmsa(serializer.validated_data)
        except CoordinationInputError as exc:
            return _refused(exc, serializer)
        return Response(WcmsaSerializer({"reviewed": result.reviewed, "rule": result.rule}).data)
