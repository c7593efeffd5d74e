"""The admin site: staff sign in with a second factor (django-otp, TOTP) when STAFF_OTP_REQUIRED is on
(the production settings turn it on), and every read of a case or a beneficiary is audit-logged.

Whether a session still lacks its second factor is asked of recovery.second_factor — the one check the
API and every other page ask too (issue 9)."""

from django.conf import settings
from django.contrib import admin
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from recovery import second_factor


class RecoveryAdminSite(OTPAdminSite):
    site_header = "MSP recovery — caseworkers"
    site_title = "MSP recovery"
    index_title = "Recovery work"

    def __init__(self, name="admin"):
        super().__init__(name)

    @property
    def login_form(self):
        """The sign-in form asks for the one-time code whenever the second factor is required (read at each
        request, so that the setting decides, not the moment the site was built)."""
        return OTPAdminAuthenticationForm if settings.STAFF_OTP_REQUIRED else admin.forms.AdminAuthenticationForm

    def has_permission(self, request):
        # Active staff *and*, when STAFF_OTP_REQUIRED is on, verified with a device.
        return admin.AdminSite.has_permission(self, request) and not second_factor.lacking(request.user)


__all__ = ["RecoveryAdminSite", "OTPAdminAuthenticationForm"]
