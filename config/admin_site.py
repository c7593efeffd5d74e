"""The admin site: staff sign in with a second factor (django-otp, TOTP) when STAFF_OTP_REQUIRED is on
(the production settings turn it on), and every read of a case or a beneficiary is audit-logged.

Whether a session still lacks its second factor is asked of recovery.second_factor — the one check the
API and every other page ask too (issue 9)."""

import json

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from recovery import second_factor


class RecoveryAdminSite(OTPAdminSite):
    site_header = "MSP recovery — caseworkers"
    site_title = "MSP recovery"
    index_title = "Recovery work"
    # The navigation sidebar re-listed every app and model, asking four permissions for each, on every
    # admin page (issue 10: a fifth of the floor page's CPU). The worklist bar, the breadcrumbs and the
    # index page (Home) are the navigation.
    enable_nav_sidebar = False

    def __init__(self, name="admin"):
        super().__init__(name)

    @property
    def login_form(self):
        """The sign-in form asks for the one-time code whenever the second factor is required (read at each
        request, so that the setting decides, not the moment the site was built)."""
        return OTPAdminAuthenticationForm if settings.STAFF_OTP_REQUIRED else admin.forms.AdminAuthenticationForm

    def get_urls(self):
        from django.urls import path

        from recovery.reports.admin import dashboard_view
        from recovery.worklist.admin import worklist_view

        return [path("worklist/", self.admin_view(lambda request: worklist_view(request, self)), name="worklist"),
                path("dashboard/", self.admin_view(lambda request: dashboard_view(request, self)), name="dashboard"),
                *super().get_urls()]

    def admin_view(self, view, cacheable=False):
        """Every admin view; after a change made through the admin (any method but GET/HEAD/OPTIONS) the
        user's cached worklist counts are dropped, so the next page counts them afresh."""
        from functools import wraps

        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def wrapper(request, *args, **kwargs):
            response = inner(request, *args, **kwargs)
            if request.method not in ("GET", "HEAD", "OPTIONS") and getattr(request, "user", None) is not None \
                    and request.user.is_authenticated:
                from recovery.cases.services import today
                from recovery.worklist.selectors import forget_nav_counts

                forget_nav_counts(request.user, today())
            return response

        return wrapper

    def each_context(self, request):
        """Django's AdminSite.each_context (the same keys), with `available_apps` — the app list, four
        permission checks per model — built only if a template asks for it (the sidebar, now off, did on
        every page); and the worklist's counts (issue 12)."""
        from django.utils.functional import SimpleLazyObject

        from recovery.worklist.admin import nav_context

        script_name = request.META["SCRIPT_NAME"]
        site_url = script_name if self.site_url == "/" and script_name else self.site_url
        return {
            "site_title": self.site_title,
            "site_header": self.site_header,
            "site_url": site_url,
            "has_permission": self.has_permission(request),
            "available_apps": SimpleLazyObject(lambda: self.get_app_list(request)),
            "is_popup": False,
            "is_nav_sidebar_enabled": self.enable_nav_sidebar,
            "log_entries": self.get_log_entries(request),
            **nav_context(request),
        }

    def has_permission(self, request):
        # Active staff *and*, when STAFF_OTP_REQUIRED is on, verified with a device.
        return admin.AdminSite.has_permission(self, request) and not second_factor.lacking(request.user)


    def autocomplete_view(self, request):
        """The search behind autocomplete widgets (by name or MBI for beneficiaries) is a read: audited
        with the type and ids of what it answered — never the search term (SPEC §8)."""
        from recovery.access import audit

        object_type = _autocomplete_target(request)
        try:
            response = super().autocomplete_view(request)
        except (PermissionDenied, Http404):
            audit.record(request, audit.A.LIST, object_type=object_type, detail="autocomplete", outcome="denied",
                         channel="admin")
            raise
        ids = []
        if response.status_code == 200:
            ids = [r.get("id") for r in json.loads(response.content).get("results", [])]
        audit.record(request, audit.A.LIST, objects=ids, object_type=object_type, detail="autocomplete",
                     outcome="ok" if response.status_code == 200 else "denied", channel="admin")
        return response


def _autocomplete_target(request) -> str:
    """The model an autocomplete request searches (the field's target), or a fixed name if it names none."""
    try:
        source = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
        return source._meta.get_field(request.GET.get("field_name", "")).related_model._meta.label
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return "admin.autocomplete"


__all__ = ["RecoveryAdminSite", "OTPAdminAuthenticationForm"]
