import pytest
from django.conf import settings as django_settings


def pytest_collection_modifyitems(config, items):
    on_postgres = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _interest_rate_for_older_demands(request):
    """The seeds give one interest rate (11.50% from 2023-07-17, seeded by migration). Many tests date
    their demands earlier in 2023; for them this adds the same rate from 2000 as *test data*. Tests
    about a missing rate delete it (see test_policy.py)."""
    if "django_db" not in request.keywords and "transactional_db" not in request.fixturenames:
        return
    from datetime import date
    from decimal import Decimal

    request.getfixturevalue("db") if "transactional_db" not in request.fixturenames else None
    from recovery.policy_models import InterestRate

    InterestRate.objects.get_or_create(effective_from=date(2000, 1, 1),
                                       defaults={"annual_rate": Decimal("0.11500"), "source": "test data"})
