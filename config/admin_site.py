"""The admin site: staff sign in with a second factor (django-otp, TOTP) when STAFF_OTP_REQUIRED is on
(the production settings turn it on), and every read of a case or a beneficiary is audit-logged."""

from django.conf import settings
from django.contrib import admin
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class RecoveryAdminSite(OTPAdminSite):
    site_header = "MSP recovery — caseworkers"
    site_title = "MSP recovery"
    index_title = "Recovery work"

    def __init__(self, name="admin"):
        super().__init__(name)
        if not settings.STAFF_OTP_REQUIRED:
            self.login_form = admin.forms.AdminAuthenticationForm

    def get_urls(self):
        from django.urls import path

        from recovery.reports.admin import dashboard_view
        from recovery.worklist.admin import worklist_view

        return [path("worklist/", self.admin_view(lambda request: worklist_view(request, self)), name="worklist"),
                path("dashboard/", self.admin_view(lambda request: dashboard_view(request, self)), name="dashboard"),
                *super().get_urls()]

    def each_context(self, request):
        from recovery.worklist.admin import nav_context  # issue 12: the worklist's counts on every page

        return {**super().each_context(request), **nav_context(request)}

    def has_permission(self, request):
        if settings.STAFF_OTP_REQUIRED:
            return super().has_permission(request)  # active staff *and* verified with a device
        return admin.AdminSite.has_permission(self, request)


__all__ = ["RecoveryAdminSite", "OTPAdminAuthenticationForm"]
