"""The caseworker's who-pays-first page in the admin (SPEC §7): /admin/payers/mspoccurrence/who-pays-first/.

Staff who may see cases (``recovery.access.checks.is_staff_user``) only. Reading a beneficiary's record (the MBI
answer) writes an audit row (SPEC §8). The form posts and shows the result with the rule that decided it,
or every bad answer on its field and no result (SPEC §9).
"""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from recovery.access import checks as access, audit

from . import services
from .forms import WcmsaForm, WhoPaysFirstForm
from .rules import CoordinationInputError


def who_pays_first_view(request, *, admin_site, opts):
    if not access.is_staff_user(request.user):
        raise PermissionDenied
    asks_wcmsa = request.method == "POST" and request.POST.get("check") == "wcmsa"
    form = WhoPaysFirstForm(request.POST if request.method == "POST" and not asks_wcmsa else None)
    wcmsa_form = WcmsaForm(request.POST if asks_wcmsa else None)
    result = wcmsa_result = None
    if asks_wcmsa and wcmsa_form.is_valid():
        try:
            wcmsa_result = services.wcmsa(wcmsa_form.cleaned_data)
        except CoordinationInputError as exc:
            name = exc.field if exc.field in wcmsa_form.fields else None
            wcmsa_form.add_error(name, exc.message[0].upper() + exc.message[1:] + ".")
    if form.is_bound and form.is_valid():
        if form.beneficiary is not None:
            audit.record(request, audit.A.VIEW, form.beneficiary, detail="who_pays_first", channel="admin")
        try:
            result = services.as_dict(services.determine(form.answers(), beneficiary=form.beneficiary))
        except CoordinationInputError as exc:
            name = exc.field if exc.field in form.fields else None
            label = form.fields[name].label if name else exc.field.replace("_", " ")
            form.add_error(name, f"{label}: {exc.message}.")
    context = {
        **admin_site.each_context(request), "opts": opts, "title": "Who pays first",
        "form": form, "result": result, "wcmsa_form": wcmsa_form, "wcmsa_result": wcmsa_result, "beneficiary": form.beneficiary if result else None,
    }
    return TemplateResponse(request, "admin/payers/who_pays_first.html", context)
