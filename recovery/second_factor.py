"""The staff second factor (SPEC §8; issue 9 finding 1): with STAFF_OTP_REQUIRED on, a staff member's
session must be verified with a device (django-otp) before any page shows them anything. This is the
one check: the admin site (config.admin_site), the API's session permission
(recovery.api.permissions.StaffSecondFactor) and every other page (StaffSecondFactorMiddleware) ask it.

A password alone signs a staff member in (at /accounts/login/ or the admin login), but every page then
sends them to the admin login, which asks for the one-time code (django_otp's OTPAdminAuthenticationForm)
and brings them back. Only the admin (which asks itself), the API (which asks itself, and lets a token
through — a staff token is only issued against a one-time code) and signing out are left to pass.
"""

from django.conf import settings
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode


def required_for(user) -> bool:
    """Does this user sign in with a second factor? Staff do, when STAFF_OTP_REQUIRED is on."""
    return bool(getattr(settings, "STAFF_OTP_REQUIRED", False) and user is not None and user.is_authenticated
                and user.is_staff)


def verified(user) -> bool:
    """Was this request's session verified with a device (django_otp.middleware.OTPMiddleware)?"""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def lacking(user) -> bool:
    """True when this user must give a second factor and this session has not."""
    return required_for(user) and not verified(user)


# The parts of the site that ask the question themselves, and the way out.
_SELF_CHECKING_NAMESPACES = {"admin", "api"}
_ALWAYS_OPEN = {"logout"}


class StaffSecondFactorMiddleware:
    """After django_otp's OTPMiddleware: an unverified staff session gets no page outside the admin and
    the API — a GET is sent to the admin login (which asks for the code and comes back), anything else
    is refused (403) before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and (set(match.namespaces) & _SELF_CHECKING_NAMESPACES or
                                  match.url_name in _ALWAYS_OPEN):
            return None
        if not lacking(request.user):
            return None
        if request.method in ("GET", "HEAD"):
            login = reverse("admin:login")
            return HttpResponseRedirect(f"{login}?{urlencode({'next': request.get_full_path()})}")
        return HttpResponseForbidden("Staff sign in with a second factor: give the one-time code from your device "
                                     "at the admin login first.")
