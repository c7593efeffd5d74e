"""Benchmark (issue 10, SPEC §10): every list page at N cases against the same page at 10,000 cases.

    manage.py bench_pages [--cases 1000000] [--big-db URL] [--small-db URL] [--build]
                          [--requests 30] [--concurrent-requests 96] [--clients 16] [--workers 2]

Two PostgreSQL databases filled by `build_scale` (--build fills one that has no cases): the N-case one
(--big-db, default BENCH_BIG_DB_URL or …/recovery_bench_1m) and a 10,000-case one (--small-db, default
BENCH_SMALL_DB_URL or …/recovery_bench_10k). For each database:

1. one client, in-process (a subprocess of this command with DATABASE_URL set, Django's test client
   signed in as the page's user): `--requests` timed GETs per page after 3 warm-up ones, and the SQL
   queries of one request;
2. 16 clients: gunicorn (`--workers` sync workers, DEBUG off) on each database (loopback ports `--port`
   and `--port` + 1), `--clients` threads sending `--concurrent-requests` GETs per page back to back with
   the same users' session cookies, after one concurrent warm-up round; each page is driven on the N-case
   database and then straight away on the 10,000-case one, so that a page's two figures share the load of
   the moment; every answer that is not 200 counts as an error. Both servers are stopped afterwards.

Pages: the trivial admin page (clock lengths: the per-request floor), the admin case list (default, search
by case number / MBI / name / name typed without its accents / payer name / claim number / attorney,
overdue, by state, by caseworker), the worklist (mine, anyone's), the supervisor dashboard, `/api/cases/`
first page and a deep page (2000, or the last page on a smaller database), the portal's "my cases" for an
attorney and an insurer contact, and the audit log. The RESULT's maps are keyed by page name. The table shows p50/p95/p99 ms, requests/s and queries; the goal
(a) is single p95 <= 50 ms at N, (b) 16-client p95 at N <= 1.25 x the same at 10,000 with no errors.
The machine is shared: read the figures with the load average printed beside them.
Last line: RESULT {json}.
"""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote_plus

from django.core.management.base import BaseCommand, CommandError

BASE = Path(__file__).resolve().parents[3]
PG = "postgres://postgres@127.0.0.1:5432/"
CASES = "/admin/recovery/recoverycase/"
SINGLE_TAG = "SINGLE "


def pct(values, q):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q / 100 * len(values) + 0.5)) - 1))
    return round(values[k], 1)


class Command(BaseCommand):
    help = "Time every list page at N cases and at 10,000 cases, one client and 16 (gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--big-db", default=os.environ.get("BENCH_BIG_DB_URL", PG + "recovery_bench_1m"))
        parser.add_argument("--small-db", default=os.environ.get("BENCH_SMALL_DB_URL", PG + "recovery_bench_10k"))
        parser.add_argument("--build", action="store_true", help="build_scale a database that has no cases")
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--concurrent-requests", type=int, default=96)
        parser.add_argument("--clients", type=int, default=16)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
        parser.add_argument("--profile", default="", metavar="PAGE",
                            help="only profile this page (pyinstrument, one client, DATABASE_URL) and print where "
                                 "its time goes")
        parser.add_argument("--single", action="store_true", help="(internal: the in-process run)")

    # --- the parent: both databases, both measurements -----------------------------------------------
    def handle(self, *args, **o):
        if o["single"] or o["profile"]:
            return self._single(o)
        envs, singles = {}, {}
        for label, url, n in (("big", o["big_db"], o["cases"]), ("small", o["small_db"], 10_000)):
            envs[label] = env = self._env(url)
            self._ensure_data(env, n, o["build"])
            self.stdout.write(f"-- {label}: {url.rsplit('/', 1)[-1]}, one client (load {os.getloadavg()[0]:.1f})")
            singles[label] = self._run_single(env, o)
        self.stdout.write(f"-- 16 clients, each page on both databases in turn (load {os.getloadavg()[0]:.1f})")
        conc = self._run_concurrent_pair(envs, singles, o)
        results = {label: {"single": singles[label]["pages"], "conc": conc[label], "cases": singles[label]["cases"]}
                   for label in ("big", "small")}
        self._report(results, o)

    def _env(self, url):
        env = dict(os.environ, DATABASE_URL=url, DEBUG="0", DJANGO_SETTINGS_MODULE="config.settings.base",
                   API_THROTTLE_USER="1000000/min", API_THROTTLE_ANON="1000000/min")
        return env

    def _manage(self, env, *args, capture=True):
        return subprocess.run([sys.executable, str(BASE / "manage.py"), *args], env=env, cwd=BASE,
                              capture_output=capture, text=True, check=False)

    def _ensure_data(self, env, n, build):
        probe = self._manage(env, "shell", "-c",
                             "from recovery.models import RecoveryCase; print(RecoveryCase.objects.exists())")
        if probe.returncode != 0:
            raise CommandError(f"cannot read {env['DATABASE_URL']}: {probe.stderr[-500:]}")
        if "True" not in probe.stdout:
            if not build:
                raise CommandError(f"{env['DATABASE_URL']} has no cases: run build_scale or pass --build")
            self._manage(env, "migrate", "--noinput", capture=False)
            done = self._manage(env, "build_scale", "--cases", str(n), capture=False)
            if done.returncode:
                raise CommandError("build_scale failed")

    def _run_single(self, env, o):
        args = ["bench_pages", "--single", "--requests", str(o["requests"]), "--pages", o["pages"]]
        done = self._manage(env, *args)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith(SINGLE_TAG)), None)
        if line is None:
            raise CommandError(f"the single-client run failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return json.loads(line[len(SINGLE_TAG):])

    def _run_concurrent_pair(self, envs, singles, o):
        """gunicorn on each database (ports --port and --port + 1, only one driven at a time); each page is
        driven on the N-case database and then at once on the 10,000-case one, so that both measurements of a
        page share the machine's load of that moment (the machine is shared: a burst of other work during
        one database's whole run used to land in one side of every ratio)."""
        servers = {}
        try:
            for i, label in enumerate(("big", "small")):
                port = o["port"] + i
                servers[label] = (port, subprocess.Popen(
                    [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi:application", "--bind",
                     f"127.0.0.1:{port}", "--workers", str(o["workers"]), "--log-level", "warning", "--timeout",
                     "120"], env=envs[label], cwd=BASE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                    text=True))
            for port, server in servers.values():
                self._wait_for(port, server)
            out = {"big": {}, "small": {}}
            # the two page maps are built in the same order (only the deep API page's name differs)
            for big_name, small_name in zip(singles["big"]["pages"], singles["small"]["pages"]):
                for label, name in (("big", big_name), ("small", small_name)):
                    page = singles[label]["pages"][name]
                    cookie = singles[label]["cookies"][page["user"]]
                    out[label][name] = self._drive(servers[label][0], page["url"], cookie, o["clients"],
                                                   o["concurrent_requests"])
            return out
        finally:
            for _, server in servers.values():
                server.terminate()
            for _, server in servers.values():
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()

    def _wait_for(self, port, server):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited: {server.stderr.read()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.3)
        raise CommandError("gunicorn did not start")

    @staticmethod
    def _get(port, url, cookie):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        t = time.perf_counter()
        try:
            conn.request("GET", url, headers={"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finally:
            conn.close()
        return (time.perf_counter() - t) * 1000, status

    def _drive(self, port, url, cookie, clients, total):
        # Warm every worker: one concurrent round, so that each gunicorn worker (not only the one that
        # happens to take two sequential requests) has filled its per-process caches — the nav counts, the
        # dashboard's book tables — before the timed requests; the timed ones are the steady state.
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda _: self._get(port, url, cookie), range(clients)))
        lock, left, times, errors = threading.Lock(), [total], [], []

        def client():
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                ms, status = self._get(port, url, cookie)
                with lock:
                    times.append(ms)
                    if status != 200:
                        errors.append(status)

        t = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            for _ in range(clients):
                pool.submit(client)
        wall = time.perf_counter() - t
        return {"p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99),
                "rps": round(len(times) / wall, 1), "errors": len(errors),
                "statuses": sorted(set(errors))}

    # --- the child: in-process, one client ------------------------------------------------------------
    def _single(self, o):
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from beneficiaries.models import Beneficiary
        from beneficiaries.names import fold
        from recovery.models import RecoveryCase

        User = get_user_model()
        n = RecoveryCase.objects.order_by("-id").values_list("id", flat=True).first() or 0
        case = RecoveryCase.objects.select_related("beneficiary", "occurrence__payer").filter(
            pk__gte=n // 2).order_by("pk").first()
        bene = case.beneficiary
        claim = case.claims.order_by("claim_number").first()
        accented = (Beneficiary.objects.filter(pk__gte=bene.pk // 2, first_name="Łukasz").order_by("pk").first()
                    or bene)
        users = {name: User.objects.get(username=f"scale_{name}") for name in ("super", "cw_1", "atty_2", "ins_1")}
        deep = min(2000, max(1, n // 50))
        pages = {
            "floor (clock lengths)": ("super", "/admin/recovery/clocklength/"),
            "admin list": ("super", CASES),
            "admin search number": ("super", f"{CASES}?q={case.number}"),
            "admin search MBI": ("super", f"{CASES}?q={quote_plus(bene.mbi_display)}"),
            "admin search name": ("super", f"{CASES}?q={quote_plus(bene.first_name + ' ' + bene.last_name)}"),
            "admin search no accents": ("super", f"{CASES}?q={quote_plus(fold(accented.full_name).title())}"),
            "admin search payer": ("super", f"{CASES}?q={quote_plus(case.occurrence.payer.name)}"),
            "admin search claim": ("super", f"{CASES}?q={quote_plus(claim.claim_number if claim else '-')}"),
            "admin search attorney": ("super", f"{CASES}?q={quote_plus(users['atty_2'].email)}"),
            "admin overdue": ("super", f"{CASES}?overdue=yes"),
            "admin state": ("super", f"{CASES}?state__exact=cpl_issued"),
            "admin caseworker": ("super", f"{CASES}?caseworker__id__exact={users['cw_1'].pk}"),
            "worklist (mine)": ("cw_1", "/admin/worklist/"),
            "worklist (anyone's)": ("super", "/admin/worklist/?who=all"),
            "dashboard": ("super", "/admin/dashboard/"),
            "api first page": ("super", "/api/cases/"),
            f"api page {deep}": ("super", f"/api/cases/?page={deep}"),
            # the deep page above is page 2000 at 1M but the last page (200) at 10,000 cases: this one is
            # the same page on both (like with like: 9,950 rows skipped on each)
            f"api same page {min(200, deep)}": ("super", f"/api/cases/?page={min(200, deep)}"),
            "portal attorney": ("atty_2", "/portal/"),
            "portal insurer": ("ins_1", "/portal/"),
            "audit log": ("super", "/admin/recovery/auditevent/"),
        }
        wanted = [p.strip() for p in o["pages"].split(",") if p.strip()]
        if wanted:
            pages = {k: v for k, v in pages.items() if any(w in k for w in wanted)}
        clients, cookies = {}, {}
        for name, user in users.items():
            c = Client(HTTP_HOST="127.0.0.1")  # in ALLOWED_HOSTS; DEBUG is off
            c.force_login(user)
            clients[name], cookies[name] = c, c.cookies["sessionid"].value
        if o["profile"]:
            return self._profile(pages, clients, o)
        out = {}
        for label, (who, url) in pages.items():
            c = clients[who]
            for _ in range(3):
                status = c.get(url).status_code
            times = []
            for _ in range(o["requests"]):
                t = time.perf_counter()
                c.get(url)
                times.append((time.perf_counter() - t) * 1000)
            with CaptureQueriesContext(connection) as q:
                c.get(url)
            out[label] = {"user": who, "url": url, "status": status, "queries": len(q.captured_queries),
                          "p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99),
                          "mean": round(statistics.mean(times), 1)}
        self.stdout.write(SINGLE_TAG + json.dumps({"cases": n, "pages": out, "cookies": cookies}))

    def _profile(self, pages, clients, o):
        from pyinstrument import Profiler

        label, (who, url) = next((k, v) for k, v in pages.items() if o["profile"] in k)
        c = clients[who]
        for _ in range(3):
            c.get(url)
        profiler = Profiler(interval=0.0005)
        t = time.perf_counter()
        with profiler:
            for _ in range(o["requests"]):
                c.get(url)
        ms = (time.perf_counter() - t) * 1000 / o["requests"]
        self.stdout.write(f"{label} {url}: {ms:.1f} ms a request (mean of {o['requests']}, under the profiler)")
        self.stdout.write(profiler.output_text(unicode=False, color=False, show_all=False))

    # --- the table -----------------------------------------------------------------------------------
    def _report(self, results, o):
        big, small = results["big"], results["small"]
        self.stdout.write(f"\n{big['cases']:,} cases vs {small['cases']:,} cases; one client {o['requests']} requests, "
                          f"{o['clients']} clients x {o['concurrent_requests']} requests, gunicorn {o['workers']} "
                          f"workers; load average now {os.getloadavg()[0]:.1f}")
        head = (f"{'page':24} {'status':>6} {'q':>3} | {'1 client p50/p95/p99 (big)':>27} {'p95 small':>9} | "
                f"{'16 clients p50/p95/p99 (big)':>28} {'rps':>5} {'p95 small':>9} {'ratio':>5} {'err':>4}")
        self.stdout.write(head)
        self.stdout.write("-" * len(head))
        pages_out, single_p95, p95, small_p95 = {}, {}, {}, {}
        small_by_kind = {k.split(" page ")[0] if k.startswith("api page") else k: v for k, v in small["single"].items()}
        small_conc = {k.split(" page ")[0] if k.startswith("api page") else k: v for k, v in small["conc"].items()}
        for name, s in big["single"].items():
            key = name.split(" page ")[0] if name.startswith("api page") else name
            ss, c, sc = small_by_kind.get(key, {}), big["conc"][name], small_conc.get(key, {})
            ratio = round(c["p95"] / sc["p95"], 2) if sc.get("p95") else None
            errors = c["errors"] + sc.get("errors", 0)
            self.stdout.write(
                f"{name:24} {s['status']:>6} {s['queries']:>3} | {s['p50']:>8}/{s['p95']:>8}/{s['p99']:>9} "
                f"{ss.get('p95', '-'):>9} | {c['p50']:>8}/{c['p95']:>8}/{c['p99']:>10} {c['rps']:>5} "
                f"{sc.get('p95', '-'):>9} {ratio if ratio is not None else '-':>5} {errors:>4}")
            pages_out[name] = {"url": s["url"], "queries": s["queries"], "queries_10k": ss.get("queries"),
                               "p95_1m_ms": s["p95"], "p95_10k_ms": ss.get("p95"),
                               "ratio": round(s["p95"] / ss["p95"], 2) if ss.get("p95") else None,
                               "conc_p95_1m_ms": c["p95"], "conc_p95_10k_ms": sc.get("p95"), "conc_ratio": ratio,
                               "errors": errors, "goal_a": s["p95"] <= 50,
                               "goal_b": ratio is not None and ratio <= 1.25 and errors == 0}
            # keyed by page name: two pages may share a URL (the portal's list for two users)
            single_p95[name], p95[name], small_p95[name] = s["p95"], c["p95"], sc.get("p95")
        met_a = [k for k, v in pages_out.items() if v["goal_a"]]
        met_b = [k for k, v in pages_out.items() if v["goal_b"]]
        self.stdout.write(f"goal (a) single p95 <= 50 ms: {len(met_a)}/{len(pages_out)} pages; "
                          f"goal (b) 16-client ratio <= 1.25, no errors: {len(met_b)}/{len(pages_out)} pages")
        self.stdout.write("RESULT " + json.dumps({
            "cases": big["cases"], "small_cases": small["cases"], "single_p95_ms": single_p95, "p95_ms": p95,
            "small_p95_ms": small_p95, "pages": pages_out, "load_average": round(os.getloadavg()[0], 1)}))
