"""The folded name a search reads (issue 12 item 5: "Lukasz" finds Łukasz): the column, filled for the rows
there are (in batches), and on PostgreSQL its trigram index (the search is `LIKE '%WORD%'` on it)."""

from django.db import migrations

import beneficiaries.models
from beneficiaries.names import fold

BATCH = 20_000


def fill(apps, schema_editor):
    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    conn = schema_editor.connection
    last = 0
    while True:
        rows = list(Beneficiary.objects.filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "first_name", "last_name")[:BATCH])
        if not rows:
            break
        last = rows[-1][0]
        ids = [r[0] for r in rows]
        names = [fold(f"{r[1]} {r[2]}") for r in rows]
        if conn.vendor == "postgresql":
            with conn.cursor() as cur:
                cur.execute("""UPDATE beneficiaries_beneficiary b SET search_name = v.s
                               FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::text[]) AS s) v
                               WHERE b.id = v.id""", [ids, names])
        else:
            objs = [Beneficiary(pk=i, search_name=n) for i, n in zip(ids, names)]
            Beneficiary.objects.bulk_update(objs, ["search_name"], batch_size=500)


def index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS bene_search_name_trgm ON beneficiaries_beneficiary "
                          "USING gin (search_name gin_trgm_ops)")


def unindex(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS bene_search_name_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("beneficiaries", "0003_caseday_authorisation_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="beneficiary",
            name="search_name",
            field=beneficiaries.models.FoldedNameField(max_length=201, sources=("first_name", "last_name")),
        ),
        migrations.AddField(
            model_name="historicalbeneficiary",
            name="search_name",
            field=beneficiaries.models.FoldedNameField(max_length=201, sources=("first_name", "last_name")),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(index, unindex, elidable=False),
    ]
