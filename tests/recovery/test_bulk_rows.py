"""recovery.bulk_rows.array_literal: the text form of an array parameter (`%s::type[]`) on PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from recovery import bulk_rows


def test_array_literal_numbers_dates_booleans_and_nulls():
    day = timezone.localdate() - timedelta(days=400)
    assert bulk_rows.array_literal([3, None, 12]) == "{3,NULL,12}"
    assert bulk_rows.array_literal([day, None]) == f"{{{day.isoformat()},NULL}}"
    assert bulk_rows.array_literal([Decimal("10.50"), Decimal("0.00")]) == "{10.50,0.00}"
    assert bulk_rows.array_literal([True, False, None]) == "{t,f,NULL}"
    assert bulk_rows.array_literal(iter([])) == "{}"


def test_array_literal_reads_back_as_the_values(db):
    """On PostgreSQL the literal casts back to the typed array; on SQLite (no arrays) the same values
    come back through the executemany path of bulk_rows.update, covered by the sweep's tests."""
    day = timezone.localdate() - timedelta(days=400)
    if connection.vendor != "postgresql":
        assert bulk_rows.array_literal([day]) == "{" + day.isoformat() + "}"
        return
    with connection.cursor() as cur:
        cur.execute("SELECT %s::date[], %s::numeric[], %s::bigint[], %s::boolean[]",
                    [bulk_rows.array_literal([day, None]), bulk_rows.array_literal([Decimal("1.25")]),
                     bulk_rows.array_literal([7, 9]), bulk_rows.array_literal([True, None])])
        assert cur.fetchone() == ([day, None], [Decimal("1.25")], [7, 9], [True, None])


def test_array_literal_refuses_what_it_cannot_write_unquoted():
    """Text (a comma or a brace in it would shift the elements) and floats (money is Decimal) are refused."""
    import pytest

    for bad in (["a,b"], [1.5]):
        with pytest.raises(TypeError):
            bulk_rows.array_literal(bad)


def test_defaults_gives_each_call_its_own_value_of_a_callable_default():
    from recovery.models import Letter

    first, second = bulk_rows.defaults(Letter), bulk_rows.defaults(Letter)
    assert first["idempotency_key"] != second["idempotency_key"]  # unique per row, not one per process
