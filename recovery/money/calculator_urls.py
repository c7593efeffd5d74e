"""Calculator pages (SPEC §5.2–§5.4), included at /calculators/ by config/urls.py."""

from django.urls import path

from . import calculators

app_name = "calculators"

urlpatterns = [
    path("", calculators.index, name="index"),
    path("demand-estimate/", calculators.demand_estimate_view, name="demand_estimate"),
    path("secondary-payment/", calculators.secondary_payment_view, name="secondary_payment"),
]
