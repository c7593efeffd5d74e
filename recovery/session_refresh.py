"""Renew a signed-in session's idle timeout without writing the session row on every request (issue 10).

SESSION_SAVE_EVERY_REQUEST wrote (UPDATE + COMMIT) the session on every page view, image and API call —
a database write on every read. This middleware renews it at most every SESSION_REFRESH_SECONDS
(default 60): a session still ends after SESSION_IDLE_MINUTES without a request, give or take that
minute. Sits just inside SessionMiddleware, which saves a session that was marked modified.
"""

import time

from django.conf import settings

KEY = "_renewed_at"


class SessionRefreshMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = int(time.time())
        if session.modified or now - int(session.get(KEY, 0)) >= settings.SESSION_REFRESH_SECONDS:
            session[KEY] = now  # marks the session modified: SessionMiddleware saves it with a new expiry
        return response
