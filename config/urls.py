from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/portal/", permanent=False)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("portal/", include("recovery.portal.urls")),
    path("admin/", admin.site.urls),
    path("calculators/", include("recovery.money.calculator_urls")),
    path("api/coordination/", include("payers.coordination.api_urls")),  # who pays first (SPEC §7)
    path("api/", include("recovery.api.urls")),
]
