"""The supervisor dashboard page in the admin: charts (SVG), their numbers as tables, and CSV downloads."""

import csv
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse

from ..access import checks as access, audit
from ..cases.services import today
from ..money import balances
from . import selectors, svg

PERM = "recovery.dashboard_sweeprun"
CHARTED = {"open": ["Cases"], "aging": ["Debts"], "money": ["Demanded", "Recovered", "Referred"],
           "caseworkers": ["Open", "Overdue"]}


def chart(table) -> str:
    """The table's SVG chart. The book-wide tables come from the cache unchanged for minutes, so the same
    rows give the same chart: drawn once per process (a chart of every caseworker — a few hundred at a
    million cases — cost 2 ms a page, issue 10)."""
    return _chart(table.key, table.title, tuple(tuple(r) for r in table.page_rows))


@lru_cache(maxsize=64)
def _chart(key, title, rows) -> str:
    return svg.bars([list(r) for r in rows], series=CHARTED[key], title=title)


def dashboard_view(request, admin_site):
    if not (access.is_staff_user(request.user) and request.user.has_perm(PERM)):
        audit.record(request, audit.A.VIEW, object_type="recovery.Dashboard", outcome="denied", channel="admin")
        raise PermissionDenied
    error = None
    if "balances" in request.GET:
        response, error = _balances_csv(request, request.GET["balances"])
        if response is not None:
            return response
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
    charts = [{"table": t, "svg": chart(t) if t.key in CHARTED else None} for t in tables]
    context = {**admin_site.each_context(request), "title": "Supervisor dashboard", "charts": charts, "today": today(),
               "book_minutes": selectors.DASHBOARD_CACHE_SECONDS // 60,
               "balances_error": error, "balances_as_of": request.GET.get("balances") or f"{today():%Y-%m-%d}"}
    return TemplateResponse(request, "admin/recovery/dashboard.html", context, status=400 if error else 200)


class _Echo:
    def write(self, value):
        return value


def _balances_csv(request, value):
    """Every debt's balance at the end of a day, streamed as CSV a chunk of debts at a time
    (recovery.money.balances, SPEC §5.5): (response, None), or (None, the message) for a bad date."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None, "Balances as of: enter a date as YYYY-MM-DD."
    if day > today():
        return None, f"Balances as of: {day} has not come yet; choose today ({today()}) or an earlier day."
    audit.record(request, audit.A.EXPORT, object_type="recovery.Dashboard", detail=f"csv balances as of {day}",
                 channel="admin")
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(balances.CSV_COLUMNS)
        for b in balances.balances_as_of(as_of=day, with_number=True):
            yield writer.writerow(balances.csv_row(b))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="balances-as-of-{day:%Y-%m-%d}.csv"'
    return response, None
