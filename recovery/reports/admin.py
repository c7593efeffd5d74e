"""The supervisor dashboard page in the admin: charts (SVG), their numbers as tables, and CSV downloads."""

import csv
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse

from ..access import checks as access, audit
from ..cases.services import today
from . import selectors, svg

PERM = "recovery.dashboard_sweeprun"
CHARTED = {"open": ["Cases"], "aging": ["Debts"], "money": ["Demanded", "Recovered", "Referred"],
           "caseworkers": ["Open", "Overdue"]}


def dashboard_view(request, admin_site):
    if not (access.is_staff_user(request.user) and request.user.has_perm(PERM)):
        audit.record(request, audit.A.VIEW, object_type="recovery.Dashboard", outcome="denied", channel="admin")
        raise PermissionDenied
    tables = selectors.dashboard(today=today())
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for t in tables if t.key == wanted), None)
        if table is None:
            raise PermissionDenied
        audit.record(request, audit.A.EXPORT, object_type="recovery.Dashboard", detail=f"csv {wanted}",
                     channel="admin")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="dashboard-{wanted}-{today():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row])
        return response
    audit.record(request, audit.A.VIEW, object_type="recovery.Dashboard", channel="admin")
    charts = [{"table": t, "svg": svg.bars(t.rows, series=CHARTED[t.key], title=t.title) if t.key in CHARTED else None}
              for t in tables]
    context = {**admin_site.each_context(request), "title": "Supervisor dashboard", "charts": charts, "today": today()}
    return TemplateResponse(request, "admin/recovery/dashboard.html", context)
