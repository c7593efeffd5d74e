from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "MSP recovery — caseworkers"
admin.site.site_title = "MSP recovery"
admin.site.index_title = "Recovery work"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("calculators/", include("recovery.calculator_urls")),
]
