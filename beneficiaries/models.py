"""People: Medicare beneficiaries (SPEC §2, §8). Representatives and authorisations come with the portal."""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from .mbi import InvalidMBI, format_mbi, normalize_mbi


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

    history = HistoricalRecords()

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
