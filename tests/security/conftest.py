"""Fixtures for the security tests: the shared personas and cases of the API tests."""

from tests.api.conftest import world  # noqa: F401
