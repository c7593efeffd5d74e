"""Seed the policy tables with the figures of SPEC §3 and §5.3/§5.5 (the seeds' numbers).

Supervisors change them in the admin from here on. The figures live in recovery/policy_seed.py.
"""

from django.db import migrations

from recovery.policy_seed import seed


class Migration(migrations.Migration):
    dependencies = [("recovery", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
