import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboard's book-wide tables are cached by the newest ids of their tables; a test database rolled
    back reuses ids (SQLite), so every test here starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
