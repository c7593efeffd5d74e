"""On PostgreSQL the database itself refuses UPDATE and DELETE on the append-only tables (history,
letters, ledger, debt events, audit log): not even a bug in the application can rewrite them."""

from django.db import migrations

TABLES = ["recovery_caseevent", "recovery_letter", "recovery_ledgerentry", "recovery_debtevent",
          "recovery_auditevent"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("""
        CREATE OR REPLACE FUNCTION recovery_refuse_rewrite() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '%% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;
    """)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION recovery_refuse_rewrite();")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS recovery_refuse_rewrite();")


class Migration(migrations.Migration):
    dependencies = [("recovery", "0004_uploadeddocument_auditevent")]
    operations = [migrations.RunPython(create, drop)]
