"""Fill a PostgreSQL database with N open recovery cases and what hangs off them, by set-based SQL
(SPEC §10: 1,000,000 open cases on one 2-core machine).

    DATABASE_URL=postgres://…/recovery_bench_1m manage.py build_scale --cases 1000000 [--reset]

The database must be migrated. Rows, for N cases (ids 1…N, dates relative to `services.today()`):

- payers: max(20, N/500), so an insurer's book is the same size at any N; beneficiaries: 0.6 N (valid,
  unique MBIs starting with 8; some names with accents — Łukasz, Zoë, Müller… — and their folded search
  column, beneficiaries.names.fold); one MSP occurrence per case (GHP for the GHP track);
- cases: 70% beneficiary track, 20% plan (non-GHP), 10% GHP, spread over every state their track
  reaches (about 14% closed), with the dates those states imply (RAR, CPL, CPN or payment notice,
  settlement, demand, ITR, referral notice, referral, closed), a caseworker (max(5, N/5000) of them, the
  `caseworker` group), `next_due_date` spread from 60 days ago to 90 days ahead on open cases;
- three claims a case; a Debt, its PRINCIPAL ledger row and the demand letter for every case past its
  demand (terms: the interest-rate row in force on the demand date); a letter and a history row
  (CaseEvent) for every case; an audit row for every fourth case;
- representatives: 6% of the cases carry a POR (4%) or a CTR (2%, a fifth of them expired), a seventh of
  them still pending, each with its uploaded document, held by N/400 attorneys (about 25 cases each, at
  any N); one insurer contact with a verified letter of authority for each of the first 20 payers;
- the users the benchmark signs in as: `scale_super` (supervisor), `scale_cw_1…` (caseworkers),
  `scale_atty_1…` (attorneys), `scale_ins_1…` (insurer contacts). Their password is `--password`.

The append-only triggers (UPDATE/DELETE) do not fire on INSERT, so nothing is disabled. After the load:
the id sequences and case-number sequences are moved past the rows, then VACUUM ANALYZE.
Ends with `RESULT {json}` (rows per table and seconds).
"""

import json
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from beneficiaries.models import ExternalProfile
from beneficiaries.names import fold
from recovery.access import roles
from recovery.cases import services, tracks
from recovery.cases.tracks import State, Track

S = State
PREFIX = "scale_"
# States past the demand: a Debt, its principal row and a demand letter exist.
DEBT_STATES = {S.DEMAND_ISSUED, S.APPEAL_PENDING, S.WAIVER_PENDING, S.CHALLENGE_PENDING,
               S.INTENT_TO_REFER_ISSUED, S.REFERRAL_NOTICE_ISSUED, S.REFERRED_TO_TREASURY, S.CLOSED_PAID}
PRE_LETTER = {S.REPORTED, S.OCCURRENCE_POSTED}
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "Maria", "Ana", "Wei", "Fatima", "Olga", "Kenji", "Aisha", "Pedro", "Ingrid", "Tomas",
         "Łukasz", "Zoë", "José", "Renée", "Søren", "Ñuria"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
        "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
        "Müller", "Núñez", "Żółć", "Brontë", "Ødegaard", "Sánchez"]
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"

# Tables emptied by --reset (CASCADE reaches claims, letters, ledger, debts, history…).
RESET_TABLES = ["recovery_recoverycase", "beneficiaries_beneficiary", "payers_payer", "payers_mspoccurrence",
                "beneficiaries_authorisation", "recovery_uploadeddocument", "recovery_auditevent",
                "beneficiaries_externalprofile", "django_session", "recovery_casenumbersequence",
                "recovery_historicalrecoverycase", "beneficiaries_historicalbeneficiary",
                "payers_historicalpayer", "payers_historicalmspoccurrence", "recovery_historicalclaim",
                "beneficiaries_historicalauthorisation"]


def state_rows():
    """(track, position, state, flags…) for every state each track reaches: the dates each implies."""
    rows = []
    for track in Track.values:
        reach = {t for _, _, t in tracks.EDGES[track]} | {S.REPORTED}
        states = [s for s in S.values if s in reach]
        uses_pn = track == Track.GHP and S.PAYMENT_NOTICE_ISSUED in reach
        for pos, st in enumerate(states, start=1):
            lettered = st not in PRE_LETTER
            rows.append((
                track, pos, st,
                track == Track.BENEFICIARY and lettered,                                   # rar
                track == Track.BENEFICIARY and lettered and st not in (S.RAR_ISSUED, S.CPN_ISSUED),  # cpl
                track != Track.BENEFICIARY and lettered and not uses_pn or st == S.CPN_ISSUED,  # cpn
                uses_pn and lettered,                                                       # payment notice
                st in DEBT_STATES or st == S.SETTLEMENT_REPORTED,                          # settlement date
                st in DEBT_STATES,                                                          # demand
                st in (S.INTENT_TO_REFER_ISSUED, S.REFERRED_TO_TREASURY) and track == Track.BENEFICIARY,
                st in (S.REFERRAL_NOTICE_ISSUED, S.REFERRED_TO_TREASURY) and track != Track.BENEFICIARY,
                st == S.REFERRED_TO_TREASURY,                                               # referral
                st in tracks.CLOSED_STATES,                                                 # closed
                st not in tracks.CLOSED_STATES and st != S.ON_HOLD,                         # next due
            ))
    return rows


class Command(BaseCommand):
    help = "Fill a PostgreSQL database with N open recovery cases by set-based SQL (SPEC §10)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--reset", action="store_true", help="Empty the case data first")
        parser.add_argument("--password", default="scale-bench-pass")

    def handle(self, *args, cases, reset, password, **options):
        if connection.vendor != "postgresql":
            raise CommandError("build_scale fills PostgreSQL (set DATABASE_URL); it uses generate_series.")
        if cases < 100:
            raise CommandError("--cases: at least 100.")
        from recovery.models import RecoveryCase

        if RecoveryCase.objects.exists() and not reset:
            raise CommandError("This database already has cases: pass --reset to empty it first.")
        t0 = time.monotonic()
        self.timings = {}
        if reset:
            self._step("reset", self._reset)
        n = cases
        p = max(20, n // 500)
        b = max(60, n * 6 // 10)
        ncw = max(5, n // 5000)
        natty = max(4, n // 400)
        self._step("users", self._users, ncw, natty, password)
        with connection.cursor() as cur:
            self.cur = cur
            self._step("reference", self._reference, n, p, b)
            self._step("cases", self._cases, n, p, b, ncw)
            self._step("claims", self._claims)
            self._step("debts", self._debts)
            self._step("letters+history", self._letters_history)
            self._step("representatives", self._representatives, n, natty)
            self._step("audit", self._audit)
            self._step("sequences", self._sequences)
        self._step("vacuum", self._vacuum)
        counts = self._counts()
        total = round(time.monotonic() - t0, 1)
        for table, rows in counts.items():
            self.stdout.write(f"{table:40} {rows:>12,}")
        self.stdout.write(f"built {n:,} cases in {total} s: " +
                          ", ".join(f"{k} {v} s" for k, v in self.timings.items()))
        self.stdout.write("RESULT " + json.dumps({"cases": n, "seconds": total, "steps": self.timings,
                                                  "rows": counts}))

    def _step(self, name, fn, *args):
        t = time.monotonic()
        with transaction.atomic():
            fn(*args)
        self.timings[name] = round(time.monotonic() - t, 1)
        self.stdout.write(f"  {name}: {self.timings[name]} s")
        self.stdout.flush()

    def _reset(self):
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")
        User = get_user_model()
        User.objects.filter(username__startswith=PREFIX).delete()

    def _users(self, ncw, natty, password):
        User = get_user_model()
        caseworker, supervisor = roles.ensure_groups()
        pw = make_password(password)
        staff = [User(username=f"{PREFIX}super", first_name="Sam", last_name="Supervisor", is_staff=True,
                      password=pw)]
        staff += [User(username=f"{PREFIX}cw_{i}", first_name="Case", last_name=f"Worker {i}", is_staff=True,
                       password=pw) for i in range(1, ncw + 1)]
        external = [User(username=f"{PREFIX}atty_{i}", first_name="Alex", last_name=f"Attorney {i}", password=pw,
                         email=f"atty{i}@example.org") for i in range(1, natty + 1)]
        external += [User(username=f"{PREFIX}ins_{i}", first_name="Ida", last_name=f"Insurer {i}", password=pw,
                          email=f"ins{i}@example.org") for i in range(1, 21)]
        User.objects.bulk_create(staff + external, batch_size=2000)
        users = {u.username: u for u in User.objects.filter(username__startswith=PREFIX)}
        supervisor.user_set.add(users[f"{PREFIX}super"])
        caseworker.user_set.add(*[users[f"{PREFIX}cw_{i}"] for i in range(1, ncw + 1)])
        ExternalProfile.objects.bulk_create(
            [ExternalProfile(user=users[f"{PREFIX}atty_{i}"], kind=ExternalProfile.Kind.REPRESENTATIVE,
                             organisation=f"Firm {i % 97} LLP") for i in range(1, natty + 1)], batch_size=2000)
        self.users = users
        self.Group = Group

    def _reference(self, n, p, b):
        cur = self.cur
        today = services.today()
        cur.execute("""
            INSERT INTO payers_payer (id, name, kind, address, email, phone)
            SELECT g, 'Insurer ' || g || ' Mutual',
                   (ARRAY['liability','no_fault','workers_comp','self_insured','employer_ghp'])[1 + g %% 5],
                   g || ' Main Street, Hartford, CT 06103', 'claims' || g || '@insurer.example', ''
            FROM generate_series(1, %s) g""", [p])
        # MBI: 8 L 0 D L 0 D L L D D — four digits and four letters carry the number (unique below 1.6e9).
        cur.execute("""
            INSERT INTO beneficiaries_beneficiary
                (id, mbi, first_name, last_name, search_name, date_of_birth, date_of_death, address_line1,
                 address_line2, city, state, zip_code, email, entitlement_basis, entitlement_start, entitlement_end)
            SELECT g,
                   '8' || substr(%(L)s, 1 + (g / 10000) %% 20, 1) || '0' || substr(lpad((g %% 10000)::text, 4, '0'), 1, 1)
                       || substr(%(L)s, 1 + (g / 200000) %% 20, 1) || '0' || substr(lpad((g %% 10000)::text, 4, '0'), 2, 1)
                       || substr(%(L)s, 1 + (g / 4000000) %% 20, 1) || substr(%(L)s, 1 + (g / 80000000) %% 20, 1)
                       || substr(lpad((g %% 10000)::text, 4, '0'), 3, 2),
                   (%(first)s::text[])[1 + (g * 7) %% %(nf)s], (%(last)s::text[])[1 + (g * 13 / 7) %% %(nl)s]
                       || CASE WHEN g %% 3 = 0 THEN '-' || (%(last)s::text[])[1 + g %% %(nl)s] ELSE '' END,
                   (%(ffirst)s::text[])[1 + (g * 7) %% %(nf)s] || ' ' || (%(flast)s::text[])[1 + (g * 13 / 7) %% %(nl)s]
                       || CASE WHEN g %% 3 = 0 THEN '-' || (%(flast)s::text[])[1 + g %% %(nl)s] ELSE '' END,
                   %(today)s::date - (23725 + g %% 7300), NULL,
                   (g %% 9000 + 1) || ' Elm Street', '', 'Springfield', 'IL', lpad((g %% 99999)::text, 5, '0'),
                   '', (ARRAY['age','age','age','disability','esrd'])[1 + g %% 5],
                   %(today)s::date - (365 * 5 + g %% 3000), NULL
            FROM generate_series(1, %(b)s) g""",
                    {"L": MBI_LETTERS, "first": FIRST, "last": LAST, "nf": len(FIRST), "nl": len(LAST),
                     "ffirst": [fold(n) for n in FIRST], "flast": [fold(n) for n in LAST],
                     "today": today, "b": b})
        # One occurrence per case (id = case id); GHP for the GHP-track cases (case id % 10 = 9).
        cur.execute("""
            INSERT INTO payers_mspoccurrence
                (id, beneficiary_id, payer_id, coverage_type, incident_date, injury_kind, coverage_start,
                 coverage_end, orm, orm_end, posted_on)
            SELECT g, 1 + (g - 1) %% %(b)s, 1 + (g * 31) %% %(p)s,
                   CASE WHEN g %% 10 = 9 THEN 'ghp' ELSE (ARRAY['liability','no_fault','workers_comp'])[1 + g %% 3] END,
                   CASE WHEN g %% 10 = 9 THEN NULL ELSE %(today)s::date - (1300 + g %% 400) END,
                   CASE WHEN g %% 10 = 9 THEN '' ELSE 'trauma' END,
                   CASE WHEN g %% 10 = 9 THEN %(today)s::date - (1700 + g %% 400) END,
                   CASE WHEN g %% 10 = 9 THEN %(today)s::date - (900 + g %% 300) END,
                   false, NULL, %(today)s::date - (1250 + g %% 300)
            FROM generate_series(1, %(n)s) g""", {"b": b, "p": p, "n": n, "today": today})

    def _cases(self, n, p, b, ncw):
        cur = self.cur
        today = services.today()
        cur.execute("""CREATE TEMP TABLE scale_state (track text, pos int, state text, rar bool, cpl bool,
                       cpn bool, pn bool, settled bool, demand bool, itr bool, refnotice bool, referral bool,
                       closed bool, due bool) ON COMMIT DROP""")
        cur.executemany("INSERT INTO scale_state VALUES (" + ", ".join(["%s"] * 14) + ")", state_rows())
        cur.execute("""CREATE TEMP TABLE scale_cw ON COMMIT DROP AS
                       SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM auth_user
                       WHERE username LIKE 'scale\\_cw\\_%%'""", [])
        # Track by id: 70% beneficiary, 20% plan, 10% GHP; the state spread over what the track reaches.
        cur.execute("""
            INSERT INTO recovery_recoverycase
                (id, number, track, state, beneficiary_id, occurrence_id, debtor_payer_id, caseworker_id,
                 opened_on, incident_date, termination_date, rar_date, cpl_date, cpn_date, payment_notice_date,
                 response_date, demand_date, demand_amount, demand_without_reduction, itr_date,
                 referral_notice_date, referral_date, closed_date, return_state, hold_return_state,
                 appeal_level, hold_reason, next_due_date, next_due_reason, created_at, updated_at)
            SELECT c.g,
                   CASE WHEN c.track = 'beneficiary' THEN '2' ELSE '3' END || lpad(c.g::text, 14, '0'),
                   c.track, s.state, o.beneficiary_id, o.id, CASE WHEN c.track = 'beneficiary' THEN NULL ELSE o.payer_id END,
                   cw.id, c.opened, o.incident_date,
                   CASE WHEN s.settled THEN c.opened + 120 END,
                   CASE WHEN s.rar THEN c.opened + 3 END, CASE WHEN s.cpl THEN c.opened + 10 END,
                   CASE WHEN s.cpn THEN c.opened + 10 END, CASE WHEN s.pn THEN c.opened + 10 END,
                   NULL,
                   CASE WHEN s.demand THEN c.opened + 150 END,
                   CASE WHEN s.demand THEN (500 + (c.g::bigint * 7919) %% 40000)::numeric(14,2) + 0.37 END, false,
                   CASE WHEN s.itr THEN c.opened + 270 END, CASE WHEN s.refnotice THEN c.opened + 270 END,
                   CASE WHEN s.referral THEN c.opened + 330 END, CASE WHEN s.closed THEN c.opened + 200 END,
                   CASE WHEN s.state IN ('appeal_pending','waiver_pending','challenge_pending') THEN 'demand_issued'
                        WHEN s.state = 'dispute_pending' THEN CASE WHEN c.track = 'beneficiary' THEN 'cpl_issued'
                                                                   ELSE 'cpn_issued' END ELSE '' END,
                   CASE WHEN s.state = 'on_hold' THEN 'reported' ELSE '' END,
                   CASE WHEN s.state = 'appeal_pending' THEN 1 ELSE 0 END,
                   CASE WHEN s.state = 'on_hold' THEN 'Waiting for the beneficiary''s representative' ELSE '' END,
                   CASE WHEN s.due THEN %(today)s::date + ((c.g * 37) %% 150 - 60) END,
                   CASE WHEN s.due THEN 'Next step due' ELSE '' END,
                   c.opened::timestamptz, c.opened::timestamptz
            FROM (SELECT g, %(today)s::date - ((g::bigint * 7919) %% 1095)::int AS opened,
                         CASE WHEN g %% 10 < 7 THEN 'beneficiary' WHEN g %% 10 = 9 THEN 'ghp' ELSE 'plan' END AS track
                  FROM generate_series(1, %(n)s) g) c
            JOIN payers_mspoccurrence o ON o.id = c.g
            JOIN (SELECT track, count(*) AS k FROM scale_state GROUP BY track) sc ON sc.track = c.track
            JOIN scale_state s ON s.track = c.track AND s.pos = 1 + ((c.g / 10) * 2654435761) %% sc.k
            JOIN scale_cw cw ON cw.k = (c.g / 3) %% %(ncw)s""", {"today": today, "n": n, "ncw": ncw})

    def _claims(self):
        self.cur.execute("""
            INSERT INTO recovery_claim (case_id, claim_number, provider_name, provider_npi, service_from, service_to,
                                        diagnosis_codes, amount_paid, paid_date, status)
            SELECT c.id, 'CLM' || c.id || '-' || k, 'Springfield General Hospital', '1234567893',
                   coalesce(c.incident_date, c.opened_on - 300) + k * 7, coalesce(c.incident_date, c.opened_on - 300) + k * 7 + 2,
                   'S82.101A', (100 + (c.id * k * 31) %% 5000)::numeric(14,2) + 0.25,
                   coalesce(c.incident_date, c.opened_on - 300) + k * 7 + 30, 'related'
            FROM recovery_recoverycase c CROSS JOIN generate_series(1, 3) k""", [])

    def _debts(self):
        cur = self.cur
        cur.execute("""
            INSERT INTO recovery_debt (case_id, demand_date, principal, annual_rate, year_days, period_days,
                                       grace_days, rate_effective_from, computation, posted_through,
                                       next_assessment_date, created_at)
            SELECT c.id, c.demand_date, c.demand_amount, r.annual_rate, r.year_days, r.period_days, r.grace_days,
                   r.effective_from, '{"source": "build_scale"}'::jsonb, c.demand_date,
                   c.demand_date + r.grace_days, c.demand_date::timestamptz
            FROM recovery_recoverycase c
            CROSS JOIN LATERAL (SELECT * FROM recovery_interestrate ir WHERE ir.effective_from <= c.demand_date
                                ORDER BY ir.effective_from DESC LIMIT 1) r
            WHERE c.demand_date IS NOT NULL""")
        cur.execute("""
            INSERT INTO recovery_ledgerentry (case_id, kind, entry_date, principal, interest, refund_owed, amount,
                                              period, base, reverses_id, note, actor_name, created_at)
            SELECT d.case_id, 'principal', d.demand_date, d.principal, 0, 0, d.principal, NULL, NULL, NULL,
                   'Demand principal', 'build_scale', d.created_at
            FROM recovery_debt d""")

    def _letters_history(self):
        cur = self.cur
        cur.execute("""
            INSERT INTO recovery_caseevent (case_id, at, effective_date, actor_id, actor_name, action, from_state,
                                            to_state, reason)
            SELECT id, opened_on::timestamptz, opened_on, NULL, 'build_scale', 'open', 'reported', 'reported', ''
            FROM recovery_recoverycase""")
        cur.execute("""
            INSERT INTO recovery_letter (case_id, kind, letter_date, recipients, amount, content, idempotency_key,
                                         event_id, created_at)
            SELECT c.id, CASE WHEN c.rar_date IS NOT NULL THEN 'rar' ELSE 'cpn' END, coalesce(c.rar_date, c.cpn_date),
                   '[{"name": "Beneficiary", "role": "beneficiary"}]'::jsonb, NULL, '{"source": "build_scale"}'::jsonb,
                   gen_random_uuid(), NULL, coalesce(c.rar_date, c.cpn_date)::timestamptz
            FROM recovery_recoverycase c WHERE coalesce(c.rar_date, c.cpn_date) IS NOT NULL""")
        cur.execute("""
            INSERT INTO recovery_letter (case_id, kind, letter_date, recipients, amount, content, idempotency_key,
                                         event_id, created_at)
            SELECT c.id, 'demand', c.demand_date, '[{"name": "Debtor", "role": "debtor"}]'::jsonb, c.demand_amount,
                   '{"source": "build_scale"}'::jsonb, gen_random_uuid(), NULL, c.demand_date::timestamptz
            FROM recovery_recoverycase c WHERE c.demand_date IS NOT NULL""")

    def _representatives(self, n, natty):
        cur = self.cur
        today = services.today()
        # 6% of the cases (id % 50 in 0, 1, 2): a POR (0, 1) or a CTR (2); attorney = (id / 50) % natty.
        cur.execute("""CREATE TEMP TABLE scale_atty ON COMMIT DROP AS
                       SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM auth_user
                       WHERE username LIKE 'scale\\_atty\\_%%'""", [])
        cur.execute("""CREATE TEMP TABLE scale_ins ON COMMIT DROP AS
                       SELECT row_number() OVER (ORDER BY id) AS payer_id, id FROM auth_user
                       WHERE username LIKE 'scale\\_ins\\_%%'""", [])
        cur.execute("""CREATE TEMP TABLE scale_auth ON COMMIT DROP AS
                       SELECT row_number() OVER (ORDER BY c.id) AS k, c.id AS case_id, c.beneficiary_id,
                              a.id AS holder_id, NULL::int AS payer_id,
                              CASE WHEN c.id %% 50 = 2 THEN 'ctr' ELSE 'por' END AS kind,
                              CASE WHEN c.id %% 50 = 2 THEN CASE WHEN (c.id / 50) %% 5 = 0 THEN %(today)s::date - 10
                                   ELSE %(today)s::date + 90 END END AS ctr_end,
                              CASE WHEN (c.id / 50) %% 7 = 0 THEN 'pending' ELSE 'verified' END AS status,
                              c.opened_on AS on_date
                       FROM recovery_recoverycase c JOIN scale_atty a ON a.k = (c.id / 50) %% %(natty)s
                       WHERE c.id %% 50 < 3
                       UNION ALL
                       SELECT 0, NULL, NULL, i.id, i.payer_id, 'loa', NULL, 'verified', %(today)s::date - 400
                       FROM scale_ins i""", {"today": today, "natty": natty})
        cur.execute("""
            INSERT INTO recovery_uploadeddocument (key, case_id, purpose, file, original_name, content_type, size,
                                                   sha256, uploaded_by_id, uploaded_at)
            SELECT md5('scale' || row_number() OVER ())::uuid, case_id, 'authorisation',
                   'scale/' || kind || '-' || coalesce(case_id, payer_id) || '.pdf', kind || '.pdf',
                   'application/pdf', 1024, repeat('0', 64), holder_id, on_date::timestamptz
            FROM scale_auth""")
        cur.execute("""
            INSERT INTO beneficiaries_authorisation (kind, holder_id, beneficiary_id, case_id, payer_id, ctr_end_date,
                from_estate, document_id, status, submitted_by_id, submitted_at, decided_by_id, decided_on,
                decision_note)
            SELECT a.kind, a.holder_id, a.beneficiary_id, a.case_id, a.payer_id, a.ctr_end, false, d.id, a.status,
                   a.holder_id, a.on_date::timestamptz, CASE WHEN a.status = 'verified' THEN a.holder_id END,
                   CASE WHEN a.status = 'verified' THEN a.on_date + 2 END, ''
            FROM scale_auth a JOIN recovery_uploadeddocument d
              ON d.file = 'scale/' || a.kind || '-' || coalesce(a.case_id, a.payer_id) || '.pdf'""")
        cur.execute("""
            INSERT INTO beneficiaries_externalprofile (user_id, kind, organisation, payer_id, phone)
            SELECT id, 'insurer_contact', 'Insurer ' || payer_id || ' Mutual', payer_id, '' FROM scale_ins""")

    def _audit(self):
        self.cur.execute("""
            INSERT INTO recovery_auditevent (at, user_id, username, action, object_type, object_id, object_ids,
                                             detail, outcome, client_ip, channel)
            SELECT c.opened_on::timestamptz, c.caseworker_id, 'scale_cw', 'view', 'recovery.RecoveryCase',
                   c.id::text, '[]'::jsonb, '', 'ok', '127.0.0.1', 'admin'
            FROM recovery_recoverycase c WHERE c.id %% 4 = 0""", [])

    def _sequences(self):
        cur = self.cur
        for table in ["payers_payer", "beneficiaries_beneficiary", "payers_mspoccurrence", "recovery_recoverycase"]:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("""INSERT INTO recovery_casenumbersequence (prefix, last)
                       SELECT left(number, 1), max(substr(number, 2)::bigint) FROM recovery_recoverycase
                       GROUP BY left(number, 1)
                       ON CONFLICT (prefix) DO UPDATE SET last = greatest(recovery_casenumbersequence.last,
                                                                          EXCLUDED.last)""")

    def _vacuum(self):
        pass  # VACUUM cannot run in a transaction: done in _counts' autocommit block

    def _counts(self):
        t = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        self.timings["vacuum"] = round(time.monotonic() - t, 1)
        tables = ["recovery_recoverycase", "beneficiaries_beneficiary", "payers_payer", "payers_mspoccurrence",
                  "recovery_claim", "recovery_debt", "recovery_ledgerentry", "recovery_letter", "recovery_caseevent",
                  "beneficiaries_authorisation", "recovery_uploadeddocument", "recovery_auditevent", "auth_user"]
        with connection.cursor() as cur:
            out = {}
            for table in tables:
                cur.execute(f"SELECT count(*) FROM {table}")
                out[table] = cur.fetchone()[0]
        return out
