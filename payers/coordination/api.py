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

from . import forms, services
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


def _choice(choices, help_text, default):
    return serializers.ChoiceField(choices=[c for c, _ in choices], required=False, default=str(default),
                                   help_text=help_text)


class WhoPaysFirstInputSerializer(serializers.Serializer):
    on = _date("Date of service", required=True)
    mbi = serializers.CharField(required=False, allow_blank=True, max_length=13,
                                help_text="Optional: the beneficiary whose record gives date of birth and basis")
    date_of_birth = _date("Date of birth (required without an mbi)")
    disabled = _flag("Entitled to Medicare on the basis of disability")
    other_entitlement_start = _date("When Medicare on age or disability began")
    esrd_start = _date("First day of the first month of ESRD entitlement")
    esrd_end = _date("Last day of ESRD entitlement (null while it lasts)")
    dialysis_start = _date("Dialysis started (used when esrd_start is null)")
    self_dialysis_training = _flag("Took a self-dialysis training programme")
    transplant_admission = _date("Admitted for a kidney transplant")
    transplant_date = _date("Kidney transplant")
    previous_esrd_start = _date("An earlier, ended ESRD period: start")
    previous_esrd_end = _date("An earlier, ended ESRD period: end")
    medicare_primary_when_esrd_began = _choice(forms.KNOWN_CHOICES, "Was Medicare properly primary when ESRD "
                                               "entitlement began (unknown: decide from the answers)", "unknown")
    part_a = _choice(forms.PART_A_CHOICES, "Part A", forms.PartA.PREMIUM_FREE)
    part_b = _flag("Enrolled in Part B", default=True)
    ghp = _choice(forms.GHP_CHOICES, "Group health plan coverage", forms.GHPBasis.NONE)
    ghp_through = _choice(forms.THROUGH_CHOICES, "Whose employment the GHP comes through", forms.Through.SELF)
    employer_size = _count("The employer's number of employees")
    multi_employer = _flag("Multi-employer or multiple-employer plan")
    largest_employer_size = _count("The largest employer in the multi-employer plan")
    small_employer_exempted = _flag("The multi-employer plan exempted employers with fewer than 20")
    cobra_before_medicare = _flag("COBRA began before Medicare entitlement")
    nghp = _choice(forms.NGHP_CHOICES, "Liability, no-fault or workers' compensation", forms.NGHP.NONE)
    nghp_related_care = _flag("The care is related to that claim", default=True)
    claim_received = _date("The plan received the claim (120-day rule)")
    nghp_paid_on = _date("The plan paid")
    black_lung = _flag("Covered by the Federal Black Lung Program")
    black_lung_related_care = _flag("The care is related to Black Lung")
    va_authorised_care = _flag("VA-authorised care")
    tricare = _flag("Covered by TRICARE")
    military_facility = _flag("At a military hospital or other federal provider")
    medicaid = _flag("Covered by Medicaid")

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


class WhoPaysFirstView(ApiView):
    serializer_class = WhoPaysFirstInputSerializer

    @extend_schema(
        tags=["coordination"], operation_id="coordination_who_pays_first", request=WhoPaysFirstInputSerializer,
        responses={200: WhoPaysFirstSerializer, 400: E400, 401: E401,
                   403: OpenApiResponse(E403.response, description="Not staff"), 415: E415, 429: E429},
    )
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
        answers = {k: v for k, v in serializer.validated_data.items() if k != "mbi"}
        try:
            result = services.determine(answers, beneficiary=beneficiary)
        except CoordinationInputError as exc:
            name = exc.field if exc.field in serializer.fields else "non_field_errors"
            return Response({name: [f"{exc.field}: {exc.message}."]}, status=status.HTTP_400_BAD_REQUEST)
        body = {**services.as_dict(result), "beneficiary_id": beneficiary.pk if beneficiary else None}
        return Response(WhoPaysFirstSerializer(body).data)


class WcmsaInputSerializer(serializers.Serializer):
    total_settlement = Money(help_text="The total settlement, in dollars and cents")
    medicare_beneficiary = _flag("The claimant is a Medicare beneficiary")
    expects_medicare_within_30_months = _flag("Reasonable expectation of Medicare enrolment within 30 months of "
                                              "the settlement date (or give the two dates)")
    settlement_date = _date("Settlement date")
    expected_medicare_on = _date("Expected Medicare enrolment (decides the 30 months with settlement_date)")

    validate = WhoPaysFirstInputSerializer.validate


class WcmsaSerializer(serializers.Serializer):
    reviewed = serializers.BooleanField(help_text="CMS reviews this WCMSA")
    rule = serializers.CharField()


class WcmsaReviewView(ApiView):
    serializer_class = WcmsaInputSerializer

    @extend_schema(
        tags=["coordination"], operation_id="coordination_wcmsa_review", request=WcmsaInputSerializer,
        responses={200: WcmsaSerializer, 400: E400, 401: E401,
                   403: OpenApiResponse(E403.response, description="Not staff"), 415: E415, 429: E429},
    )
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
            name = exc.field if exc.field in serializer.fields else "non_field_errors"
            return Response({name: [f"{exc.field}: {exc.message}."]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(WcmsaSerializer({"reviewed": result.reviewed, "rule": result.rule}).data)
