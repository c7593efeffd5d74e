from django.urls import path

from . import documents, views

app_name = "portal"

urlpatterns = [
    path("", views.case_list, name="cases"),
    path("documents/<uuid:key>/", documents.document_download, name="document"),
]
