"""The REST API (SPEC §3, §8, §9): /api/… — see recovery/api/views.py for who gets what."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ..timeline.api import CaseTimelineView
from . import records, views

app_name = "api"

urlpatterns = [
    path("cases/", records.CaseListCreateView.as_view(), name="case-list"),  # GET list, POST open (staff)
    path("cases/<int:pk>/", records.CaseDetailCorrectView.as_view(), name="case-detail"),
    path("cases/<int:pk>/claims/", records.CaseClaimsCreateView.as_view(), name="case-claims"),
    path("cases/<int:pk>/letters/", views.CaseLettersView.as_view(), name="case-letters"),
    path("cases/<int:pk>/ledger/", views.CaseLedgerView.as_view(), name="case-ledger"),
    path("cases/<int:pk>/history/", views.CaseHistoryView.as_view(), name="case-history"),
    path("cases/<int:pk>/timeline/", CaseTimelineView.as_view(), name="case-timeline"),  # issue 12
    path("cases/<int:pk>/actions/<str:action>/", views.CaseActionView.as_view(), name="case-action"),
    path("cases/<int:pk>/settlement/", views.SettlementView.as_view(), name="case-settlement"),
    path("cases/<int:pk>/disputes/", views.DisputeView.as_view(), name="case-disputes"),
    path("cases/<int:pk>/payments/", views.PaymentView.as_view(), name="case-payments"),
    path("cases/<int:pk>/elections/", views.ElectionView.as_view(), name="case-elections"),
    path("letters/<int:pk>/pdf/", views.LetterPdfView.as_view(), name="letter-pdf"),
    path("documents/", views.DocumentUploadView.as_view(), name="document-list"),
    path("documents/<uuid:key>/", views.DocumentDownloadView.as_view(), name="document-detail"),
    # Staff: create and correct the records a case rests on; authorisations (recovery/api/records.py).
    path("beneficiaries/", records.BeneficiaryCreateView.as_view(), name="beneficiary-create"),
    path("beneficiaries/<int:pk>/", records.BeneficiaryCorrectView.as_view(), name="beneficiary-correct"),
    path("payers/", records.PayerCreateView.as_view(), name="payer-create"),
    path("payers/<int:pk>/", records.PayerCorrectView.as_view(), name="payer-correct"),
    path("occurrences/", records.OccurrenceCreateView.as_view(), name="occurrence-create"),
    path("occurrences/<int:pk>/", records.OccurrenceCorrectView.as_view(), name="occurrence-correct"),
    path("claims/<int:pk>/", records.ClaimCorrectView.as_view(), name="claim-correct"),
    path("authorisations/", records.AuthorisationSubmitView.as_view(), name="authorisation-submit"),
    path("authorisations/<int:pk>/decision/", records.AuthorisationDecisionView.as_view(),
         name="authorisation-decision"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"", views.not_found),  # last: anything else under /api/ is a JSON 404
]
