"""What the case list pages share so that they cost the same at 10,000 and at 1,000,000 cases (issue 10,
SPEC §10): the search (a case number or an MBI looked up exactly by its shape, names through their
trigram indexes) and the list of caseworkers the filters and the work queue offer."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from beneficiaries.mbi import InvalidMBI, normalize_mbi

from .models import RecoveryCase


def case_search(queryset, term: str):
    """Narrow `queryset` by what a caseworker typed:

    - digits (spaces and dashes ignored): a case number — the 15 digits exactly, or the start of one;
    - an MBI, with or without dashes, any case (SPEC §8): that beneficiary's cases;
    - anything else: every word in the beneficiary's first or last name (case-insensitive, anywhere in
      the name — served by the trigram indexes on PostgreSQL, migration 0009).
    """
    term = (term or "").strip()
    if not term:
        return queryset
    digits = term.replace(" ", "").replace("-", "")
    if digits.isdigit():
        if len(digits) == 15:
            return queryset.filter(number=digits)
        return queryset.filter(number__startswith=digits)
    try:
        return queryset.filter(beneficiary__mbi=normalize_mbi(term))
    except InvalidMBI:
        pass
    for word in term.split():
        queryset = queryset.filter(Q(beneficiary__last_name__icontains=word) | Q(beneficiary__first_name__icontains=word))
    return queryset


def caseworkers():
    """The staff who have cases assigned, by username: one index probe per staff user (the caseworker index),
    not a DISTINCT over every case."""
    User = get_user_model()
    return (User.objects.filter(is_staff=True)
            .filter(Exists(RecoveryCase.objects.filter(caseworker_id=OuterRef("pk"))))
            .order_by("username"))


class CaseworkerListFilter(admin.RelatedFieldListFilter):
    """The admin's caseworker filter: the same choices as RelatedOnlyFieldListFilter (users with cases),
    found from the users (`caseworkers`)."""

    def field_choices(self, field, request, model_admin):
        return [(u.pk, str(u)) for u in caseworkers()]
