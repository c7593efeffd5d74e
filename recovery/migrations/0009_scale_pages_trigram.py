"""PostgreSQL only: trigram indexes for searching beneficiaries by name (issue 10). The admin's name search
is `UPPER(col::text) LIKE UPPER('%term%')` (Django's icontains), which these GIN indexes serve; on SQLite
nothing is done."""

from django.db import migrations

NAMES = ["last_name", "first_name"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for col in NAMES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS bene_{col}_trgm ON beneficiaries_beneficiary "
            f"USING gin ((UPPER({col}::text)) gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for col in NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS bene_{col}_trgm")


class Migration(migrations.Migration):
    dependencies = [("recovery", "0008_scale_pages_indexes"), ("beneficiaries", "0002_externalprofile_historicalauthorisation_and_more")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
