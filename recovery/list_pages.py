"""What the case list pages share so that they cost the same at 10,000 and at 1,000,000 cases (issue 10,
SPEC §10): the search (a case number, an MBI or a claim number looked up exactly by its shape; names —
of the beneficiary, the payer, the attorney — accent-insensitive and bounded) and the list of caseworkers the filters and the work queue offer."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Authorisation, Beneficiary
from beneficiaries.names import fold
from payers.models import MSPOccurrence, Payer

from .models import Claim, RecoveryCase


# How many beneficiaries, payers or attorneys a search by name may match before it stops looking: the
# list then shows the cases of the first ones found (a more precise term finds the others). This bounds
# the work of a search for a common name, whatever the number of cases.
NAME_CAP = 1000
PARTY_CAP = 50
PREFIXES = ("name", "payer", "claim", "attorney", "case", "mbi")


def case_search(queryset, term: str):
    """Narrow `queryset` by what a caseworker typed (the case list's search box). A prefix says what the
    term is — `name:`, `payer:`, `claim:`, `attorney:`, `case:`, `mbi:` — otherwise its shape does:

    - digits (spaces and dashes ignored): a case number — the 15 digits exactly, or the start of one;
      if no case number matches, a claim number;
    - an MBI, with or without dashes, any case (SPEC §8): that beneficiary's cases;
    - letters and digits: a claim number (exactly, any case), else as words;
    - words: the beneficiary's name, every word anywhere in it, accents and case ignored ("Lukasz" finds
      Łukasz: the folded column Beneficiary.search_name and its trigram index); if no beneficiary has that
      name, the payer's name (debtor or reporting payer); if none, the attorney's or representative's
      name, user name, e-mail or firm.
    """
    return search(queryset, term)[0]


def search(queryset, term: str):
    """`case_search` and which kind of search it made: (queryset, kind)."""
    term = (term or "").strip()
    if not term:
        return queryset, ""
    head, sep, rest = term.partition(":")
    if sep and head.strip().lower() in PREFIXES and rest.strip():
        return _by_kind(queryset, head.strip().lower(), rest.strip()), head.strip().lower()
    digits = term.replace(" ", "").replace("-", "")
    if digits.isdigit():
        by_number = _by_kind(queryset, "case", digits)
        if len(digits) == 15 or by_number.exists():
            return by_number, "case"
        return _by_kind(queryset, "claim", term), "claim"
    try:
        return queryset.filter(beneficiary__mbi=normalize_mbi(term)), "mbi"
    except InvalidMBI:
        pass
    kinds = [("name", _beneficiaries), ("payer", _payers), ("attorney", None)]
    if any(ch.isdigit() for ch in term):
        kinds.insert(0, ("claim", _claims))
    for kind, matches in kinds:
        if matches is None or matches(term).exists():
            return _by_kind(queryset, kind, term), kind


def _by_kind(queryset, kind: str, term: str):
    if kind == "case":
        digits = term.replace(" ", "").replace("-", "")
        return queryset.filter(number=digits) if len(digits) == 15 else queryset.filter(number__startswith=digits)
    if kind == "mbi":
        try:
            return queryset.filter(beneficiary__mbi=normalize_mbi(term))
        except InvalidMBI:
            return queryset.none()
    if kind == "claim":
        return queryset.filter(pk__in=_claims(term).values("case_id"))
    if kind == "name":
        return queryset.filter(beneficiary_id__in=_beneficiaries(term).values("pk")[:NAME_CAP])
    if kind == "payer":
        payers = _payers(term).values("pk")[:PARTY_CAP]
        debtor = RecoveryCase.objects.filter(debtor_payer_id__in=payers).order_by().values("pk")
        reporter = RecoveryCase.objects.filter(
            occurrence_id__in=MSPOccurrence.objects.filter(payer_id__in=payers).values("pk")).order_by().values("pk")
        return queryset.filter(pk__in=debtor.union(reporter))
    if kind == "attorney":
        holders = _attorneys(term).values("pk")[:PARTY_CAP]
        return queryset.filter(pk__in=Authorisation.objects.filter(
            holder_id__in=holders, kind__in=[Authorisation.Kind.POR, Authorisation.Kind.CTR],
            case_id__isnull=False).values("case_id"))
    raise ValueError(kind)


def _claims(term: str):
    """Claims numbered `term` exactly (as typed, or upper case without blanks): the claim_number index."""
    return Claim.objects.filter(claim_number__in={term, term.upper(), term.replace(" ", "").upper()}).order_by()


def _beneficiaries(term: str):
    """Beneficiaries with every word of `term` in their folded name (LIKE '%WORD%' on search_name)."""
    qs = Beneficiary.objects.order_by()
    for word in fold(term).split():
        qs = qs.filter(search_name__contains=word)
    return qs


def _payers(term: str):
    qs = Payer.objects.order_by()
    for word in term.split():
        qs = qs.filter(name__icontains=word)
    return qs


def _attorneys(term: str):
    """People outside who hold a POR or a CTR, by name, user name, e-mail or firm (every word)."""
    User = get_user_model()
    qs = User.objects.filter(is_staff=False, authorisations__kind__in=[Authorisation.Kind.POR, Authorisation.Kind.CTR])
    for word in term.split():
        qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word)
                       | Q(email__icontains=word) | Q(external_profile__organisation__icontains=word))
    return qs.order_by().distinct()


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
