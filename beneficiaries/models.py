"""People: Medicare beneficiaries (SPEC §2, §8). Representatives and authorisations come with the portal."""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from .mbi import InvalidMBI, format_mbi, normalize_mbi
from .names import fold


def validate_mbi(value):
    try:
        normalize_mbi(value)
    except InvalidMBI as exc:
        raise ValidationError(str(exc), code="invalid_mbi") from exc


class MBIField(models.CharField):
    """Stores the normalised 11-character MBI whatever form (dashed, lower case) it was given in."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("validators", [validate_mbi])
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value:
            try:
                return normalize_mbi(value)
            except InvalidMBI:
                return value.strip().upper()  # the validator reports it
        return value

    def formfield(self, **kwargs):
        kwargs.setdefault("max_length", 13)  # accept the dashed form in forms
        return super().formfield(**kwargs)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        value = self.to_python(value)
        setattr(model_instance, self.attname, value)
        return value


class FoldedNameField(models.CharField):
    """The folded form (beneficiaries.names.fold) of other fields of the row, joined by a space: set on
    every insert (create, save, bulk_create) and update through save() — never typed in."""

    def __init__(self, *args, sources=(), **kwargs):
        self.sources = tuple(sources)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = self.sources
        for key, value in (("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = fold(" ".join(str(getattr(model_instance, f) or "") for f in self.sources))
        setattr(model_instance, self.attname, value)
        return value


class Beneficiary(models.Model):
    class EntitlementBasis(models.TextChoices):
        AGE = "age", "Age 65 or over"
        DISABILITY = "disability", "Disability"
        ESRD = "esrd", "End-stage renal disease"

    mbi = MBIField("MBI", unique=True, help_text="Medicare Beneficiary Identifier, e.g. 1EG4-TE5-MK73")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    date_of_death = models.DateField(null=True, blank=True)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, help_text="Two-letter postal code")
    zip_code = models.CharField("ZIP code", max_length=10)
    email = models.EmailField(blank=True)
    entitlement_basis = models.CharField(max_length=12, choices=EntitlementBasis.choices)
    entitlement_start = models.DateField()
    entitlement_end = models.DateField(null=True, blank=True)
    # "FIRST LAST" folded (no accents, upper case): what the case list's name search reads (issue 12
    # item 5), through a trigram index on PostgreSQL (migration 0004).
    search_name = FoldedNameField(max_length=201, sources=("first_name", "last_name"))

    history = HistoricalRecords()

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            update_fields = {*update_fields, "search_name"}
        super().save(*args, update_fields=update_fields, **kwargs)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        verbose_name_plural = "beneficiaries"

    def __str__(self):
        return f"{self.full_name} ({format_mbi(self.mbi)})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def mbi_display(self) -> str:
        return format_mbi(self.mbi)

    @property
    def mailing_address(self) -> str:
        lines = [self.address_line1, self.address_line2, f"{self.city}, {self.state} {self.zip_code}"]
        return "\n".join(line for line in lines if line)

    def clean(self):
        errors = {}
        if self.date_of_death and self.date_of_birth and self.date_of_death < self.date_of_birth:
            errors["date_of_death"] = "The date of death is before the date of birth."
        if self.entitlement_end and self.entitlement_start and self.entitlement_end < self.entitlement_start:
            errors["entitlement_end"] = "Entitlement cannot end before it starts."
        if self.state and not (len(self.state) == 2 and self.state.isalpha()):
            errors["state"] = "Use the two-letter postal code, e.g. NY."
        if errors:
            raise ValidationError(errors)


class ExternalProfile(models.Model):
    """A person outside the contractor who logs in on the portal (SPEC §1): a beneficiary's attorney or
    representative, or a contact at an applicable plan / insurer. What they may see comes only from
    verified authorisations (SPEC §8)."""

    class Kind(models.TextChoices):
        REPRESENTATIVE = "representative", "Attorney or representative"
        INSURER_CONTACT = "insurer_contact", "Applicable plan / insurer contact"

    user = models.OneToOneField("auth.User", on_delete=models.PROTECT, related_name="external_profile")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    organisation = models.CharField(max_length=200, blank=True, help_text="Law firm or company")
    payer = models.ForeignKey("payers.Payer", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="contacts", help_text="Insurer contacts: the plan or insurer they work for")
    phone = models.CharField(max_length=30, blank=True)

    history = HistoricalRecords()

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.get_kind_display()})"

    def clean(self):
        if self.kind == self.Kind.INSURER_CONTACT and not self.payer_id:
            raise ValidationError({"payer": "An insurer contact works for a plan or insurer: choose it."})


class Authorisation(models.Model):
    """A POR, a CTR or an insurer's letter of authority (SPEC §8): uploaded, then verified or rejected by
    a caseworker. Only a verified one grants anything; a CTR only until its end date."""

    class Kind(models.TextChoices):
        POR = "por", "Proof of Representation"
        CTR = "ctr", "Consent to Release"
        LOA = "loa", "Insurer's letter of authority"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=3, choices=Kind.choices)
    holder = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="authorisations",
                               help_text="The person it authorises")
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="authorisations")
    case = models.ForeignKey("recovery.RecoveryCase", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="authorisations")
    payer = models.ForeignKey("payers.Payer", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="authorisations", help_text="Letter of authority: the insurer")
    ctr_end_date = models.DateField("CTR end date", null=True, blank=True,
                                    help_text="The end of the period the beneficiary chose on the form")
    from_estate = models.BooleanField(default=False, help_text="POR for a deceased beneficiary, from the estate")
    document = models.ForeignKey("recovery.UploadedDocument", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["holder", "status", "kind"]),
                   models.Index(fields=["status", "submitted_at"], name="authorisation_to_verify"),  # worklist
                   # the worklist's count of a caseworker's authorisations to verify: the pending ones' cases,
                   # read from the index alone, not every authorisation (issue 10)
                   models.Index(fields=["case", "id"], condition=models.Q(status="pending"),
                                name="authorisation_pending_case")]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.holder} ({self.get_status_display()})"

    def clean(self):
        errors = {}
        if self.kind in (self.Kind.POR, self.Kind.CTR):
            if not self.case_id:
                errors["case"] = "A POR or CTR is for one case: choose it."
            elif self.beneficiary_id and self.case.beneficiary_id != self.beneficiary_id:
                errors["case"] = "This case belongs to another beneficiary."
        if self.kind == self.Kind.CTR and not self.ctr_end_date:
            errors["ctr_end_date"] = "A CTR runs for the period the beneficiary chose: give its end date."
        if self.kind == self.Kind.LOA and not self.payer_id:
            errors["payer"] = "A letter of authority names the plan or insurer."
        if (self.kind == self.Kind.POR and self.beneficiary_id and self.beneficiary.date_of_death
                and not self.from_estate):
            errors["from_estate"] = "The beneficiary has died: a POR must come from the estate."
        if errors:
            raise ValidationError(errors)
