"""What the case list pages share so that they cost the same at 10,000 and at 1,000,000 cases (issue 10,
SPEC §10): the search (a case number, an MBI or a claim number looked up exactly by its shape; names —
of the beneficiary, the payer, the attorney — accent-insensitive and bounded) and the list of caseworkers the filters and the work queue offer."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from beneficiaries.mbi import InvalidMBI, normalize_mbi
from beneficiaries.models import Authorisation, Beneficiary
from beneficiaries.names import fold
from payers.models import MSPOccurrence, Payer

from .models import Claim, RecoveryCase


# How many beneficiaries, payers or attorneys a search by name may match before it stops looking: the
# list then shows the cases of the first ones found (a more precise term finds the others). This bounds
# the work of a search for a common name, whatever the number of cases.
NAME_CAP = 1000
PARTY_CAP = 20
PREFIXES = ("name", "payer", "claim", "attorney", "case", "mbi")


def case_search(queryset, term: str):
    """Narrow `queryset` by what a caseworker typed (the case list's search box). A prefix says what the
    term is — `name:`, `payer:`, `claim:`, `attorney:`, `case:`, `mbi:` — otherwise its shape does:

    - digits (spaces and dashes ignored): a case number — the 15 digits exactly, or the start of one;
      if no case number matches, a claim number;
    - an MBI, with or without dashes, any case (SPEC §8): that beneficiary's cases;
    - letters and digits: a claim number (exactly, any case), else as words;
    - an e-mail address: the attorney's;
    - words: the beneficiary's name, every word anywhere in it, accents and case ignored ("Lukasz" finds
      Łukasz: the folded column Beneficiary.search_name and its trigram index); if no beneficiary has that
      name, the payer's name (debtor or reporting payer); if none, the attorney's or representative's
      name, user name, e-mail or firm.
    """
    return search(queryset, term)[0]


def search(queryset, term: str):
    """`case_search` and which kind of search it made: (queryset, kind, capped) — capped when a name
    matched more than NAME_CAP people and only the first ones' cases are listed (the page says so)."""
    term = (term or "").strip()
    if not term:
        return queryset, "", False
    head, sep, rest = term.partition(":")
    kind = head.strip().lower()
    if sep and kind in PREFIXES and rest.strip():
        if kind == "name":
            people, capped = _beneficiary_ids(rest.strip())
            return queryset.filter(beneficiary_id__in=people), kind, capped
        return _by_kind(queryset, kind, rest.strip()), kind, False
    digits = term.replace(" ", "").replace("-", "")
    if digits.isdigit():
        by_number = _by_kind(queryset, "case", digits)
        if len(digits) == 15 or by_number.exists():
            return by_number, "case", False
        return _by_kind(queryset, "claim", term), "claim", False
    try:
        return queryset.filter(beneficiary__mbi=normalize_mbi(term)), "mbi", False
    except InvalidMBI:
        pass
    if any(ch.isdigit() for ch in term) and _claims(term).exists():
        return _by_kind(queryset, "claim", term), "claim", False
    if "@" in term:  # an e-mail address: an attorney's (no name or payer has one)
        return _by_kind(queryset, "attorney", term), "attorney", False
    people, capped = _beneficiary_ids(term)
    if people:
        return queryset.filter(beneficiary_id__in=people), "name", capped
    payers = _payer_ids(term)
    if payers:
        return _payer_cases(queryset, payers), "payer", False
    return _by_kind(queryset, "attorney", term), "attorney", False


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
    if kind == "payer":
        return _payer_cases(queryset, _payer_ids(term))
    if kind == "attorney":
        holders = _attorney_ids(term)
        return queryset.filter(pk__in=Authorisation.objects.filter(
            holder_id__in=holders, kind__in=[Authorisation.Kind.POR, Authorisation.Kind.CTR],
            case_id__isnull=False).values("case_id"))
    raise ValueError(kind)


def _payer_cases(queryset, payer_ids):
    """The cases a payer is the debtor of or reported (its occurrence): a UNION of two indexed lookups."""
    debtor = RecoveryCase.objects.filter(debtor_payer_id__in=payer_ids).order_by().values("pk")
    reporter = RecoveryCase.objects.filter(
        occurrence_id__in=MSPOccurrence.objects.filter(payer_id__in=payer_ids).values("pk")).order_by().values("pk")
    return queryset.filter(pk__in=debtor.union(reporter))


def _best(rows, term) -> list[int]:
    """(id, name) rows → the ids to search: those whose name is the term itself (case-insensitive) if
    any, else all of them (at most PARTY_CAP, shortest names first)."""
    exact = [pk for pk, name in rows if fold(name) == fold(term)]
    return exact or [pk for pk, _ in rows]


def _claims(term: str):
    """Claims numbered `term` exactly (as typed, or upper case without blanks): the claim_number index."""
    return Claim.objects.filter(claim_number__in={term, term.upper(), term.replace(" ", "").upper()}).order_by()


def _beneficiaries(term: str):
    """Beneficiaries with every word of `term` in their folded name (LIKE '%WORD%' on search_name)."""
    qs = Beneficiary.objects.order_by()
    for word in fold(term).split():
        qs = qs.filter(search_name__contains=word)
    return qs


def _beneficiary_ids(term: str) -> tuple[list[int], bool]:
    """The ids of the first NAME_CAP beneficiaries so named, read once: the list's count and its page then
    look cases up by these ids, instead of each running the trigram search again (issue 10); and whether
    more are so named (one more row read tells)."""
    ids = list(_beneficiaries(term).values_list("pk", flat=True)[:NAME_CAP + 1])
    return ids[:NAME_CAP], len(ids) > NAME_CAP


def _payer_ids(term: str) -> list[int]:
    """Payers with every word of `term` in their name: the one so named if there is one, else up to
    PARTY_CAP of them (one query; the payers table is small beside the cases)."""
    qs = Payer.objects.all()
    for word in term.split():
        qs = qs.filter(name__icontains=word)
    return _best(qs.order_by(Length("name"), "pk").values_list("pk", "name")[:PARTY_CAP], term)


def _attorney_ids(term: str) -> list[int]:
    """People outside who hold a POR or a CTR, by name, user name, e-mail or firm (every word): the one
    whose user name or e-mail is the term if there is one, else up to PARTY_CAP of them (one query)."""
    User = get_user_model()
    qs = User.objects.filter(is_staff=False).filter(Exists(Authorisation.objects.filter(
        holder_id=OuterRef("pk"), kind__in=[Authorisation.Kind.POR, Authorisation.Kind.CTR])))
    for word in term.split():
        qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__icontains=word)
                       | Q(email__icontains=word) | Q(external_profile__organisation__icontains=word))
    rows = list(qs.order_by(Length("username"), "pk").values_list("pk", "username", "email")[:PARTY_CAP])
    exact = [pk for pk, username, email in rows if term.lower() in (username.lower(), email.lower())]
    return exact or [pk for pk, _, _ in rows]


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
        return list(caseworkers().values_list("pk", "username"))  # str(user) is the username: no model rows

    def choices(self, changelist):
        """Django's choices, with each caseworker's link made from one query string built once (the
        caseworkers grow with the book: building each link's query string afresh cost 6 ms a page at
        200 caseworkers, issue 10)."""
        mark = "0caseworker0"
        shape = changelist.get_query_string({self.lookup_kwarg: mark}, [self.lookup_kwarg_isnull])
        if changelist.add_facets or shape.count(mark) != 1:
            yield from super().choices(changelist)
            return
        yield {"selected": self.lookup_val is None and not self.lookup_val_isnull, "display": _("All"),
               "query_string": changelist.get_query_string(remove=[self.lookup_kwarg, self.lookup_kwarg_isnull])}
        head, tail = shape.split(mark)
        chosen = set(self.lookup_val or ())
        for pk_val, val in self.lookup_choices:
            yield {"selected": str(pk_val) in chosen, "query_string": f"{head}{pk_val}{tail}", "display": val}
        if self.include_empty_choice:
            yield {"selected": bool(self.lookup_val_isnull), "display": self.empty_value_display,
                   "query_string": changelist.get_query_string({self.lookup_kwarg_isnull: "True"},
                                                               [self.lookup_kwarg])}

