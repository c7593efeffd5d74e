"""What each letter says and who it goes to (SPEC §6). Called by the services inside the step's
transaction, so the letter row is written with the state change (an outbox: nothing is sent here)."""

from contextvars import ContextVar
from datetime import timedelta

from ..models import Letter, LetterDelivery, RecoveryCase
from .signals import letter_written
from ..cases.tracks import Track

K = Letter.Kind

# Facts the caller of a step adds to every letter it issues (e.g. a sweep's {"dated_by": "rule"}).
extra_content: ContextVar[dict] = ContextVar("extra_content", default={})
# A sweep relays once at the end of its chunk instead of after every case.
kick_relay: ContextVar[bool] = ContextVar("kick_relay", default=True)


def recipients(case: RecoveryCase, on=None, auths=None) -> list[dict]:
    """Who a letter goes to (SPEC §6): beneficiary-track letters to the beneficiary; plan-track letters
    to the plan or insurer recovered from, with a copy to the beneficiary on the NGHP plan track (CMS
    recovery process §2); and on every track each representative holding a verified POR or a CTR
    unexpired on the letter's date (SPEC §8). `auths`: the case's verified POR/CTR authorisations by id,
    when the caller (the sweep's batch engine) has loaded them already."""
    from beneficiaries.models import Authorisation

    bene = case.beneficiary
    bene_row = {"role": "beneficiary", "name": bene.full_name, "address": bene.mailing_address, "email": bene.email}
    if case.track == Track.BENEFICIARY:
        rows = [bene_row]
    else:
        payer = case.debtor_payer
        payer_row = {"role": "debtor", "name": payer.name, "address": payer.address, "email": payer.email}
        rows = [payer_row, bene_row] if case.track == Track.PLAN else [payer_row]
    if auths is None:
        auths = representatives(case_ids=[case.pk])
    seen = set()
    for auth in auths:
        if auth.kind == Authorisation.Kind.CTR and on and auth.ctr_end_date and auth.ctr_end_date < on:
            continue
        if auth.holder_id in seen:
            continue
        seen.add(auth.holder_id)
        holder = auth.holder
        profile = getattr(holder, "external_profile", None)
        rows.append({"role": f"representative ({auth.kind.upper()})",
                     "name": holder.get_full_name() or holder.get_username(),
                     "address": profile.organisation if profile else "", "email": holder.email})
    return rows


def representatives(*, case_ids):
    """The verified POR/CTR authorisations of these cases, by id (a letter's representative recipients)."""
    from beneficiaries.models import Authorisation

    return (Authorisation.objects.filter(case_id__in=case_ids, status=Authorisation.Status.VERIFIED,
                                         kind__in=[Authorisation.Kind.POR, Authorisation.Kind.CTR])
            .select_related("holder__external_profile").order_by("id"))


def delivery_values(r: dict) -> dict:
    """The delivery of a letter to one recipient: email when there is an address, else print."""
    return {"recipient": r["name"], "role": r["role"], "channel": "email" if r.get("email") else "print",
            "address": r.get("email") or r.get("address") or ""}


def deliveries(letter: Letter) -> list[LetterDelivery]:
    """One unsaved delivery row per recipient of `letter`."""
    return [LetterDelivery(letter=letter, **delivery_values(r)) for r in letter.recipients]


def _claims(case, related=None):
    """The related claims a letter lists; `related`: those claims, when the caller (the sweep's batch
    engine) has loaded them already, in selectors.related_claims's order."""
    from ..cases.selectors import related_claims

    return [
        {
            "claim_number": c.claim_number,
            "provider": c.provider_name,
            "service_from": c.service_from.isoformat(),
            "service_to": c.service_to.isoformat(),
            "diagnosis_codes": c.diagnosis_codes,
            "amount_paid": str(c.amount_paid),
        }
        for c in (related_claims(case=case) if related is None else related)
    ]


def content(case: RecoveryCase, kind: str, on, related=None, **extra) -> dict:
    """The facts a letter must state (SPEC §6), frozen as issued. `extra` carries step specifics;
    `related`: the case's related claims, when the caller has loaded them (see _claims)."""
    from ..cases.selectors import conditional_payment_total

    base = {
        "case_number": case.number,
        "beneficiary": case.beneficiary.full_name,
        "mbi": case.beneficiary.mbi_display,
        "debtor": case.debtor_name,
        "as_of": on.isoformat(),
    }
    if kind in (K.CPL, K.CPN, K.DISPUTE_DECISION, K.PAYMENT_NOTICE):
        base["claims"] = _claims(case)
        base["total"] = str(conditional_payment_total(case=case))
    if kind == K.CPN:
        base["respond_by"] = (on + timedelta(days=extra.pop("window_days"))).isoformat()
    if kind == K.DEMAND:
        base["incident_date"] = case.incident_date.isoformat() if case.incident_date else None
        base["claims"] = _claims(case, related)
    base.update({k: (str(v) if not isinstance(v, (str, list, dict, bool, type(None))) else v) for k, v in extra.items()})
    return base


def letter_for(case: RecoveryCase, kind: str, *, on, event, amount=None, auths=None, related=None,
               **extra) -> Letter:
    """The letter a step issues, unsaved (`issue` saves it; the sweep's batch engine bulk-inserts it)."""
    return Letter(case=case, kind=kind, letter_date=on, amount=amount, event=event,
                  recipients=recipients(case, on, auths),
                  content={**content(case, kind, on, related=related, **extra), **extra_content.get()})


def issue(case: RecoveryCase, kind: str, *, on, event, amount=None, **extra) -> Letter:
    letter = letter_for(case, kind, on=on, event=event, amount=amount, **extra)
    letter.save()
    if kick_relay.get():  # the relay is asked for after commit (recovery/clocks/tasks.py listens)
        letter_written.send(sender=Letter, letter=letter)
    LetterDelivery.objects.bulk_create(deliveries(letter))
    return letter
