"""The REST API (issue 5) — being built."""

app_name = "api"
urlpatterns = []
