"""The worklist's order, next_due_date then number, through an index (issue 10): at a million cases a day
holds thousands of cases due, which were joined and sorted to show 25."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0011_pages_search"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="recoverycase",
            index=models.Index(fields=["next_due_date", "number"], name="case_due_number_idx"),
        ),
        migrations.AddIndex(
            model_name="recoverycase",
            index=models.Index(fields=["state", "next_due_date", "number"], name="case_state_due_number_idx"),
        ),
    ]
