"""/api/coordination/… (SPEC §7), included by config/urls.py before the /api/ catch-all."""

from django.urls import path

from . import api

app_name = "coordination"

urlpatterns = [
    path("who-pays-first/", api.WhoPaysFirstView.as_view(), name="who-pays-first"),
    path("wcmsa-review/", api.WcmsaReviewView.as_view(), name="wcmsa-review"),
]
