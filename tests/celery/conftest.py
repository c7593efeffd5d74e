"""A real Celery worker (a subprocess) on a real Redis broker, against the test PostgreSQL database.

Needs REDIS_TEST_URL (e.g. redis://127.0.0.1:6379/15 — a database these tests may flush) and
DATABASE_URL pointing at PostgreSQL. Without REDIS_TEST_URL every test here is skipped; on SQLite the
project conftest skips them (marker `postgres`).

Fixtures:
- `redis_db`: a client on REDIS_TEST_URL, flushed before and after the test.
- `broker`: this process's Celery app publishes to Redis (not eagerly) for the test; `broker(url)`
  re-points it (e.g. at a dead port); the app's configuration is restored afterwards.
- `start_worker`: starts `celery -A config worker` against the test database; every worker started is
  stopped (SIGTERM, then SIGKILL to its process group) before the database is flushed.
"""

import importlib.util
import os
import re
import runpy
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
CELERY_BIN = Path(sys.executable).with_name("celery")
READY_TIMEOUT = 45  # s: a worker that is not ready by then has failed to start
DEADLINE = 60  # s: the longest any test waits for the worker to do something


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so a fixture can tell that its test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pytest_collection_modifyitems(config, items):
    if REDIS_TEST_URL:
        return
    skip = pytest.mark.skip(reason="needs a real Redis: set REDIS_TEST_URL=redis://127.0.0.1:6379/15 "
                                   "(a database these tests may flush)")
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


# --- Redis -------------------------------------------------------------------------------------


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        pytest.fail(f"REDIS_TEST_URL={REDIS_TEST_URL} is set but Redis is unreachable: {exc}")
    yield client
    client.flushdb()
    client.close()


def queued_and_unacked(client, *, ignore_tags=()) -> tuple[int, int]:
    """Messages waiting in any queue (kombu keeps each queue as a Redis list) and messages delivered
    to a worker but not acknowledged yet (kombu's `unacked` hash; tasks here ack late, after they ran)."""
    waiting = sum(client.llen(k) for k in client.scan_iter() if client.type(k) == b"list")
    unacked = [t for t in client.hkeys("unacked") if t not in ignore_tags]
    return waiting, len(unacked)


def wait_idle(client, *, ignore_tags=(), timeout=DEADLINE, settle=0.5):
    """Wait until no task is queued or running. Tasks here ack late and publish their follow-up tasks
    (chunks, outbox kicks) before they ack, so "nothing queued and nothing unacked", seen twice
    `settle` seconds apart, means the work — including work it spawned — is done."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if queued_and_unacked(client, ignore_tags=ignore_tags) == (0, 0):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return
        else:
            quiet_since = None
        time.sleep(0.1)
    raise AssertionError(f"the worker was still busy after {timeout} s: "
                         f"(queued, unacked) = {queued_and_unacked(client, ignore_tags=ignore_tags)}")


def wait_until(predicate, what, *, timeout=DEADLINE, interval=0.1, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.proc.poll() is not None:
            raise AssertionError(f"the worker exited ({worker.proc.returncode}) while waiting for {what}:\n"
                                 f"{worker.log_tail()}")
        time.sleep(interval)
    tail = f"\nworker log:\n{worker.log_tail()}" if worker is not None else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{tail}")


# --- this process's Celery app -------------------------------------------------------------------


def redis_broker_conf(url: str) -> tuple[str, dict]:
    """The broker URL and transport options the application's own settings give for REDIS_URL=url
    (config/settings/base.py, evaluated afresh) — so these tests publish exactly as production does
    (no retries, short connect timeouts), not with a copy of those options."""
    saved = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = url
    try:
        ns = runpy.run_path(importlib.util.find_spec("config.settings.base").origin,
                            run_name="_celery_test_settings_probe")
    finally:
        if saved is None:
            os.environ.pop("REDIS_URL", None)
        else:
            os.environ["REDIS_URL"] = saved
    return ns["CELERY_BROKER_URL"], dict(ns["CELERY_BROKER_TRANSPORT_OPTIONS"])


def _drop_broker_connections(app):
    """Close this process's broker connections and forget the pools (kombu keeps one per broker URL
    in a global registry), so the next publish connects afresh with the current configuration."""
    from kombu import pools

    pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_db):
    """Point this process's Celery app at REDIS_TEST_URL (call `broker(url)` to re-point it) and
    publish for real (`task_always_eager` off) — for this test only."""
    from config.celery import app

    keys = ("broker_url", "broker_write_url", "broker_read_url", "broker_transport_options",
            "task_always_eager", "task_eager_propagates")
    saved = {k: app.conf.get(k) for k in keys}

    def point_at(url: str):
        _drop_broker_connections(app)
        broker_url, options = redis_broker_conf(url)
        app.conf.update(broker_url=broker_url, broker_write_url=None, broker_read_url=None,
                        broker_transport_options=options, task_always_eager=False)
        return url

    point_at(REDIS_TEST_URL)
    yield point_at
    _drop_broker_connections(app)
    app.conf.update(saved)


# --- the worker --------------------------------------------------------------------------------


class Worker:
    def __init__(self, proc: subprocess.Popen, log: Path, name: str):
        self.proc, self.log, self.name = proc, log, name

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines=40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def task_results(self, task_id: str) -> list[str]:
        """The return values the worker logged for `task_id` ("Task name[id] succeeded in 0.1s: 3")."""
        pattern = re.compile(rf"Task [\w.]+\[{re.escape(task_id)}\] succeeded in [\d.e-]+s: (.*)$", re.M)
        return pattern.findall(self.output())

    def problems(self) -> list[str]:
        """Log lines that mean something went wrong: a task that raised, a traceback, any warning or
        error (a sweep logs a case it could not process as a warning and leaves it for the next sweep)."""
        return [line for line in self.output().splitlines()
                if re.search(r"\] raised unexpected|Traceback|(WARNING|ERROR|CRITICAL)/", line)]

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if re.search(r"@\S+ ready\.", self.output()):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"the worker exited ({self.proc.returncode}) before it was ready:\n"
                                     f"{self.log_tail()}")
            time.sleep(0.1)
        raise AssertionError(f"the worker was not ready after {READY_TIMEOUT} s:\n{self.log_tail()}")

    def kill(self, sig=signal.SIGKILL):
        """Signal the worker's whole process group (the main process and its prefork children)."""
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            self.proc.wait(timeout=10)

    def stop(self, timeout=10):
        """Warm shutdown (SIGTERM to the main process: finish the task in hand, put back what it
        prefetched), then SIGKILL whatever of the group is left."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill(signal.SIGKILL)


@pytest.fixture
def worker_env(tmp_path, redis_db):
    """The worker's environment: the test database, the Redis test database, files under tmp_path."""
    from django.db import connection

    db = connection.settings_dict  # NAME is pytest-django's test database by now
    auth = quote(db["USER"] or "postgres", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    database_url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"
    var = tmp_path / "worker-var"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "VAR_DIR")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_TEST_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        DEBUG="false",  # no per-query log growing in a long-lived worker
        VAR_DIR=str(var),  # MEDIA_ROOT (letter PDFs) and EMAIL_FILE_PATH (sent-email/) live under it
        PRINT_QUEUE_DIR=str(var / "print-queue"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(p for p in (str(PROJECT), os.environ.get("PYTHONPATH", "")) if p),
    )
    return env


@pytest.fixture
def start_worker(request, transactional_db, worker_env, tmp_path):
    """Start workers on demand; every one is stopped before the test's database is flushed (this
    fixture depends on `transactional_db`, so it is torn down first). Their logs are printed when the
    test fails, or always with CELERY_TEST_SHOW_LOGS=1."""
    started: list[Worker] = []

    def start(concurrency=1, pool="prefork") -> Worker:
        name = f"test-{uuid.uuid4().hex[:8]}@%h"
        log = tmp_path / f"worker-{len(started) + 1}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(CELERY_BIN), "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}",
                 f"--pool={pool}", "-n", name, "--without-mingle", "--without-gossip"],
                cwd=PROJECT, env=worker_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: a SIGKILL reaches the prefork children too
            )
        worker = Worker(proc, log, name)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()
    failed = getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed
    if failed or os.environ.get("CELERY_TEST_SHOW_LOGS"):
        for worker in started:
            print(f"\n----- {worker.log.name} -----\n{worker.output()}")


@pytest.fixture(autouse=True)
def _policy_tables_seeded(request):
    """A transaction=True test leaves its database flushed; the seed rows (clock lengths, thresholds,
    interest terms) must be back before the next one — the app's post_migrate handler restores them.
    If a clock table is empty here, sweeps find nothing due and these tests would fail obscurely."""
    if "transactional_db" not in request.fixturenames and "django_db" not in request.keywords:
        return
    request.getfixturevalue("transactional_db")
    from recovery.policy_models import ClockLength

    assert ClockLength.objects.exists(), (
        "the clock table is empty: the policy seed rows were not restored after a flush "
        "(recovery/apps.py post_migrate handler)")
