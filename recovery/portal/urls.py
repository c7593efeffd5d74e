from django.urls import path

from . import documents, views

app_name = "portal"

urlpatterns = [
    path("", views.case_list, name="cases"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/letters/<int:letter_pk>/pdf/", views.letter_pdf, name="letter_pdf"),
    path("cases/<int:pk>/settlement/", views.settlement, name="settlement"),
    path("cases/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("cases/<int:pk>/response/", views.response, name="response"),
    path("cases/<int:pk>/appeal/", views.appeal, name="appeal"),
    path("cases/<int:pk>/waiver/", views.waiver, name="waiver"),
    path("cases/<int:pk>/challenge/", views.challenge, name="challenge"),
    path("cases/<int:pk>/options/fixed-percentage/", views.option_fixed, name="option_fixed"),
    path("cases/<int:pk>/options/self-calculated/", views.option_self, name="option_self"),
    path("cases/<int:pk>/final-amount/notice/", views.final_notice, name="final_notice"),
    path("cases/<int:pk>/final-amount/request/", views.final_request, name="final_request"),
    path("authorisations/new/", views.authorisation_new, name="authorisation"),
    path("documents/<uuid:key>/", documents.document_download, name="document"),
]
