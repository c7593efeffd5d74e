"""The hook on posting an MSP occurrence (SPEC §7): the occurrence admin form takes the GHP facts the rule
needs (not stored: they are the caseworker's answers for this check) and, once saved, a warning says when
Medicare pays first — then no MSP recovery should exist."""

from django import forms
from django.contrib import messages

from . import services
from .answers import GHP_CHOICES, THROUGH_CHOICES
from .forms import _count, _yes
from .rules import GHPBasis


class OccurrenceCoordinationForm(forms.ModelForm):
    """The occurrence's own fields, plus the who-pays-first facts of a GHP occurrence."""

    coordination_ghp = forms.ChoiceField(label="GHP coverage basis (who pays first)", required=False,
                                         choices=[c for c in GHP_CHOICES if c[0] != GHPBasis.NONE],
                                         initial=GHPBasis.CURRENT_EMPLOYMENT)
    coordination_ghp_through = forms.ChoiceField(label="Whose employment", choices=THROUGH_CHOICES,
                                                 required=False)
    coordination_employer_size = _count("Employer's number of employees")
    coordination_multi_employer = _yes("Multi-employer or multiple-employer plan")
    coordination_largest_employer_size = _count("Largest employer in the plan (employees)")
    coordination_small_employer_exempted = _yes("The plan exempted employers with fewer than 20 employees")

    def ghp_facts(self) -> dict:
        return {name.removeprefix("coordination_"): value for name, value in self.cleaned_data.items()
                if name.startswith("coordination_") and value not in (None, "")}


COORDINATION_FIELDS = [name for name in OccurrenceCoordinationForm.declared_fields]


def warn_after_save(request, occurrence, form, *, message_user) -> str | None:
    """Show the who-pays-first warning for a saved occurrence; returns it (None when none)."""
    facts = form.ghp_facts() if hasattr(form, "ghp_facts") else {}
    warning = services.occurrence_warning(occurrence=occurrence, ghp_facts=facts)
    if warning:
        message_user(request, warning, messages.WARNING)
    return warning


def fieldsets(default):
    """The admin's fieldsets with the who-pays-first facts apart, under their own heading."""
    (name, options), *rest = default
    own = [f for f in options["fields"] if f not in COORDINATION_FIELDS]
    return [(name, {**options, "fields": own}), *rest,
            ("Who pays first (GHP occurrences; not stored)", {"fields": COORDINATION_FIELDS,
                                                             "description": "SPEC §7: the employer facts the "
                                                             "check needs when the occurrence is saved."})]
