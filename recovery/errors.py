"""The application errors every caller (admin, pages, API, jobs) turns into a message."""


class CaseActionError(Exception):
    """A step was refused. `field` names the input at fault, when one is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleCaseError(CaseActionError):
    """Someone else moved the case since this view of it was loaded (SPEC §3.4 concurrency)."""
