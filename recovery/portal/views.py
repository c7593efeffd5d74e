"""The portal for people outside the contractor (SPEC §1, §8): attorneys, representatives, insurer contacts.
Every view asks recovery.access what this user may see and do, and audit-logs every read."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import access, audit


@login_required
def case_list(request):
    cases = list(access.cases_for(request.user).select_related("beneficiary").order_by("-opened_on")[:200])
    audit.record(request, audit.A.LIST, objects=cases, object_type="recovery.RecoveryCase", channel="portal")
    return render(request, "portal/case_list.html", {"cases": cases})
