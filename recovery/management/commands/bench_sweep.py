"""Benchmark (SPEC §4, §10): the daily deadline sweep against a naive loop and hand-written set-based SQL.

    manage.py bench_sweep [--cases 100000] [--as-of 2026-06-30] [--interest due|posted] [--variants ACB]
                          [--profile [N]]

Builds N open cases (bulk_create, not through the services) inside a transaction that is rolled back
at the end: a mix of tracks and states whose clocks fall due by the as-of date (ITR, the plan's
referral notice, Treasury referral — some cases with two steps due, as after an outage), unanswered
CPNs (plan track) and GHP payment notices whose demand falls due (with their claims, some unrelated;
the later ones take the referral notice in the same sweep), cases with only interest due, cases flagged overdue with no automatic step (CPL due) and cases with nothing due.
Each case with a demand has its Debt (terms from the interest-rate table in force on the demand date),
its PRINCIPAL ledger row, the interest rows posted up to its last step, `next_due_date` from
`clocks.next_deadline` and `Debt.next_assessment_date` from `ledger.next_assessment_date`, and the
history rows of the steps that brought it there; ~6% of the cases have representatives (verified PORs
and CTRs, some expired, some unverified), who receive the letters too. 12% of the debts have one partial
payment (recorded as ledger.payment_record leaves it: its DebtEvent, its ledger row, posted through its
date), dated inside or after the grace days.
One run at a time per database: the built rows (MBIs, case numbers, the system user) are unique keys,
so a second concurrent run waits for the first one's rollback.

Then each variant runs on the same data, inside a SAVEPOINT that is rolled back after timing and
checking, so all three start from the identical state:

  A  the sweep: `sweeps.sweep(as_of=...)` — the real code path (due_case_ids, then the batch engine of
     recovery/clocks/batch.py chunk by chunk; process_case for the cases it leaves). Its phases (load,
     decide, write) are printed and carried in RESULT as a_phases_s.
  B  a naive loop: for each due case id, load the case and call `services.case_act` for the action
     `sweeps.due_step` names, one step at a time, then assess interest through the as-of date.
  C  hand-written set-based SQL (connection.cursor), the benchmark's reference (the product keeps its
     rules in Python): the due set; the demand step (the conditional payments, the Debt with the terms
     in force, its principal row, the demand letter with its claims and computation); then per round (a
     case can take two steps) UPDATE ... FROM for the state and dates, INSERT ... SELECT for the
     simple-history row, the CaseEvent, the Letter (the same JSON content and recipients,
     representatives included, that the services write) and its LetterDelivery rows;
     the interest ledger rows (generate_series over the 30-day periods) and the debts' posted_through /
     next_assessment_date. C's arithmetic is exact for what this benchmark builds — at most one
     payment a debt, partial, no adjustments or refunds — and it refuses other data; its demand
     covers cases with no settlement (the plan and GHP tracks here).

Interest: the sweep has no switch to leave interest out (the ITR / referral / Treasury steps assess it
as of their date to state the balance on the letter, and process_case assesses it through the as-of
date). So interest is done the same way in all three:
  --interest due     (default) interest is posted up to each case's last step only; every variant
                     posts the interest rows due through the as-of date (A and B via the ledger, C in SQL).
  --interest posted  interest is already posted through the as-of date; no variant writes interest
                     rows for the built debts (the debts the demand steps open get theirs), but A and B still read and recompute each debt's schedule (the code cannot
                     skip that), C writes nothing for interest. This is the closest to "state steps only".

After each variant (before its rollback) the command fingerprints what changed — case states and
dates, new history/event/letter/delivery/ledger rows and the debts' dates, hashed in SQL — and prints
whether B and C agree with A. The last line is `RESULT {json}`: cases, due, steps, agree, a_s / c_s
(wall), a_cpu_s / c_cpu_s (this process + its PostgreSQL backend), ratio_a_c, ratio_a_c_cpu, queries,
peak_rss_mb (ru_maxrss of this process, the build included) and the load average.

Caveats, printed with the figures: the sweep's per-case transactions are savepoints here (the outer
transaction is the benchmark's), so no per-case COMMIT / WAL flush is paid (about 1.4 ms a commit on
the 2-CPU test machine) and no relay is kicked after commit — both would add to the sweep's time in
production. Later variants also run on tables holding the earlier variants' dead rows.
"""

import cProfile
import io
import json
import os
import pstats
import random
import resource
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from beneficiaries.models import Authorisation, Beneficiary, ExternalProfile
from payers.models import Payer
from recovery.clocks import counting as clocks, sweeps
from recovery.money import ledger, rules as money
from recovery.cases import services
from recovery.document_models import UploadedDocument
from recovery.models import CaseEvent, Claim, Debt, DebtEvent, LedgerEntry, RecoveryCase
from recovery.money.policy import clock_table, interest_terms
from recovery.cases.tracks import CLOSED_STATES, State, Track

S = State
CLOSED = sorted(CLOSED_STATES)
LETTER_KIND = {"issue_itr": "itr", "issue_referral_notice": "referral_notice", "refer_to_treasury": "treasury_referral"}


class _Rollback(Exception):
    pass


def _backend_cpu(pid):
    """CPU seconds (user + system) of the PostgreSQL backend `pid`, when it runs on this machine (else None)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# --- the data --------------------------------------------------------------------------------------

# (name, weight %, track, state, days before as-of of the demand (lo, hi)); see _case_dates.
SCENARIOS = [
    ("bene ITR due", 22, Track.BENEFICIARY, S.DEMAND_ISSUED, (90, 150)),
    ("bene ITR + Treasury due", 6, Track.BENEFICIARY, S.DEMAND_ISSUED, (151, 200)),
    ("bene Treasury due", 10, Track.BENEFICIARY, S.INTENT_TO_REFER_ISSUED, (151, 220)),
    ("plan referral notice due", 8, Track.PLAN, S.DEMAND_ISSUED, (61, 120)),
    ("plan notice + Treasury due", 3, Track.PLAN, S.DEMAND_ISSUED, (121, 170)),
    ("plan Treasury due", 4, Track.PLAN, S.REFERRAL_NOTICE_ISSUED, (121, 180)),
    ("plan late notice (Treasury 60 days after it)", 1, Track.PLAN, S.REFERRAL_NOTICE_ISSUED, (200, 260)),
    ("ghp ITR due", 6, Track.GHP, S.DEMAND_ISSUED, (120, 180)),
    ("ghp ITR + Treasury due", 2, Track.GHP, S.DEMAND_ISSUED, (181, 220)),
    ("ghp Treasury due", 4, Track.GHP, S.INTENT_TO_REFER_ISSUED, (181, 240)),
    ("bene interest only (day 61-89)", 8, Track.BENEFICIARY, S.DEMAND_ISSUED, (61, 89)),
    ("referred to Treasury (interest only)", 4, Track.BENEFICIARY, S.REFERRED_TO_TREASURY, (160, 400)),
    ("CPL overdue flag (no automatic step: not swept)", 2, Track.BENEFICIARY, S.RAR_ISSUED, None),
    ("bene not due (day 0-60)", 12, Track.BENEFICIARY, S.DEMAND_ISSUED, (0, 60)),
    ("plan not due (day 0-60)", 4, Track.PLAN, S.DEMAND_ISSUED, (0, 60)),
    ("ghp not due (day 0-60)", 2, Track.GHP, S.DEMAND_ISSUED, (0, 60)),
    ("CPN answered (nothing due)", 2, Track.BENEFICIARY, S.CPN_ISSUED, None),
    # the demand steps (SPEC §3.2, §3.3): days before as-of of the CPN / payment notice; the later ones
    # also take the referral notice in the same sweep (catch-up)
    ("plan CPN unanswered: demand due", 3, Track.PLAN, S.CPN_ISSUED, (31, 110)),
    ("ghp payment notice unanswered: demand due", 3, Track.GHP, S.PAYMENT_NOTICE_ISSUED, (46, 120)),
]
PAYMENT_SHARE = 0.12  # debts with one partial payment (recorded and posted, as ledger.payment_record leaves them)
_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # MBI letters (no S, L, O, I, B, Z)
_ENTRY_ACTION = {S.DEMAND_ISSUED: "issue_demand", S.INTENT_TO_REFER_ISSUED: "issue_itr",
                 S.REFERRAL_NOTICE_ISSUED: "issue_referral_notice", S.REFERRED_TO_TREASURY: "refer_to_treasury"}
_BEFORE_DEMAND = {Track.BENEFICIARY: S.SETTLEMENT_REPORTED, Track.PLAN: S.CPN_ISSUED, Track.GHP: S.PAYMENT_NOTICE_ISSUED}


def _mbi(i: int) -> str:
    """A valid MBI, unique for i < 1.6e9: 9 L 0 D L 0 D L L D D (four digits and four letters carry i)."""
    d, n = f"{i % 10_000:04d}", i // 10_000
    a, b, c, e = (_LETTERS[(n // 20 ** k) % 20] for k in range(4))
    return f"9{a}0{d[0]}{b}0{d[1]}{c}{e}{d[2]}{d[3]}"


def _schedule(debt: Debt, through: date, events=()):
    return money.debt_schedule(principal=debt.principal, annual_rate=debt.annual_rate, demand_date=debt.demand_date,
                               as_of=through, events=events, year_days=debt.year_days, period_days=debt.period_days,
                               grace_days=debt.grace_days)


def _ledger_rows(debt: Debt, through: date, actor_name: str, events=()) -> list[LedgerEntry]:
    """The rows the ledger holds once posted through `through` (the schedule's own rows)."""
    schedule = _schedule(debt, through, events)
    return [LedgerEntry(case_id=debt.case_id, kind=r.kind, entry_date=r.date, amount=r.amount, period=r.period,
                        base=r.base, note=r.note[:300], actor_name=actor_name,
                        **dict(zip(("principal", "interest", "refund_owed"), ledger._deltas(r))))
            for r in schedule.rows]



def representatives(rows: str) -> str:
    """The letter's representative recipients for each row of `rows` (its case_id and on_date): each holder
    of a verified POR, or of a CTR unexpired on the letter's date, once (as letters.compose lists them)."""
    return f"""
                  SELECT coalesce(jsonb_agg(jsonb_build_object(
                             'role', 'representative (' || upper(a.kind) || ')',
                             'name', coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username),
                             'address', coalesce(xp.organisation, ''), 'email', u.email) ORDER BY a.id), '[]'::jsonb) AS r
                    FROM (SELECT DISTINCT ON (a.holder_id) a.id, a.kind, a.holder_id
                            FROM beneficiaries_authorisation a
                           WHERE a.case_id = {rows}.case_id AND a.status = 'verified' AND a.kind IN ('por', 'ctr')
                             AND NOT (a.kind = 'ctr' AND a.ctr_end_date < {rows}.on_date)
                           ORDER BY a.holder_id, a.id) a
                    JOIN auth_user u ON u.id = a.holder_id
                    LEFT JOIN beneficiaries_externalprofile xp ON xp.user_id = u.id) reps"""


def case_history_of(rows: str) -> str:
    """The simple-history row ('~', changed) of each case named in `rows` (by case_id), as it now stands."""
    cols = [f.column for f in RecoveryCase.history.model._meta.concrete_fields if not f.column.startswith("history_")]
    return f"""
        INSERT INTO recovery_historicalrecoverycase ({", ".join(cols)}, history_date, history_change_reason,
                                                     history_type, history_user_id)
        SELECT {", ".join("c." + col for col in cols)}, now(), NULL, '~', NULL
          FROM recovery_recoverycase c JOIN {rows} s ON s.case_id = c.id"""

# The pending deliveries of the letters a statement's `lt` CTE just inserted: one per recipient, e-mail where
# the recipient has an address for it, else print (as letters.compose writes them).
DELIVERIES_OF_LT = """
    INSERT INTO recovery_letterdelivery (letter_id, recipient, role, channel, address, status, attempts,
                                         next_attempt_at, idempotency_key, sent_at, last_error)
    SELECT lt.id, r ->> 'name', r ->> 'role',
           CASE WHEN coalesce(r ->> 'email', '') <> '' THEN 'email' ELSE 'print' END,
           coalesce(nullif(r ->> 'email', ''), nullif(r ->> 'address', ''), ''),
           'pending', 0, NULL, gen_random_uuid(), NULL, ''
      FROM lt CROSS JOIN LATERAL jsonb_array_elements(lt.recipients) AS r"""

class Command(BaseCommand):
    help = "Time the deadline sweep vs a naive loop vs set-based SQL on N built cases (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 6, 30))
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--interest", choices=["due", "posted"], default="due",
                            help="due: every variant posts the interest due (default); posted: interest already "
                                 "posted through the as-of date, no variant writes any")
        parser.add_argument("--variants", default="ACB",
                            help="which variants to run, in this order (A sweep, B naive loop, C SQL); default ACB")
        parser.add_argument("--profile", type=int, nargs="?", const=30, default=0, metavar="N",
                            help="run variant A under cProfile (this process's CPU time) and print its top N functions "
                                 "(A's times then include the profiler's overhead)")

    def handle(self, *args, cases, as_of, seed, interest, variants, profile, **options):
        variants = variants.upper()
        if not variants or set(variants) - set("ABC"):
            raise CommandError("--variants takes letters among A, B and C, e.g. ACB.")
        if as_of > services.today():
            raise CommandError("Steps cannot be dated in the future: give an --as-of date in the past.")
        if connection.vendor != "postgresql":
            self.stderr.write("warning: not PostgreSQL — variant C needs PostgreSQL; running A and B only")
            variants = variants.replace("C", "")
        self.as_of, self.interest, self.profile = as_of, interest, profile
        rng = random.Random(seed)
        results = {}
        try:
            with transaction.atomic():
                self.actor = services.system_user()
                self._build(cases, rng)
                for v in variants:
                    results[v] = self._run_variant(v)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write("(benchmark data rolled back)")
        self._report(cases, results)  # ends with the RESULT line
        self.results = results  # for the smoke test

    # --- build ----------------------------------------------------------------------------------

    def _build(self, n, rng):
        t0 = time.perf_counter()
        as_of, actor = self.as_of, self.actor
        table = clock_table()
        n_bene = max(1, n // 2)
        taken = set(Beneficiary.objects.filter(mbi__startswith="9").values_list("mbi", flat=True))
        benes, i = [], 0
        while len(benes) < n_bene:
            mbi = _mbi(i)
            i += 1
            if mbi in taken:
                continue
            benes.append(Beneficiary(
                mbi=mbi, first_name=f"Bench{i}", last_name="Mark", date_of_birth=date(1950, 1, 1) + timedelta(days=i % 3000),
                address_line1=f"{i} Bench St", city="Albany", state="NY", zip_code="12207",
                email=f"bench{i}@example.org" if i % 2 else "", entitlement_basis="age",
                entitlement_start=date(2015, 1, 1)))
        benes = Beneficiary.objects.bulk_create(benes, batch_size=5000)
        payers = Payer.objects.bulk_create([
            Payer(name=f"Bench Insurer {k}", kind=Payer.Kind.LIABILITY if k % 2 else Payer.Kind.EMPLOYER_GHP,
                  address=f"{k} Insurance Plaza\nHartford, CT 06103", email=f"claims{k}@insurer.example" if k % 3 else "")
            for k in range(50)])

        weights = [s[1] for s in SCENARIOS]
        picks = rng.choices(range(len(SCENARIOS)), weights=weights, k=n)
        self.mix = Counter(SCENARIOS[p][0] for p in picks)
        case_rows, plans = [], []
        for i, p in enumerate(picks):
            name, _, track, state, span = SCENARIOS[p]
            prefix = "2" if track == Track.BENEFICIARY else "3"
            case = RecoveryCase(number=f"{prefix}9{i:013d}", track=track, state=state, beneficiary=rng.choice(benes),
                                debtor_payer=None if track == Track.BENEFICIARY else rng.choice(payers))
            last = self._case_dates(case, span, table, rng, late="late" in name)
            case.opened_on = (case.demand_date or case.rar_date or case.cpn_date
                              or case.payment_notice_date) - timedelta(days=200)
            deadline = clocks.next_deadline(case, table=table)
            case.next_due_date = deadline.due if deadline else None
            case.next_due_reason = deadline.reason if deadline else ""
            case_rows.append(case)
            plans.append(last)
        case_rows = RecoveryCase.objects.bulk_create(case_rows, batch_size=5000)
        self.case_lo, self.case_hi = case_rows[0].pk, case_rows[-1].pk
        n_auth = self._build_representatives(case_rows, rng)

        terms_on: dict[date, object] = {}
        debts, events, claims = [], [], []
        for case, last in zip(case_rows, plans):
            if case.state in (S.CPN_ISSUED, S.PAYMENT_NOTICE_ISSUED) and not case.response_date:
                action = "issue_cpn" if case.state == S.CPN_ISSUED else "issue_payment_notice"
                events.append(CaseEvent(case=case, effective_date=last, actor=actor, actor_name=actor.username,
                                        action=action, from_state=S.REPORTED, to_state=case.state, reason="bench"))
                claims.extend(self._claims(case, rng))
                continue
            if case.state in (S.RAR_ISSUED, S.CPN_ISSUED):
                action, frm, on = ("issue_rar", S.OCCURRENCE_POSTED, case.rar_date) if case.rar_date else \
                    ("record_response", S.CPN_ISSUED, case.response_date)
                events.append(CaseEvent(case=case, effective_date=on, actor=actor, actor_name=actor.username,
                                        action=action, from_state=frm, to_state=case.state, reason="bench"))
                continue
            terms = terms_on.get(case.demand_date) or terms_on.setdefault(case.demand_date,
                                                                           interest_terms(on=case.demand_date))
            debts.append(Debt(case=case, demand_date=case.demand_date, principal=case.demand_amount,
                              annual_rate=terms.annual_rate, year_days=terms.year_days, period_days=terms.period_days,
                              grace_days=terms.grace_days, rate_effective_from=terms.effective_from,
                              computation={"bench": True}, posted_through=case.demand_date))
            # the history of the steps that brought it here: the demand, then the ITR / notice / referral
            events.append(CaseEvent(case=case, effective_date=case.demand_date, actor=actor, actor_name=actor.username,
                                    action="issue_demand", from_state=_BEFORE_DEMAND[case.track],
                                    to_state=S.DEMAND_ISSUED, reason="bench"))
            if case.state == S.REFERRED_TO_TREASURY:
                events.append(CaseEvent(case=case, effective_date=case.itr_date, actor=actor, actor_name=actor.username,
                                        action="issue_itr", from_state=S.DEMAND_ISSUED,
                                        to_state=S.INTENT_TO_REFER_ISSUED, reason="bench"))
            if case.state != S.DEMAND_ISSUED:
                frm = S.INTENT_TO_REFER_ISSUED if case.state == S.REFERRED_TO_TREASURY else S.DEMAND_ISSUED
                events.append(CaseEvent(case=case, effective_date=last, actor=actor, actor_name=actor.username,
                                        action=_ENTRY_ACTION[case.state], from_state=frm, to_state=case.state,
                                        reason="bench"))
        entries, payments = [], {}
        last_of = {c.pk: last for c, last in zip(case_rows, plans)}
        for d in debts:
            entries.append(LedgerEntry(case_id=d.case_id, kind=LedgerEntry.Kind.PRINCIPAL, entry_date=d.demand_date,
                                       principal=d.principal, amount=d.principal, note="Demand principal",
                                       actor_name=actor.username))
            # interest posted up to the case's last step (due) or through the as-of date (posted)
            through = as_of if self.interest == "posted" else last_of[d.case_id]
            pay = None
            if (as_of - d.demand_date).days >= 2 and rng.random() < PAYMENT_SHARE:
                # one partial payment, recorded (so posted through its date, as payment_record does)
                on = d.demand_date + timedelta(days=rng.randint(1, (as_of - d.demand_date).days))
                owed = _schedule(d, on).balance
                pay = money.Payment(on, (owed * Decimal(rng.randint(5, 60)) / 100).quantize(Decimal("0.01")))
                payments[d.case_id] = pay
                through = max(through, on)
            events_d = (pay,) if pay else ()
            entries.extend(_ledger_rows(d, through, actor.username, events_d))
            d.posted_through = through
            d.next_assessment_date = ledger.next_assessment_date(d, as_of=through,
                                                                 principal=_schedule(d, through, events_d).principal)
        Debt.objects.bulk_create(debts, batch_size=5000)
        DebtEvent.objects.bulk_create([
            DebtEvent(debt=d, kind=DebtEvent.Kind.PAYMENT, event_date=payments[d.case_id].date,
                      amount=payments[d.case_id].amount, actor_name=actor.username)
            for d in debts if d.case_id in payments], batch_size=5000)
        Claim.objects.bulk_create(claims, batch_size=10000)
        CaseEvent.objects.bulk_create(events, batch_size=10000)
        LedgerEntry.objects.bulk_create(entries, batch_size=10000)
        with connection.cursor() as cur:
            for t in ("beneficiaries_beneficiary", "payers_payer", "recovery_recoverycase", "recovery_debt",
                      "recovery_ledgerentry", "recovery_caseevent", "recovery_letter", "recovery_letterdelivery",
                      "recovery_historicalrecoverycase", "recovery_clocklength", "recovery_claim",
                      "recovery_debtevent", "beneficiaries_authorisation", "auth_user",
                      "beneficiaries_externalprofile"):
                cur.execute(f"ANALYZE {t}")
        self.baseline = self._max_ids()
        self.stdout.write(
            f"built {len(case_rows):,} open cases ({len(benes):,} beneficiaries), {len(debts):,} debts, "
            f"{len(entries):,} ledger rows, {len(payments):,} partial payments, {len(claims):,} claims, "
            f"{len(events):,} history rows, {n_auth:,} representatives' "
            f"authorisations in {time.perf_counter() - t0:.1f} s; "
            f"as-of {as_of}, interest mode '{self.interest}'")
        for name, _, *_rest in SCENARIOS:
            self.stdout.write(f"    {self.mix[name]:>8,}  {name}")

    @staticmethod
    def _claims(case, rng):
        """The claims a CPN / payment notice listed: 1-3 related ones and sometimes one unrelated."""
        out = []
        for k in range(rng.randint(1, 3) + (rng.random() < 0.2)):
            start = case.incident_date + timedelta(days=rng.randint(1, 150))
            out.append(Claim(case=case, claim_number=f"B{case.pk}-{k}", provider_name=f"Provider {k % 7}",
                             service_from=start, service_to=start + timedelta(days=rng.randint(0, 9)),
                             diagnosis_codes="S72.001A", amount_paid=Decimal(rng.randrange(10_000, 900_000)) / 100,
                             status=Claim.Status.UNRELATED if k == 3 else Claim.Status.RELATED))
        return out

    def _build_representatives(self, cases, rng):
        """Representatives on ~6% of the cases (letters go to them too, SPEC §6, §8): verified PORs, verified
        CTRs (some expiring before the step, so not a recipient), and some still awaiting verification."""
        User = get_user_model()
        stamp = f"{time.time_ns() % 10 ** 9}"
        holders = User.objects.bulk_create([
            User(username=f"bench-rep-{stamp}-{k}", first_name=f"Rep{k}" if k % 4 else "", last_name="Attorney" if k % 4 else "",
                 email=f"rep{k}@lawfirm.example" if k % 3 else "", is_active=True)
            for k in range(max(5, len(cases) // 500))])
        ExternalProfile.objects.bulk_create([
            ExternalProfile(user=h, kind=ExternalProfile.Kind.REPRESENTATIVE, organisation=f"Firm {h.pk} LLP")
            for h in holders[: len(holders) * 3 // 4]])  # a quarter have no profile
        doc = UploadedDocument.objects.create(
            purpose=UploadedDocument.Purpose.AUTHORISATION, file="bench/por.pdf", original_name="por.pdf",
            content_type="application/pdf", size=1, sha256="0" * 64, uploaded_by=self.actor, uploaded_at=timezone.now())
        auths = []
        for case in cases:
            if rng.random() >= 0.06:
                continue
            for _ in range(rng.choice([1, 1, 1, 2])):
                kind, status, end = rng.choice([
                    ("por", "verified", None), ("por", "verified", None), ("ctr", "verified", date(2027, 1, 1)),
                    ("ctr", "verified", self.as_of - timedelta(days=rng.randint(0, 150))), ("por", "pending", None)])
                auths.append(Authorisation(kind=kind, holder=rng.choice(holders), beneficiary_id=case.beneficiary_id,
                                           case=case, ctr_end_date=end, document=doc, status=status,
                                           submitted_by=self.actor))
        Authorisation.objects.bulk_create(auths, batch_size=5000)
        return len(auths)

    def _case_dates(self, case, span, table, rng, late=False):
        """Set the clock dates of `case` for its scenario; return the date of its last step."""
        as_of = self.as_of
        if case.state == S.RAR_ISSUED:
            case.rar_date = as_of - timedelta(days=rng.randint(66, 120))
            return case.rar_date
        if case.state == S.CPN_ISSUED and span is None:
            case.cpn_date = as_of - timedelta(days=rng.randint(10, 25))
            case.response_date = case.cpn_date + timedelta(days=5)
            return case.response_date
        if case.state in (S.CPN_ISSUED, S.PAYMENT_NOTICE_ISSUED):  # unanswered: the demand falls due
            notice = as_of - timedelta(days=rng.randint(*span))
            setattr(case, "cpn_date" if case.state == S.CPN_ISSUED else "payment_notice_date", notice)
            case.incident_date = notice - timedelta(days=rng.randint(200, 400))
            return notice
        demand = as_of - timedelta(days=rng.randint(*span))
        case.demand_date = demand
        case.demand_amount = Decimal(rng.randrange(50_000, 5_000_000)) / 100
        t = case.track
        if case.state in (S.INTENT_TO_REFER_ISSUED, S.REFERRED_TO_TREASURY):
            case.itr_date = clocks.sent_on_day(demand, table.days(t, "itr", demand))
            if case.state == S.REFERRED_TO_TREASURY:
                case.referral_date = clocks.consequence_day(case.itr_date,
                                                            table.days(t, "treasury_after_itr", case.itr_date))
                return case.referral_date
            return case.itr_date
        if case.state == S.REFERRAL_NOTICE_ISSUED:
            case.referral_notice_date = clocks.consequence_day(demand, table.days(t, "referral_notice", demand))
            if late:  # sent late (e.g. after an unfavourable appeal): Treasury no sooner than 60 days after it
                case.referral_notice_date = demand + timedelta(days=rng.randint(100, 150))
            return case.referral_notice_date
        return demand

    def _max_ids(self):
        with connection.cursor() as cur:
            cur.execute("""SELECT (SELECT coalesce(max(id), 0) FROM recovery_caseevent),
                                  (SELECT coalesce(max(id), 0) FROM recovery_letter),
                                  (SELECT coalesce(max(id), 0) FROM recovery_letterdelivery),
                                  (SELECT coalesce(max(history_id), 0) FROM recovery_historicalrecoverycase),
                                  (SELECT coalesce(max(id), 0) FROM recovery_ledgerentry),
                                  (SELECT coalesce(max(id), 0) FROM recovery_debt)""")
            return dict(zip(("event", "letter", "delivery", "history", "ledger", "debt"), cur.fetchone()))

    # --- the variants ---------------------------------------------------------------------------

    def _run_variant(self, v):
        run = {"A": self._sweep, "B": self._naive, "C": self._sql}[v]
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        out = {}
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
        try:
            with transaction.atomic():
                # CPU time of this process (not wall): on a busy machine wall time would be charged to whatever
                # call was running when the scheduler took the CPU away.
                prof = cProfile.Profile(time.process_time) if (v == "A" and self.profile) else None
                with connection.execute_wrapper(count):
                    pg0, py0, t0 = _backend_cpu(backend), time.process_time(), time.perf_counter()
                    if prof:
                        prof.enable()
                    out["steps"], out["due"] = run()
                    if prof:
                        prof.disable()
                    out["seconds"] = time.perf_counter() - t0
                    out["cpu_py"], pg1 = time.process_time() - py0, _backend_cpu(backend)
                    out["cpu_pg"] = pg1 - pg0 if pg0 is not None and pg1 is not None else None
                out["queries"] = queries[0]
                with connection.cursor() as cur:  # fresh statistics, or the fingerprint's joins take minutes at 100k
                    for t in ("recovery_letter", "recovery_letterdelivery", "recovery_caseevent",
                              "recovery_ledgerentry", "recovery_historicalrecoverycase"):
                        cur.execute(f"ANALYZE {t}")
                out["check"] = self._fingerprint()
                if prof:
                    self._print_profile(prof)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(f"  {v}: {out['seconds']:8.2f} s, {out['steps']:,} steps on {out['due']:,} due cases, "
                          f"{out['queries']:,} queries, CPU {self._cpu(out)}")
        return out

    def _sweep(self):
        from recovery.clocks import batch

        batch.TIMINGS.clear()
        results = sweeps.sweep(as_of=self.as_of)
        self.phases = {k: round(v, 3) for k, v in batch.TIMINGS.items()}
        self.stdout.write(f"  A's batch engine phases (wall s): {self.phases}")
        return sum(len(r.steps) for r in results), len(results)

    def _naive(self):
        as_of, actor = self.as_of, self.actor
        table = clock_table()
        steps = 0
        ids = sweeps.due_case_ids(as_of=as_of)
        for case_id in ids:
            case = RecoveryCase.objects.get(pk=case_id)
            while case.state not in CLOSED_STATES:
                step = sweeps.due_step(case, table)
                if step is None or step.on > as_of:
                    break
                services.case_act(case=case, action=step.action, actor=actor, on=step.on, reason=step.why,
                                  letter_extra={"dated_by": sweeps.RULE})
                steps += 1
                case = RecoveryCase.objects.get(pk=case_id)
            if case.state not in CLOSED_STATES and Debt.objects.filter(case_id=case_id).exists():
                ledger.interest_assess(case=case, as_of=as_of, actor_name=actor.username)
        return steps, len(ids)

    def _sql(self):
        """Variant C; prints its slowest statements (each one's wall time) after it ran."""
        timings = []

        def timed(execute, sql, params, many, context):
            t = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - t, " ".join(sql.split())[:110]))

        with connection.execute_wrapper(timed):
            result = self._sql_statements()
        for seconds, sql in sorted(timings, reverse=True)[:8]:
            self.stdout.write(f"    C {seconds:7.3f} s  {sql}")
        return result

    def _sql_statements(self):
        p = {"as_of": self.as_of, "uid": self.actor.pk, "uname": self.actor.username, "closed": CLOSED,
             "automatic": [str(s) for s in sweeps.AUTOMATIC_STATES]}
        steps = 0
        with connection.cursor() as cur:
            cur.execute("""
                CREATE TEMP TABLE bench_clk AS
                SELECT track, name, effective_from, days,
                       lead(effective_from) OVER (PARTITION BY track, name ORDER BY effective_from) AS until
                  FROM recovery_clocklength""")
            # what the sweep looks at: a clocked step due (indexed next_due_date) or interest due
            cur.execute("""
                CREATE TEMP TABLE bench_due AS
                SELECT c.id AS case_id FROM recovery_recoverycase c
                 WHERE c.next_due_date <= %(as_of)s AND c.state = ANY(%(automatic)s)
                UNION
                SELECT d.case_id FROM recovery_debt d JOIN recovery_recoverycase c ON c.id = d.case_id
                 WHERE d.next_assessment_date <= %(as_of)s AND NOT (c.state = ANY(%(closed)s))""", p)
            cur.execute("ALTER TABLE bench_due ADD PRIMARY KEY (case_id)")
            # autovacuum never analyzes temporary tables: without statistics the planner takes bench_due
            # for a few rows and nests loops over it (C's first round took 23 s at 100k cases)
            cur.execute("ANALYZE bench_due")
            cur.execute("ANALYZE bench_clk")
            cur.execute("SELECT count(*) FROM bench_due")
            due = cur.fetchone()[0]
            steps += self._sql_demand(cur, p)  # a case takes its demand before any debt step
            self._sql_payments(cur)
            while True:  # one round per step: a case two steps behind takes its second in round two
                taken = self._sql_round(cur, p)
                steps += taken
                if not taken:
                    break
            self._sql_interest(cur, p)  # in 'posted' mode it finds no period to post, but it looks (as A and B do)
            cur.execute("DROP TABLE bench_due, bench_clk, bench_pay")
        return steps, due

    def _sql_payments(self, cur):
        """bench_pay: per debt of a due case, its payment (at most one, partial: all this data holds) and
        what it does (SPEC §5.5): it goes to the interest assessed before it, the rest to principal; a
        period whose last day is on or after it is charged on the principal it leaves. Interest assessed
        before day d: every period ended before d once the grace days are over (those ended inside the
        grace days are assessed on the day after them, before that day's events)."""
        cur.execute("""
            SELECT count(*) FROM recovery_debt d JOIN bench_due u ON u.case_id = d.case_id
             WHERE (SELECT count(*) FROM recovery_debtevent e WHERE e.debt_id = d.id) > 1
                OR EXISTS (SELECT 1 FROM recovery_debtevent e WHERE e.debt_id = d.id AND e.kind <> 'payment')""")
        if cur.fetchone()[0]:
            raise CommandError("variant C handles at most one payment a debt and no other debt events")
        cur.execute("""
            CREATE TEMP TABLE bench_pay AS
            SELECT d.id AS debt_id, d.case_id, q.*, w.*, d.principal - w.to_principal AS p1,
                   round((d.principal - w.to_principal) * d.annual_rate * d.period_days / d.year_days, 2) AS per1
              FROM recovery_debt d JOIN bench_due u ON u.case_id = d.case_id
              LEFT JOIN recovery_debtevent e ON e.debt_id = d.id
             CROSS JOIN LATERAL (SELECT round(d.principal * d.annual_rate * d.period_days / d.year_days, 2) AS per0,
                                        coalesce(e.event_date - d.demand_date, 2147483647) AS pay_day,
                                        coalesce(e.amount, 0) AS paid) q
             CROSS JOIN LATERAL (SELECT least(q.paid, CASE WHEN q.pay_day > d.grace_days
                                                            THEN (q.pay_day - 1) / d.period_days ELSE 0 END * q.per0)
                                        AS to_interest) i
             CROSS JOIN LATERAL (SELECT i.to_interest, q.paid - i.to_interest AS to_principal) w""")
        cur.execute("ALTER TABLE bench_pay ADD PRIMARY KEY (debt_id)")
        cur.execute("CREATE UNIQUE INDEX ON bench_pay (case_id)")
        cur.execute("ANALYZE bench_pay")

    def _sql_demand(self, cur, p):
        """The demand step of an unanswered CPN / payment notice (SPEC §3.2, §3.3, §5.1, §5.2): on the day
        the response window's consequence falls (never before the case's last step), for the conditional
        payments (related claims with dates of service inside the recovery period), with no reduction;
        the debt it opens (terms from the rate in force on the demand date) and its principal row; the
        demand letter (claims, computation, terms) and its deliveries. This data has no settlement on
        these cases (plan and GHP tracks), so no §411.37 reduction or threshold applies."""
        cur.execute("""
            CREATE TEMP TABLE bench_dem AS
            WITH s AS (
                SELECT c.id AS case_id, c.track, c.state AS from_state, c.number, c.beneficiary_id, c.debtor_payer_id,
                       c.incident_date, c.termination_date,
                       CASE c.state WHEN 'cpn_issued' THEN c.cpn_date ELSE c.payment_notice_date END AS start,
                       CASE c.state WHEN 'cpn_issued' THEN 'cpn_response' ELSE 'payment_notice_response' END AS clock,
                       CASE c.state WHEN 'cpn_issued' THEN 'CPN unanswered: automatic demand with no reduction'
                                    ELSE 'Payment notice unanswered: demand' END AS reason,
                       (SELECT max(e.effective_date) FROM recovery_caseevent e WHERE e.case_id = c.id) AS last_on
                  FROM recovery_recoverycase c JOIN bench_due u ON u.case_id = c.id
                 WHERE c.state IN ('cpn_issued', 'payment_notice_issued') AND c.response_date IS NULL
                   AND c.track <> 'beneficiary'
            ), due AS (
                SELECT s.*, greatest(s.start + k.days + 1, s.last_on) AS on_date
                  FROM s JOIN bench_clk k ON k.track = s.track AND k.name = s.clock
                   AND k.effective_from <= s.start AND (k.until IS NULL OR s.start < k.until)
            ), amt AS (
                SELECT due.*, cl.total, cl.claims, r.annual_rate, r.year_days, r.period_days, r.grace_days,
                       r.effective_from AS rate_from,
                       CASE WHEN due.track = 'plan' THEN due.on_date + kn.days + 1 ELSE due.on_date + kn.days END
                       AS next_due,
                       CASE WHEN due.track = 'plan' THEN 'Referral notice due' ELSE 'Intent to refer due' END
                       AS next_reason
                  FROM due
                  CROSS JOIN LATERAL (
                      SELECT coalesce(sum(c.amount_paid) FILTER (
                                 WHERE c.service_from >= coalesce(due.incident_date, '0001-01-01'::date)
                                   AND (due.termination_date IS NULL OR c.service_to <= due.termination_date)), 0.00)
                             AS total,
                             coalesce(jsonb_agg(jsonb_build_object(
                                 'claim_number', c.claim_number, 'provider', c.provider_name,
                                 'service_from', c.service_from::text, 'service_to', c.service_to::text,
                                 'diagnosis_codes', c.diagnosis_codes, 'amount_paid', c.amount_paid::text)
                                 ORDER BY c.service_from, c.claim_number), '[]'::jsonb) AS claims
                        FROM recovery_claim c WHERE c.case_id = due.case_id AND c.status = 'related') cl
                  CROSS JOIN LATERAL (SELECT * FROM recovery_interestrate r WHERE r.effective_from <= due.on_date
                                       ORDER BY r.effective_from DESC LIMIT 1) r
                  JOIN bench_clk kn ON kn.track = due.track
                   AND kn.name = CASE WHEN due.track = 'plan' THEN 'referral_notice' ELSE 'itr' END
                   AND kn.effective_from <= due.on_date AND (kn.until IS NULL OR due.on_date < kn.until)
                 WHERE due.on_date <= %(as_of)s
            )
            SELECT amt.*,
                   jsonb_build_object(
                       'conditional_payments', amt.total::text, 'amount', amt.total::text,
                       'rule', 'conditional payments (§5.1)', 'without_reduction', true, 'settlement', NULL,
                       'procurement_costs', NULL, 'below_threshold', false,
                       'steps', jsonb_build_array('Conditional payments on related claims: $' || amt.total::text))
                   AS computation,
                   CASE WHEN amt.track = 'plan' THEN jsonb_build_array(payer.r, bene.r)
                        ELSE jsonb_build_array(payer.r) END || reps.r AS recipients,
                   b.first_name || ' ' || b.last_name AS bene_name, b.mbi, py.name AS payer_name
              FROM amt
              JOIN beneficiaries_beneficiary b ON b.id = amt.beneficiary_id
              JOIN payers_payer py ON py.id = amt.debtor_payer_id
              CROSS JOIN LATERAL (SELECT jsonb_build_object(
                  'role', 'beneficiary', 'name', b.first_name || ' ' || b.last_name, 'email', b.email,
                  'address', concat_ws(E'\n', b.address_line1, nullif(b.address_line2, ''),
                                       b.city || ', ' || b.state || ' ' || b.zip_code)) AS r) bene
              CROSS JOIN LATERAL (SELECT jsonb_build_object(
                  'role', 'debtor', 'name', py.name, 'address', py.address, 'email', py.email) AS r) payer
              CROSS JOIN LATERAL (
""" + representatives("amt") + """
             WHERE amt.total > 0""", p)
        cur.execute("SELECT count(*) FROM bench_dem")
        taken = cur.fetchone()[0]
        cur.execute("ANALYZE bench_dem")
        if taken:
            cur.execute("""
                UPDATE recovery_recoverycase c
                   SET state = 'demand_issued', demand_date = s.on_date, demand_amount = s.total,
                       demand_without_reduction = true, next_due_date = s.next_due, next_due_reason = s.next_reason,
                       updated_at = now()
                  FROM bench_dem s WHERE c.id = s.case_id""")
            cur.execute(case_history_of("bench_dem"))
            cur.execute("""
                INSERT INTO recovery_debt (case_id, demand_date, principal, annual_rate, year_days, period_days,
                                           grace_days, rate_effective_from, computation, posted_through,
                                           next_assessment_date, created_at)
                SELECT case_id, on_date, total, annual_rate, year_days, period_days, grace_days, rate_from,
                       computation, on_date, on_date + grace_days + 1, now()
                  FROM bench_dem""")
            cur.execute("""
                INSERT INTO recovery_ledgerentry (case_id, kind, entry_date, principal, interest, refund_owed, amount,
                                                  period, base, reverses_id, note, actor_name, created_at)
                SELECT case_id, 'principal', on_date, total, 0, 0, total, NULL, NULL, NULL, 'Demand principal',
                       %(uname)s, now()
                  FROM bench_dem""", p)
            cur.execute("""
                WITH ev AS (
                    INSERT INTO recovery_caseevent (case_id, at, effective_date, actor_id, actor_name, action,
                                                    from_state, to_state, reason)
                    SELECT case_id, now(), on_date, %(uid)s, %(uname)s, 'issue_demand', from_state, 'demand_issued',
                           reason
                      FROM bench_dem
                    RETURNING id, case_id
                ), lt AS (
                    INSERT INTO recovery_letter (case_id, kind, letter_date, recipients, amount, content,
                                                 idempotency_key, event_id, created_at)
                    SELECT s.case_id, 'demand', s.on_date, s.recipients, s.total,
                           jsonb_build_object(
                               'case_number', s.number, 'beneficiary', s.bene_name,
                               'mbi', substr(s.mbi, 1, 4) || '-' || substr(s.mbi, 5, 3) || '-' || substr(s.mbi, 8),
                               'debtor', s.payer_name, 'as_of', s.on_date::text,
                               'incident_date', s.incident_date::text, 'claims', s.claims,
                               'computation', s.computation, 'annual_rate', s.annual_rate::text,
                               'grace_days', s.grace_days::text, 'period_days', s.period_days::text,
                               'year_days', s.year_days::text, 'dated_by', 'rule'),
                           gen_random_uuid(), ev.id, now()
                      FROM bench_dem s JOIN ev ON ev.case_id = s.case_id
                    RETURNING id, recipients
                )
                """ + DELIVERIES_OF_LT, p)
        cur.execute("DROP TABLE bench_dem")
        return taken

    def _sql_round(self, cur, p):
        # The steps due now: the day the rule fixes (SPEC §3 counting; the plan's Treasury referral is
        # clocks.plan_treasury_day: day 121 after the demand, and never sooner than 60 days after the
        # notice), never before the case's last step (sweeps.process_case).
        cur.execute("""
            CREATE TEMP TABLE bench_step AS
            WITH s AS (
                SELECT c.id AS case_id, c.track, c.state AS from_state, c.number, c.demand_date, c.beneficiary_id,
                       c.debtor_payer_id, c.referral_notice_date,
                       CASE WHEN c.state = 'demand_issued' AND c.track = 'plan' THEN 'issue_referral_notice'
                            WHEN c.state = 'demand_issued' THEN 'issue_itr' ELSE 'refer_to_treasury' END AS action,
                       CASE WHEN c.state = 'demand_issued' AND c.track = 'plan' THEN 'referral_notice'
                            WHEN c.state = 'demand_issued' THEN 'itr'
                            WHEN c.state = 'intent_to_refer_issued' THEN 'treasury_after_itr'
                            ELSE 'treasury_after_demand' END AS clock,
                       CASE WHEN c.state = 'intent_to_refer_issued' THEN c.itr_date ELSE c.demand_date END AS start,
                       CASE WHEN c.state = 'demand_issued' AND c.track <> 'plan' THEN 0 ELSE 1 END AS plus,
                       (SELECT max(e.effective_date) FROM recovery_caseevent e WHERE e.case_id = c.id) AS last_on
                  FROM recovery_recoverycase c JOIN bench_due u ON u.case_id = c.id
                 WHERE c.state IN ('demand_issued', 'intent_to_refer_issued', 'referral_notice_issued')
            ), due AS (
                SELECT s.*, ktad.days AS tad, krn.days AS rn,
                       greatest(CASE WHEN s.from_state = 'referral_notice_issued'
                                     THEN greatest(s.start + k.days + 1, s.referral_notice_date + (ktad.days - krn.days))
                                     ELSE s.start + k.days + s.plus END,
                                s.last_on) AS on_date
                  FROM s JOIN bench_clk k ON k.track = s.track AND k.name = s.clock
                   AND k.effective_from <= s.start AND (k.until IS NULL OR s.start < k.until)
                  -- the plan track's two clock lengths, in force on the demand date (a join per row, not
                  -- a CTE joined back: that the planner nested over, 78M rows compared at 40k cases)
                  LEFT JOIN bench_clk ktad ON s.track = 'plan' AND ktad.track = 'plan'
                   AND ktad.name = 'treasury_after_demand'
                   AND ktad.effective_from <= s.demand_date AND (ktad.until IS NULL OR s.demand_date < ktad.until)
                  LEFT JOIN bench_clk krn ON s.track = 'plan' AND krn.track = 'plan' AND krn.name = 'referral_notice'
                   AND krn.effective_from <= s.demand_date AND (krn.until IS NULL OR s.demand_date < krn.until)
            ), nxt AS (  -- the case's next deadline after the step (clocks.next_deadline)
                SELECT due.*, d.principal AS p0, d.demand_date AS d_demand, d.annual_rate, d.period_days, d.year_days,
                       d.grace_days, d.id AS debt_id,
                       due.on_date AS bal_as_of,  -- the letter states the debt as of its date
                       CASE due.action WHEN 'issue_itr' THEN due.on_date + k2.days + 1
                                       WHEN 'issue_referral_notice'
                                       THEN greatest(due.demand_date + due.tad + 1, due.on_date + (due.tad - due.rn))
                       END AS next_due
                  FROM due JOIN recovery_debt d ON d.case_id = due.case_id
                  LEFT JOIN bench_clk k2 ON k2.track = due.track AND k2.name = 'treasury_after_itr'
                   AND k2.effective_from <= due.on_date AND (k2.until IS NULL OR due.on_date < k2.until)
                 WHERE due.on_date <= %(as_of)s  -- partial payments only in this data: never paid by then
            ), bal AS (  -- the debt as of the letter's date (SPEC §5.5): bench_pay's formulas
                SELECT nxt.*,
                       nxt.p0 - CASE WHEN pp.pay_day <= x.n THEN pp.to_principal ELSE 0 END AS principal,
                       CASE WHEN x.n <= nxt.grace_days THEN 0.00
                            ELSE (x.n / nxt.period_days) * pp.per0
                                 + greatest(0, x.n / nxt.period_days - (pp.pay_day - 1) / nxt.period_days)
                                   * (pp.per1 - pp.per0) END
                       - CASE WHEN pp.pay_day <= x.n THEN pp.to_interest ELSE 0 END AS interest
                  FROM nxt JOIN bench_pay pp ON pp.debt_id = nxt.debt_id
                 CROSS JOIN LATERAL (SELECT nxt.bal_as_of - nxt.d_demand AS n) x
            )
            SELECT bal.case_id, bal.action, bal.on_date, bal.from_state, bal.next_due,
                   CASE bal.action WHEN 'issue_itr' THEN 'intent_to_refer_issued'
                                   WHEN 'issue_referral_notice' THEN 'referral_notice_issued'
                                   ELSE 'referred_to_treasury' END AS to_state,
                   CASE WHEN bal.action = 'issue_itr' THEN 'Debt unresolved: intent to refer'
                        WHEN bal.action = 'issue_referral_notice' THEN 'Debt unresolved after 60 days: referral notice'
                        WHEN bal.from_state = 'intent_to_refer_issued'
                             THEN 'Unresolved 60 days after the ITR: Treasury referral'
                        ELSE 'Appeal window passed, debt unresolved: Treasury referral' END AS reason,
                   CASE bal.action WHEN 'refer_to_treasury' THEN '' ELSE 'Treasury referral due' END AS next_reason,
                   CASE bal.action WHEN 'issue_itr' THEN 'itr' WHEN 'issue_referral_notice' THEN 'referral_notice'
                                   ELSE 'treasury_referral' END AS kind,
                   bal.principal + bal.interest AS amount,
                   CASE WHEN bal.track = 'beneficiary' THEN jsonb_build_array(bene.r)
                        WHEN bal.track = 'plan' THEN jsonb_build_array(payer.r, bene.r)
                        ELSE jsonb_build_array(payer.r) END || reps.r AS recipients,
                   jsonb_build_object(
                       'case_number', bal.number, 'beneficiary', b.first_name || ' ' || b.last_name,
                       'mbi', substr(b.mbi, 1, 4) || '-' || substr(b.mbi, 5, 3) || '-' || substr(b.mbi, 8),
                       'debtor', coalesce(py.name, b.first_name || ' ' || b.last_name),
                       'as_of', bal.on_date::text, 'principal', bal.principal::text, 'interest', bal.interest::text,
                       'dated_by', 'rule')
                   || CASE WHEN bal.next_due IS NULL THEN '{}'::jsonb
                           ELSE jsonb_build_object('referral_date', bal.next_due::text) END AS content
              FROM bal
              JOIN beneficiaries_beneficiary b ON b.id = bal.beneficiary_id
              LEFT JOIN payers_payer py ON py.id = bal.debtor_payer_id
              CROSS JOIN LATERAL (SELECT jsonb_build_object(
                  'role', 'beneficiary', 'name', b.first_name || ' ' || b.last_name, 'email', b.email,
                  'address', concat_ws(E'\\n', b.address_line1, nullif(b.address_line2, ''),
                                       b.city || ', ' || b.state || ' ' || b.zip_code)) AS r) bene
              LEFT JOIN LATERAL (SELECT jsonb_build_object(
                  'role', 'debtor', 'name', py.name, 'address', py.address, 'email', py.email) AS r) payer
                ON py.id IS NOT NULL
              CROSS JOIN LATERAL (  -- each holder of a verified POR, or of a CTR unexpired on the letter's date
""" + representatives("bal"), p)
        cur.execute("SELECT count(*) FROM bench_step")
        taken = cur.fetchone()[0]
        cur.execute("ANALYZE bench_step")
        if taken:
            cur.execute("""
                UPDATE recovery_recoverycase c
                   SET state = s.to_state,
                       itr_date = CASE WHEN s.action = 'issue_itr' THEN s.on_date ELSE c.itr_date END,
                       referral_notice_date = CASE WHEN s.action = 'issue_referral_notice' THEN s.on_date
                                                   ELSE c.referral_notice_date END,
                       referral_date = CASE WHEN s.action = 'refer_to_treasury' THEN s.on_date ELSE c.referral_date END,
                       next_due_date = s.next_due, next_due_reason = s.next_reason, updated_at = now()
                  FROM bench_step s WHERE c.id = s.case_id""")
            cur.execute(case_history_of("bench_step"))
            cur.execute("""
                WITH ev AS (
                    INSERT INTO recovery_caseevent (case_id, at, effective_date, actor_id, actor_name, action,
                                                    from_state, to_state, reason)
                    SELECT case_id, now(), on_date, %(uid)s, %(uname)s, action, from_state, to_state, reason
                      FROM bench_step
                    RETURNING id, case_id
                ), lt AS (
                    INSERT INTO recovery_letter (case_id, kind, letter_date, recipients, amount, content,
                                                 idempotency_key, event_id, created_at)
                    SELECT s.case_id, s.kind, s.on_date, s.recipients, s.amount, s.content, gen_random_uuid(),
                           ev.id, now()
                      FROM bench_step s JOIN ev ON ev.case_id = s.case_id
                    RETURNING id, recipients
                )
                """ + DELIVERIES_OF_LT, p)
        cur.execute("DROP TABLE bench_step")
        return taken

    def _sql_interest(self, cur, p):
        """Post every interest period due through the as-of date and not yet posted (SPEC §5.5, no payments:
        each period is principal × rate × period ÷ year, rounded half up; the periods ending inside the
        grace days are assessed on the day after it), then the debts' posted_through and next assessment."""
        cur.execute("""
            INSERT INTO recovery_ledgerentry (case_id, kind, entry_date, principal, interest, refund_owed, amount,
                                              period, base, reverses_id, note, actor_name, created_at)
            SELECT d.case_id, 'interest', d.demand_date + a.day, 0, b.per, 0, b.per, g.k, b.base, NULL,
                   left(format('Interest for period %%s (days %%s–%%s, %%s to %%s): $%%s × %%s%%%% × %%s ÷ %%s = $%%s.',
                               g.k, (g.k - 1) * d.period_days + 1, g.k * d.period_days,
                               d.demand_date + (g.k - 1) * d.period_days + 1, d.demand_date + g.k * d.period_days,
                               to_char(b.base, 'FM999,999,999,990.00'), to_char(d.annual_rate * 100, 'FM990.00'),
                               d.period_days, d.year_days, to_char(b.per, 'FM999,999,999,990.00')), 300),
                   %(uname)s, now()
              FROM bench_due u
              JOIN recovery_debt d ON d.case_id = u.case_id
              JOIN bench_pay pp ON pp.debt_id = d.id
              JOIN recovery_recoverycase c ON c.id = d.case_id AND NOT (c.state = ANY(%(closed)s))
              CROSS JOIN LATERAL (SELECT %(as_of)s::date - d.demand_date AS last_day) x
              CROSS JOIN LATERAL generate_series(1, x.last_day / d.period_days) AS g(k)
              CROSS JOIN LATERAL (SELECT CASE WHEN g.k * d.period_days <= d.grace_days THEN d.grace_days + 1
                                              ELSE g.k * d.period_days END AS day) a
              -- a period whose last day is on or after the payment is charged on the principal left by it
              CROSS JOIN LATERAL (SELECT CASE WHEN g.k * d.period_days >= pp.pay_day THEN pp.per1 ELSE pp.per0 END AS per,
                                         CASE WHEN g.k * d.period_days >= pp.pay_day THEN pp.p1 ELSE d.principal END
                                         AS base) b
             WHERE x.last_day > d.grace_days AND b.per > 0 AND b.base > 0
               AND d.demand_date + a.day > d.posted_through
             ORDER BY d.case_id, a.day, g.k""", p)
        cur.execute("""
            UPDATE recovery_debt d
               SET posted_through = greatest(d.posted_through, %(as_of)s::date),
                   next_assessment_date = CASE
                       WHEN pp.p1 <= 0 THEN NULL
                       WHEN greatest(d.posted_through, %(as_of)s::date) - d.demand_date <= d.grace_days
                           THEN d.demand_date + d.grace_days + 1
                       ELSE d.demand_date + ((greatest(d.posted_through, %(as_of)s::date) - d.demand_date)
                                             / d.period_days + 1) * d.period_days END
              FROM bench_due u JOIN recovery_recoverycase c ON c.id = u.case_id AND NOT (c.state = ANY(%(closed)s))
              JOIN bench_pay pp ON pp.case_id = u.case_id
             WHERE d.case_id = u.case_id
               AND (d.posted_through < %(as_of)s::date OR d.next_assessment_date IS DISTINCT FROM CASE
                       WHEN pp.p1 <= 0 THEN NULL
                       WHEN greatest(d.posted_through, %(as_of)s::date) - d.demand_date <= d.grace_days
                           THEN d.demand_date + d.grace_days + 1
                       ELSE d.demand_date + ((greatest(d.posted_through, %(as_of)s::date) - d.demand_date)
                                             / d.period_days + 1) * d.period_days END)""", p)

    # --- checking -------------------------------------------------------------------------------

    def _fingerprint(self):
        """What the variant changed, as counts and md5 hashes computed in SQL (ids and times left out)."""
        b = {**self.baseline, "lo": self.case_lo, "hi": self.case_hi}
        out = {}
        with connection.cursor() as cur:
            cur.execute("SELECT state, count(*) FROM recovery_recoverycase WHERE id BETWEEN %(lo)s AND %(hi)s "
                        "GROUP BY state ORDER BY state", b)
            out["states"] = dict(cur.fetchall())
            queries = {
                "cases": """SELECT count(*), md5(string_agg(row(id, state, itr_date, referral_notice_date, referral_date,
                                   next_due_date, next_due_reason, demand_date, demand_amount,
                                   demand_without_reduction)::text, ';' ORDER BY id))
                              FROM recovery_recoverycase WHERE id BETWEEN %(lo)s AND %(hi)s""",
                "history rows": """SELECT count(*), md5(string_agg(row(id, state, itr_date, referral_notice_date,
                                   referral_date, demand_date, demand_amount, history_type, history_user_id)::text, ';' ORDER BY id, state))
                              FROM recovery_historicalrecoverycase WHERE history_id > %(history)s""",
                "events": """SELECT count(*), md5(string_agg(row(case_id, effective_date, action, from_state, to_state,
                                   reason, actor_id, actor_name)::text, ';' ORDER BY case_id, effective_date, action))
                              FROM recovery_caseevent WHERE id > %(event)s""",
                "letters": """SELECT count(*), md5(string_agg(row(l.case_id, l.kind, l.letter_date, l.amount, l.content,
                                   l.recipients, e.action, e.effective_date)::text, ';'
                                   ORDER BY l.case_id, l.letter_date, l.kind))
                              FROM recovery_letter l LEFT JOIN recovery_caseevent e ON e.id = l.event_id
                             WHERE l.id > %(letter)s""",
                "deliveries": """SELECT count(*), md5(string_agg(row(l.case_id, l.kind, d.recipient, d.role, d.channel,
                                   d.address, d.status, d.attempts)::text, ';'
                                   ORDER BY l.case_id, l.kind, d.role, d.recipient, d.address, d.channel))
                              FROM recovery_letterdelivery d JOIN recovery_letter l ON l.id = d.letter_id
                             WHERE d.id > %(delivery)s""",
                "ledger rows": """SELECT count(*), md5(string_agg(row(case_id, kind, entry_date, period, amount, base,
                                   principal, interest, refund_owed, note, actor_name)::text, ';'
                                   ORDER BY case_id, entry_date, period))
                              FROM recovery_ledgerentry WHERE id > %(ledger)s""",
                "debts": """SELECT count(*), md5(string_agg(row(case_id, posted_through, next_assessment_date, demand_date,
                                   principal, annual_rate, year_days, period_days, grace_days, rate_effective_from,
                                   computation)::text,
                                   ';' ORDER BY case_id))
                              FROM recovery_debt WHERE case_id BETWEEN %(lo)s AND %(hi)s""",
            }
            for name, sql in queries.items():
                cur.execute(sql, b)
                out[name] = cur.fetchone()
            cur.execute("SELECT coalesce(sum(interest), 0) FROM recovery_ledgerentry WHERE id > %(ledger)s", b)
            out["interest posted"] = cur.fetchone()[0]
            cur.execute("""SELECT count(*) FROM recovery_ledgerentry e JOIN recovery_debt d ON d.case_id = e.case_id
                            WHERE e.id > %(ledger)s AND d.id <= %(debt)s""", b)
            out["ledger rows of the built debts"] = cur.fetchone()[0]
            cur.execute("SELECT coalesce(sum(amount), 0) FROM recovery_letter WHERE id > %(letter)s", b)
            out["letter amounts"] = cur.fetchone()[0]
        return out

    # --- output ---------------------------------------------------------------------------------

    def _print_profile(self, prof):
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(self.profile)
            self.stdout.write(f"--- variant A profile (Python CPU time; waits on PostgreSQL not counted), "
                              f"top {self.profile} by {key} ---")
            self.stdout.write(buf.getvalue())

    @staticmethod
    def _cpu(r):
        pg = "?" if r["cpu_pg"] is None else f"{r['cpu_pg']:.2f}"
        return f"{r['cpu_py']:.2f} s Python + {pg} s PostgreSQL"

    @staticmethod
    def _cpu_total(r):
        return "?" if r["cpu_pg"] is None else f"{r['cpu_py'] + r['cpu_pg']:.2f}"

    def _report(self, n, results):
        names = {"A": "A sweep (sweeps.sweep)", "B": "B naive loop (case_act per case)", "C": "C set-based SQL"}
        interest = ("interest INCLUDED in all three: each posts the interest rows due through the as-of date"
                    if self.interest == "due" else
                    "interest already POSTED through the as-of date: no variant writes interest rows "
                    "(A and B still read and recompute each debt's schedule; the sweep has no switch to skip it)")
        self.stdout.write("")
        self.stdout.write(f"N = {n:,} open cases, as-of {self.as_of}; {interest}.")
        self.stdout.write("Writes in every variant: case state + dates + next_due_date, a simple-history row, a CaseEvent, "
                          "a Letter and its LetterDelivery rows per step.")
        ref = results.get("A") or next(iter(results.values()))
        self.stdout.write(f"{'variant':34} {'wall s':>8} {'CPU s py+pg':>12} {'steps':>8} {'due cases':>10} "
                          f"{'queries':>9} {'ms/due case':>11}  agrees with {'A' if 'A' in results else 'first'}")
        for v, r in results.items():
            diff = [k for k in r["check"] if r["check"][k] != ref["check"][k]]
            self.stdout.write(
                f"{names[v]:34} {r['seconds']:8.2f} {self._cpu_total(r):>12} {r['steps']:8,} {r['due']:10,} "
                f"{r['queries']:9,} {1000 * r['seconds'] / max(r['due'], 1):11.3f}  "
                f"{'yes' if not diff else 'NO: ' + ', '.join(diff)}")
        if "C" in results:
            c = results["C"]
            for v in "AB":
                if v in results:
                    r = results[v]
                    cpu = ""
                    if r["cpu_pg"] is not None and c["cpu_pg"] is not None:
                        cpu = f"   CPU {(r['cpu_py'] + r['cpu_pg']) / max(c['cpu_py'] + c['cpu_pg'], 0.01):8.1f}x"
                    self.stdout.write(f"  ratio {v}/C: wall {r['seconds'] / c['seconds']:8.1f}x{cpu}"
                                      + ("   (SPEC §10 target: ≤ 2x)" if v == "A" else ""))
        chk = ref["check"]
        self.stdout.write("What changed (from the first variant run; the others compared by hash):")
        self.stdout.write("  states after: " + ", ".join(f"{s} {k:,}" for s, k in chk["states"].items()))
        for k in ("history rows", "events", "letters", "deliveries", "ledger rows"):
            self.stdout.write(f"  new {k}: " + "  ".join(f"{v}={r['check'][k][0]:,}" for v, r in results.items()))
        self.stdout.write("  interest posted: " + "  ".join(f"{v}=${r['check']['interest posted']:,}"
                                                           for v, r in results.items()))
        self.stdout.write("  letter amounts:  " + "  ".join(f"{v}=${r['check']['letter amounts']:,}"
                                                           for v, r in results.items()))
        self.stdout.write("Caveats: all variants run inside the benchmark's transaction (each rolled back to a savepoint), "
                          "so the sweep's per-case transactions are savepoints — no per-case COMMIT/WAL flush — and no "
                          "outbox relay is kicked after commit; later variants also see the earlier ones' dead rows. CPU = this process + its PostgreSQL backend (read from /proc; '?' when the "
                          "server is elsewhere): steadier than wall time on a busy machine. Order run: " + "".join(results))
        self.stdout.write(f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")
        summary = {"cases": n, "due": ref["due"], "steps": ref["steps"], "agree": all(
            r["check"] == ref["check"] and r["steps"] == ref["steps"] for r in results.values())}
        for v, r in results.items():
            summary[f"{v.lower()}_s"] = round(r["seconds"], 3)
            summary[f"{v.lower()}_queries"] = r["queries"]
            if r["cpu_pg"] is not None:
                summary[f"{v.lower()}_cpu_s"] = round(r["cpu_py"] + r["cpu_pg"], 3)
        if "A" in results and "C" in results:
            summary["ratio_a_c"] = round(results["A"]["seconds"] / max(results["C"]["seconds"], 1e-6), 2)
            if "a_cpu_s" in summary and "c_cpu_s" in summary:
                summary["ratio_a_c_cpu"] = round(summary["a_cpu_s"] / max(summary["c_cpu_s"], 1e-6), 2)
        if getattr(self, "phases", None):
            summary["a_phases_s"] = self.phases
        summary["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        summary["load"] = round(os.getloadavg()[0], 2)
        self.stdout.write("RESULT " + json.dumps(summary))
