"""What the API shows and accepts. Money is a string with two decimals ("1200.00"), never a float;
dates are ISO (YYYY-MM-DD). Serializers only shape and type data: the rules are in the services."""

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recovery import parsing
from recovery.cases import tracks
from recovery.money import ledger
from recovery.models import (
    CaseEvent,
    Claim,
    DebtEvent,
    Dispute,
    LedgerEntry,
    Letter,
    OptionElection,
    RecoveryCase,
    Settlement,
    UploadedDocument,
)
from recovery.cases.tracks import State

from . import permissions

MAX_ID = parsing.MAX_ID


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d{1,12}\.\d{2}$", "example": "1200.00"})
class MoneyOut(serializers.DecimalField):
    """An amount shown: a string with exactly two decimals (negative for a reduction in a ledger row)."""


@extend_schema_field({"type": "string", "format": "decimal",
                     "pattern": r"^\$?([0-9]{1,12}|[0-9]{1,3}(,[0-9]{3}){1,3})(\.[0-9]{1,2})?$",
                     "example": "1200.00"})
class MoneyIn(serializers.DecimalField):
    """An amount given: a string of dollars and cents ("1200.00", "$1,200.00"), not negative, at most two
    decimals, ASCII digits (recovery.parsing, the same reading as every form). A JSON number is refused:
    the JSON parser would have made it a float first (SPEC §5: never float)."""

    default_error_messages = {
        "not_a_string": 'Give the amount as a string of dollars and cents, e.g. "1200.00" (not a JSON number).',
    }

    def to_internal_value(self, data):
        """Read by the one parser (recovery.parsing): "1200.00", "$1,200.00"; never "1E5", "1_000", "١٢٣"."""
        if not isinstance(data, str):
            self.fail("not_a_string")
        if data != data.strip():
            raise serializers.ValidationError("Give the amount in dollars and cents, without spaces around it.", code="invalid")
        negative = self.min_value is None or self.min_value < 0
        try:
            amount = parsing.parse_money(data, self.field_name or "amount", allow_negative=negative,
                                         max_digits=self.max_digits - self.decimal_places)
        except parsing.ParseError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None
        return super().to_internal_value(format(amount, "f"))  # min/max value, digits: the DecimalField's


@extend_schema_field({"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                     "example": "2024-03-01"})
class IsoDateField(serializers.DateField):
    """A date given: YYYY-MM-DD in ASCII digits (recovery.parsing), a real calendar day."""

    def to_internal_value(self, value):
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str) and value != value.strip():
            raise serializers.ValidationError("Give the date without spaces around it (YYYY-MM-DD).", code="invalid")
        try:
            return parsing.parse_iso_date(value, self.field_name or "date")
        except parsing.ParseError as exc:
            raise serializers.ValidationError(exc.message, code="invalid") from None


class IdField(serializers.IntegerField):
    """A record id: a JSON integer or ASCII digits, 1 … 2**63−1 (recovery.parsing.parse_id)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float) or isinstance(data, bool):
            self.fail("invalid")
        name = self.field_name or (self.parent.field_name if self.parent is not None else None) or "id"
        try:
            return parsing.parse_id(data, name)
        except parsing.ParseError as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None


def Money(**kwargs):  # noqa: N802 — a field factory that reads like a field class
    """A dollar amount: a string with two decimals in and out; never negative in, never sub-cent."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("coerce_to_string", True)
    if kwargs.get("read_only"):
        return MoneyOut(**kwargs)
    kwargs.setdefault("min_value", Decimal("0"))
    return MoneyIn(**kwargs)


def _absolute(request, name, *args):
    path = reverse(name, args=args)
    return request.build_absolute_uri(path) if request is not None else path


# --- output --------------------------------------------------------------------------------------


class BalanceSerializer(serializers.Serializer):
    principal = Money(read_only=True)
    interest = Money(read_only=True)
    total = Money(read_only=True, help_text="Principal plus assessed interest")
    refund_owed = Money(read_only=True)


class ActionSerializer(serializers.Serializer):
    action = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)


class CaseListSerializer(serializers.ModelSerializer):
    track_label = serializers.CharField(source="get_track_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    beneficiary_name = serializers.CharField(source="beneficiary.full_name", read_only=True)
    mbi = serializers.CharField(source="beneficiary.mbi_display", read_only=True,
                                help_text="The beneficiary's MBI, dashed (1EG4-TE5-MK73)")
    caseworker_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    demand_amount = Money(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = RecoveryCase
        fields = ["id", "number", "track", "track_label", "state", "state_label", "beneficiary_name", "mbi",
                  "caseworker", "caseworker_name", "opened_on", "next_due_date", "next_due_reason", "overdue",
                  "demand_date", "demand_amount", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_caseworker_name(self, case) -> str:
        worker = case.caseworker
        return (worker.get_full_name() or worker.get_username()) if worker else ""

    def get_overdue(self, case) -> bool:
        return bool(case.next_due_date and case.next_due_date < timezone.localdate())

    def get_url(self, case) -> str:
        return _absolute(self.context.get("request"), "api:case-detail", case.pk)


class SettlementSerializer(serializers.ModelSerializer):
    """Settlement details (SPEC §3.1): date, gross amount, attorney fees and other procurement costs."""

    gross_amount = Money(read_only=True)
    attorney_fees = Money(read_only=True)
    other_costs = Money(read_only=True)
    procurement_costs = Money(read_only=True, help_text="What counts against the recovery (§411.37)")

    class Meta:
        model = Settlement
        fields = ["settlement_date", "gross_amount", "attorney_fees", "other_costs", "procurement_costs",
                  "costs_borne_by_beneficiary", "claim_was_disputed", "other_settlement_expected", "source",
                  "received_on"]
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    role = serializers.SerializerMethodField(help_text="Your role on this case: staff, por, ctr, debtor, reporter")
    may_act = serializers.SerializerMethodField(help_text="Whether your role may take any step on this case")
    available_actions = serializers.SerializerMethodField(help_text="The steps you may take now")
    balance = serializers.SerializerMethodField(help_text="The debt as the ledger stands (interest as assessed); "
                                                          "empty before the demand")
    settlement = serializers.SerializerMethodField()
    debtor = serializers.CharField(source="debtor_name", read_only=True,
                                   help_text="Who owes the debt: the beneficiary, or the plan/insurer")
    hold_reason = serializers.SerializerMethodField(help_text="Staff only")
    return_state = serializers.CharField(read_only=True, help_text="Where a pending dispute, appeal, waiver or "
                                                                   "challenge returns to (empty: none pending)")
    links = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "role", "may_act", "available_actions", "debtor", "incident_date", "termination_date", "rar_date",
            "cpl_date", "cpn_date", "payment_notice_date", "response_date", "demand_without_reduction", "itr_date",
            "referral_notice_date", "referral_date", "closed_date", "return_state", "appeal_level", "hold_reason",
            "balance", "settlement", "links",
        ]
        read_only_fields = fields

    @property
    def _access(self):
        return self.context["access"]

    def get_role(self, case) -> str:
        return self._access.role

    def get_may_act(self, case) -> bool:
        return self._access.act

    @extend_schema_field(ActionSerializer(many=True))
    def get_available_actions(self, case):
        request = self.context.get("request")
        return [{"action": a, "label": tracks.ACTION_LABELS[a],
                 "url": _absolute(request, "api:case-action", case.pk, a)}
                for a in self.context.get("actions", [])]

    @extend_schema_field(BalanceSerializer(allow_null=True))
    def get_balance(self, case):
        balance = self.context.get("balance")
        if balance is None:
            return None
        return BalanceSerializer({"principal": balance.principal, "interest": balance.interest,
                                  "total": balance.total, "refund_owed": balance.refund_owed}).data

    @extend_schema_field(SettlementSerializer(allow_null=True, read_only=True))
    def get_settlement(self, case):
        if not permissions.sees_details(self._access):
            return None
        try:
            return SettlementSerializer(case.settlement).data
        except Settlement.DoesNotExist:
            return None

    @extend_schema_field(OpenApiTypes.STR)
    def get_hold_reason(self, case) -> str:
        return case.hold_reason if self._access.role == "staff" else ""

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "uri"}})
    def get_links(self, case):
        request = self.context.get("request")
        access = self._access
        links = {}
        if permissions.sees_details(access):
            for part in ("claims", "letters", "ledger"):
                links[part] = _absolute(request, f"api:case-{part}", case.pk)
        if permissions.sees_history(access):
            links["history"] = _absolute(request, "api:case-history", case.pk)
        return links


class ClaimSerializer(serializers.ModelSerializer):
    amount_paid = Money(read_only=True)

    class Meta:
        model = Claim
        fields = ["id", "claim_number", "provider_name", "provider_npi", "service_from", "service_to",
                  "diagnosis_codes", "amount_paid", "paid_date", "status"]
        read_only_fields = fields


class RecipientSerializer(serializers.Serializer):
    role = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class LetterSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    amount = Money(read_only=True, allow_null=True)
    recipients = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField(help_text="Download the letter as a PDF")

    class Meta:
        model = Letter
        fields = ["id", "kind", "kind_label", "letter_date", "amount", "recipients", "pdf_url"]
        read_only_fields = fields

    @extend_schema_field(RecipientSerializer(many=True))
    def get_recipients(self, letter):
        return [{"role": r.get("role", ""), "name": r.get("name", "")} for r in letter.recipients]

    def get_pdf_url(self, letter) -> str:
        return _absolute(self.context.get("request"), "api:letter-pdf", letter.pk)


class LedgerEntrySerializer(serializers.ModelSerializer):
    amount = Money(read_only=True)
    principal = Money(read_only=True, help_text="Change in principal owed (negative: a reduction)")
    interest = Money(read_only=True, help_text="Change in interest owed")
    refund_owed = Money(read_only=True, help_text="Change in refund owed")
    base = Money(read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "entry_date", "amount", "principal", "interest", "refund_owed", "period", "base",
                  "reverses", "note"]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "at", "effective_date", "actor_name", "action", "action_label", "from_state", "to_state",
                  "reason"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = UploadedDocument
        fields = ["key", "case", "purpose", "original_name", "content_type", "size", "sha256", "uploaded_at",
                  "download_url"]
        read_only_fields = fields

    def get_download_url(self, doc) -> str:
        return _absolute(self.context.get("request"), "api:document-detail", doc.key)


class DisputeSerializer(serializers.ModelSerializer):
    claims = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True, source="api_documents")

    class Meta:
        model = Dispute
        fields = ["id", "received_date", "filed_by", "grounds", "claims", "from_state", "outcome", "documents"]
        read_only_fields = fields


class ElectionSerializer(serializers.ModelSerializer):
    expected_settlement = Money(read_only=True, allow_null=True)
    submitted_amount = Money(read_only=True, allow_null=True)
    final_amount = Money(read_only=True, allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = OptionElection
        fields = ["id", "kind", "elected_on", "status", "reasons", "injury_date", "care_completed_date",
                  "physician_attestation", "expected_settlement", "submitted_amount", "final_amount", "answered_on"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    amount = Money(read_only=True)
    received_on = serializers.DateField(source="event_date", read_only=True)
    balance = serializers.SerializerMethodField()
    case_state = serializers.SerializerMethodField()
    overpaid = Money(read_only=True, help_text="How much more than the balance was paid: a refund now owed "
                                               "(0.00 if none)")
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = DebtEvent
        fields = ["id", "amount", "received_on", "balance", "case_state", "overpaid", "warnings"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, event) -> list[str]:
        overpaid = getattr(event, "overpaid", None)
        return [ledger.overpayment_warning(overpaid)] if overpaid else []

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, event):
        b = self.context["balance"]
        return BalanceSerializer({"principal": b.principal, "interest": b.interest, "total": b.total,
                                  "refund_owed": b.refund_owed}).data

    @extend_schema_field(serializers.ChoiceField(choices=State.choices))
    def get_case_state(self, event):
        return self.context["case_state"]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- input -----------------------------------------------------------------------------------------


class _StepInput(serializers.Serializer):
    on = IsoDateField(required=False, help_text="The date the step counts from (default today); "
                                                         "letters bear it. Not in the future.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ActionInputSerializer(_StepInput):
    """One body for every step; each step reads only its own parameters and refuses the others."""

    expected_state = serializers.ChoiceField(
        choices=State.choices,
        help_text="The state you saw: if the case has moved since, the step is refused with 409")
    claims = serializers.ListField(child=IdField(), required=False,
                                   help_text="open_dispute: ids of the related claims disputed")
    filed_by = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                     help_text="open_dispute: who filed it (default: you)")
    grounds = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                    help_text="open_dispute: why the claims are unrelated")
    outcome = serializers.ChoiceField(
        choices=[c for c in Dispute.Outcome.choices if c[0] != Dispute.Outcome.PENDING], required=False,
        help_text="decide_dispute")
    removed_claims = serializers.ListField(child=IdField(),
                                           required=False, help_text="decide_dispute: ids of claims found unrelated")
    favourable = serializers.BooleanField(required=False, help_text="decide_appeal/waiver/challenge")
    reduced_to = Money(required=False, allow_null=True,
                       help_text="decide_appeal/waiver/challenge, favourable: the debt after the decision")


class DisputeInputSerializer(_StepInput):
    claims = serializers.ListField(child=IdField(), min_length=1,
                                   help_text="Ids of the related claims disputed")
    grounds = serializers.CharField(min_length=1, max_length=5000, help_text="Why the claims are not related")
    filed_by = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                     help_text="Who filed the dispute (default: you)")
    expected_state = serializers.ChoiceField(choices=State.choices, required=False,
                                             help_text="The state you saw (409 if the case has moved since)")
    documents = serializers.ListField(child=serializers.FileField(allow_empty_file=False), required=False,
                                      help_text="Evidence: PDF, PNG, JPEG or TIFF files (multipart only)")


class SettlementInputSerializer(serializers.Serializer):
    """What the representative sends (the portal's settlement form, recovery.portal.services.FIELDS)."""

    settlement_date = IsoDateField(help_text="The date of the settlement, judgment, award or other payment")
    gross_amount = Money(help_text="Before fees and costs")
    attorney_fees = Money(required=False, default=Decimal("0.00"), help_text="Borne by the beneficiary")
    other_costs = Money(required=False, default=Decimal("0.00"),
                        help_text="Other costs of obtaining the settlement, borne by the beneficiary")
    other_settlement_expected = serializers.BooleanField(required=False, default=False)
    expected_state = serializers.ChoiceField(choices=State.choices, required=False,
                                             help_text="The state you saw (409 if the case has moved since)")
    documents = serializers.ListField(child=serializers.FileField(allow_empty_file=False), required=False,
                                      help_text="Settlement documents (multipart only)")

    # A settlement date in the future: refused by the model (Settlement.clean), the one rule for every channel.


class PaymentInputSerializer(serializers.Serializer):
    amount = Money()
    received_on = IsoDateField()


class ElectionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OptionElection.Kind.choices)
    elected_on = IsoDateField(required=False, help_text="Default today; not in the future")
    injury_date = IsoDateField(required=False, help_text="self_calculated: required")
    care_completed_date = IsoDateField(required=False, allow_null=True, help_text="self_calculated")
    physician_attestation = serializers.BooleanField(required=False, default=False, help_text="self_calculated")
    expected_settlement = Money(required=False, help_text="self_calculated: required")
    submitted_amount = Money(required=False, help_text="self_calculated: the amount you calculated (required)")

    SELF_CALCULATED_REQUIRED = ("injury_date", "expected_settlement", "submitted_amount")

    def validate(self, data):
        if data["kind"] == OptionElection.Kind.SELF_CALCULATED:
            missing = {f: ["This field is required for the self-calculated option."]
                       for f in self.SELF_CALCULATED_REQUIRED if data.get(f) is None}
            if missing:
                raise serializers.ValidationError(missing)
        else:
            extra = [f for f in (*self.SELF_CALCULATED_REQUIRED, "care_completed_date") if data.get(f) is not None]
            if extra:
                raise serializers.ValidationError({extra[0]: ["Only the self-calculated option takes this."]})
        return data


class DocumentInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, help_text="PDF, PNG, JPEG or TIFF")
    purpose = serializers.ChoiceField(choices=UploadedDocument.Purpose.choices)
    case = IdField(required=False, allow_null=True,
                                    help_text="The case it is for (optional)")


# A 400 body, for the schema: each field at fault with its messages (`non_field_errors` when no single field
# is), a list's items by index ({"claims": {"0": [...]}}), or `detail` for a body that could not be parsed.
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object"},
        {"type": "string"},
    ]},
    "example": {"on": ["A step cannot be dated in the future."]},
}
