"""Refuse an oversize request body from its Content-Length, before anything reads it (issue 9, finding 6).

Django reads a body only when something asks for request.POST / FILES / body — the CSRF check of a
login form, DRF's parser — and then reads all of it. This middleware, first in the list, answers 413
to a body declared larger than MAX_REQUEST_BYTES (settings: MAX_REQUEST_MB) without reading a byte of
it, and 400 to a Content-Length that is not a number. The reverse proxy in front must limit the body
too (nginx `client_max_body_size`), so a body is not even buffered there: README, Portal, API and
security."""

from django.conf import settings
from django.http import HttpResponse


def max_request_bytes() -> int:
    return int(getattr(settings, "MAX_REQUEST_BYTES", 12 * 1024 * 1024))


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(request, 400, "The request's Content-Length is not a number.")
        limit = max_request_bytes()
        if length > limit:
            return self._refuse(request, 413, f"The request is larger than the {limit // (1024 * 1024)} MB limit.")
        return self.get_response(request)

    @staticmethod
    def _refuse(request, status, message):
        # (A WSGI application may not set Connection: close; the server closes a connection whose body was
        # left unread — gunicorn and Django's runserver do.)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
