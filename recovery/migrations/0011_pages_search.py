"""The case list's search (issues 10 and 12): claims found by their number through an index; the name
search reads the folded column (beneficiaries 0004) through its own trigram index, so the two trigram
indexes on UPPER(first_name) / UPPER(last_name) of migration 0009 are dropped (PostgreSQL only)."""

from django.db import migrations, models

OLD = ["last_name", "first_name"]


def drop_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for col in OLD:
        schema_editor.execute(f"DROP INDEX IF EXISTS bene_{col}_trgm")


def restore_old(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for col in OLD:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS bene_{col}_trgm ON beneficiaries_beneficiary "
                              f"USING gin ((UPPER({col}::text)) gin_trgm_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0010_merge_scale_pages"),
        ("beneficiaries", "0004_beneficiary_search_name"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["claim_number"], name="claim_number_idx"),
        ),
        migrations.RunPython(drop_old, restore_old, elidable=False),
    ]
