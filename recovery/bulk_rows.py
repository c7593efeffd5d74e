"""Set-based writing of many rows of a model in one statement per table (the bulk intake, issue 13; the
sweep's batch engine, issue 11). The one place rows go to the database this way.

PostgreSQL: the primary keys are drawn from the table's own sequence in one query, then the rows go
in with `COPY … FROM STDIN` (psycopg 3 `cursor.copy`, one round trip per table and batch); a value
goes as it is where psycopg adapts it (dates, numbers, keys), text as text, anything else (JSON)
through the field's `get_db_prep_save`. Other databases (SQLite in development and tests):
`bulk_create`, which returns the keys.

Rows are dicts keyed by the model's column attnames (`beneficiary_id`, not `beneficiary`). Nothing
here validates: what the rows hold has been decided by the callers' rules.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone

_DEFAULTS = {}
# Field types whose Python values psycopg's COPY adapts as they are (DateTimeField is a DateField).
_RAW = (models.DateField, models.DecimalField, models.IntegerField, models.BigAutoField, models.AutoField,
        models.ForeignKey, models.BooleanField, models.UUIDField)


def defaults(model) -> dict:
    """The column values a new instance of `model` starts with (its fields' defaults; no primary key):
    the fixed ones computed once per model, a callable one (a uuid4) called on each call — one call a row."""
    if model not in _DEFAULTS:  # the fixed defaults are kept; a callable one (uuid4, a date, list) is called
        # afresh on every call, so no two rows share its value
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        _DEFAULTS[model] = ({f.attname: f.get_default() for f in fields if not callable(f.default)},
                            [f for f in fields if callable(f.default)])
    fixed, called = _DEFAULTS[model]
    return {**fixed, **{f.attname: f.get_default() for f in called}}


def _columns(model):
    return [f for f in model._meta.concrete_fields]


def _text(value, conn):
    """A text column's value as COPY takes it (a TextChoices member as its value)."""
    return value if value is None or type(value) is str else str(value)


def _prep(f):
    """How a value of field `f` goes to PostgreSQL: as it is (None), as text, or through Django."""
    if isinstance(f, (models.CharField, models.TextField)):
        return _text
    return None if isinstance(f, _RAW) else f.get_db_prep_save


def _ids(model, n: int) -> list[int]:
    pk = model._meta.pk
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, pk.column, n])
        return sorted(r[0] for r in cur.fetchall())


def _auto_now(f) -> bool:
    return getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)


def _fill(model, rows):
    """Give each row the columns it leaves out: the field's default (per row), or now (auto_now[_add]).
    The defaults that are values (not callables) are looked up once per call, not once per row."""
    now = timezone.now()
    fixed, per_row = {}, []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if _auto_now(f):
            fixed[f.attname] = now
        elif callable(f.default):
            per_row.append(f)
        else:
            fixed[f.attname] = f.get_default()
    for row in rows:
        for name, value in fixed.items():
            if name not in row:
                row[name] = value
        for f in per_row:
            if f.attname not in row:
                row[f.attname] = f.get_default()


def insert(model, rows: list[dict], *, fill: bool = False) -> list[int]:
    """Insert `rows` (dicts by attname, in order) into `model`'s table; set and return their primary
    keys. `fill`: a row may leave columns out (their defaults, per row; auto_now[_add]: now); without
    it every column must be there (`defaults`)."""
    if not rows:
        return []
    if fill:
        _fill(model, rows)
    pk = model._meta.pk.attname
    fields = _columns(model)
    if connection.vendor == "postgresql":
        ids = _ids(model, len(rows))
        for row, pk_value in zip(rows, ids):
            row[pk] = pk_value
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        cols = [(f.attname, _prep(f)) for f in fields]
        table = connection.ops.quote_name(model._meta.db_table)
        # psycopg's own cursor for COPY; its errors raised as Django's (IntegrityError, DatabaseError …)
        with connection.cursor() as cur, connection.wrap_database_errors:
            with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([prep(row[a], connection) if prep else row[a] for a, prep in cols])
        return ids
    objs = [model(**{f.attname: row[f.attname] for f in fields if f.attname != pk or row.get(pk)}) for row in rows]
    model._default_manager.bulk_create(objs, batch_size=500)
    for row, obj in zip(rows, objs):
        row[pk] = obj.pk
    return [obj.pk for obj in objs]


def _relate(obj, rels):
    """Model._prepare_related_fields_for_save for the concrete foreign keys `rels` (field, cache name,
    attname, target attname), for one instance of many: a related object assigned before it was saved
    gives its key now (a Letter's event inserted just before); an unsaved one is refused."""
    cache = obj._state.fields_cache
    for f, cache_name, attname, target in rels:
        rel = cache.get(cache_name)
        if rel is None:
            continue
        if rel.pk is None:
            raise ValueError(f"bulk_create() prohibited to prevent data loss due to unsaved related object '{f.name}'.")
        value = getattr(rel, target)
        if obj.__dict__.get(attname) in f.empty_values:
            obj.__dict__[attname] = value
        elif obj.__dict__.get(attname) != value:
            del cache[cache_name]


def insert_objects(model, objs: list) -> None:
    """Insert unsaved instances `objs` (in order) and give each its primary key, as bulk_create would
    (auto_now[_add] fields set by their pre_save). PostgreSQL: keys from the sequence, then COPY."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=500)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    cols = [(f.attname, f.pre_save if _auto_now(f) else None, _prep(f)) for f in fields]
    rels = [(f, f.cache_name, f.attname, f.target_field.attname) for f in fields if f.is_relation]
    ids = _ids(model, len(objs))
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in fields)
    with connection.cursor() as cur, connection.wrap_database_errors:
        with cur.cursor.copy(f"COPY {qn(meta.db_table)} ({names}) FROM STDIN") as copy:
            for obj, pk in zip(objs, ids):
                _relate(obj, rels)
                setattr(obj, meta.pk.attname, pk)
                row = []
                for name, pre, prep in cols:
                    value = pre(obj, True) if pre else getattr(obj, name)
                    row.append(prep(value, connection) if prep else value)
                copy.write_row(row)
                obj._state.adding, obj._state.db = False, connection.alias


def array_literal(values) -> str:
    """Numbers, dates, times or booleans (None: NULL) as one PostgreSQL array literal for a `%s::type[]`
    parameter: joined in one str.join instead of psycopg's list dumper, which adapts element by element
    (~1.5 ms a 500-element array)."""
    return "{" + ",".join(_element(v) for v in values) + "}"


_SAFE = (int, Decimal, date, datetime, uuid.UUID)  # their str() has no comma, brace, quote or backslash


def _element(v) -> str:
    if v is None:
        return "NULL"
    if v is True or v is False:
        return "t" if v else "f"
    if isinstance(v, _SAFE):
        return str(v)
    raise TypeError(f"array_literal takes numbers, dates, times, UUIDs or booleans, not {type(v).__name__}")


def update(model, objs: list, names: list[str]) -> None:
    """UPDATE each of `objs` (by primary key) to its values of the fields `names`: PostgreSQL one
    UPDATE … FROM unnest(arrays); elsewhere one executemany."""
    if not objs:
        return
    qn, meta = connection.ops.quote_name, model._meta
    fields = [meta.get_field(name) for name in names]
    values = []
    for f in fields:
        prep = _prep(f)
        if connection.vendor != "postgresql":
            values.append([f.get_db_prep_save(getattr(o, f.attname), connection) for o in objs])
        elif prep is None:  # numbers, dates, keys: one literal (see array_literal)
            values.append(array_literal(getattr(o, f.attname) for o in objs))
        else:
            values.append([prep(getattr(o, f.attname), connection) for o in objs])
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cols = [meta.pk] + fields
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in cols)
            sets = ", ".join(f"{qn(f.column)} = v.c{i + 1}" for i, f in enumerate(fields))
            cur.execute(
                f"UPDATE {qn(meta.db_table)} t SET {sets} "
                f"FROM unnest({arrays}) AS v({', '.join(f'c{i}' for i in range(len(cols)))}) "
                f"WHERE t.{qn(meta.pk.column)} = v.c0", [array_literal(o.pk for o in objs)] + values)
        else:
            sql = (f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} "
                   f"WHERE {qn(meta.pk.column)} = %s")
            cur.executemany(sql, [[v[k] for v in values] + [o.pk] for k, o in enumerate(objs)])


def history_rows(model, rows: list[dict], *, actor, when=None, history_type: str = "+") -> list[dict]:
    """The simple-history rows for `rows` of `model` (each holding at least the tracked columns), as
    HistoricalRecords writes them: "+" for a creation (bulk_history_create), "~" for a change (a save);
    tracked fields, date, user, no change reason."""
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    when = when or timezone.now()
    base = defaults(history)
    out = []
    for row in rows:
        h = dict(base)
        for name in tracked:
            h[name] = row[name]
        h.update(history_date=when, history_change_reason=None, history_type=history_type,
                 history_user_id=actor.pk if actor else None)
        out.append(h)
    return out


def insert_with_history(model, rows: list[dict], *, actor, when=None) -> list[int]:
    ids = insert(model, rows)
    insert(model.history.model, history_rows(model, rows, actor=actor, when=when))
    return ids
