"""Set-based writing for the bulk intake (issue 13): many rows of a model, and the simple-history rows
that `save()` / `bulk_create_with_history` would write for them, in one statement per table.

PostgreSQL: the primary keys are drawn from the table's own sequence in one query, then the rows go
in with `COPY … FROM STDIN` (psycopg 3 `cursor.copy`, one round trip per table and batch). Other
databases (SQLite in development and tests): `bulk_create`, which returns the keys.

The rows are dicts keyed by the model's column attnames (`beneficiary_id`, not `beneficiary`), with
the model's field defaults filled in by `defaults(model)`; what they hold has already been checked
by the intake's validators (recovery.intake.layout) — nothing here validates.
"""

from django.db import connection
from django.utils import timezone

_DEFAULTS = {}


def defaults(model) -> dict:
    """The column values a new instance of `model` starts with (its fields' defaults; no primary key)."""
    if model not in _DEFAULTS:
        _DEFAULTS[model] = {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}
    return dict(_DEFAULTS[model])


def _columns(model):
    return [f for f in model._meta.concrete_fields]


def _ids(model, n: int) -> list[int]:
    pk = model._meta.pk
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, pk.column, n])
        return [r[0] for r in cur.fetchall()]


def insert(model, rows: list[dict]) -> list[int]:
    """Insert `rows` (dicts by attname) into `model`'s table; set and return their primary keys."""
    if not rows:
        return []
    pk = model._meta.pk.attname
    fields = _columns(model)
    if connection.vendor == "postgresql":
        ids = _ids(model, len(rows))
        for row, pk_value in zip(rows, ids):
            row[pk] = pk_value
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        attnames = [f.attname for f in fields]
        table = connection.ops.quote_name(model._meta.db_table)
        # psycopg's own cursor for COPY; its errors raised as Django's (IntegrityError, DatabaseError …)
        with connection.cursor() as cur, connection.wrap_database_errors:
            with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[a] for a in attnames])
        return ids
    objs = [model(**{f.attname: row[f.attname] for f in fields if f.attname != pk or row.get(pk)}) for row in rows]
    model._default_manager.bulk_create(objs, batch_size=500)
    for row, obj in zip(rows, objs):
        row[pk] = obj.pk
    return [obj.pk for obj in objs]


def history_rows(model, rows: list[dict], *, actor, when=None) -> list[dict]:
    """The simple-history "+" rows for newly created `rows` of `model`, as
    HistoryManager.bulk_history_create builds them (tracked fields, date, user, no change reason)."""
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    when = when or timezone.now()
    base = defaults(history)
    out = []
    for row in rows:
        h = dict(base)
        for name in tracked:
            h[name] = row[name]
        h.update(history_date=when, history_change_reason=None, history_type="+",
                 history_user_id=actor.pk if actor else None)
        out.append(h)
    return out


def insert_with_history(model, rows: list[dict], *, actor, when=None) -> list[int]:
    ids = insert(model, rows)
    insert(model.history.model, history_rows(model, rows, actor=actor, when=when))
    return ids
