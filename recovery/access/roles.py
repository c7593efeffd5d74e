"""Staff roles as Django groups (SPEC §1): what a caseworker and a supervisor may do."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

CASEWORKER = "caseworker"
SUPERVISOR = "supervisor"

_WORK = {
    "beneficiaries": {"beneficiary": ["view", "add", "change"], "authorisation": ["view", "change"],
                      "externalprofile": ["view", "add", "change"]},
    "payers": {"payer": ["view", "add", "change"], "mspoccurrence": ["view", "add", "change"]},
    "recovery": {
        "recoverycase": ["view", "add", "change", "transition"],
        "claim": ["view", "add", "change"],
        "settlement": ["view", "add", "change"],
        "dispute": ["view"],
        "letter": ["view"],
        "letterdelivery": ["view"],
        "caseevent": ["view"],
        "ledgerentry": ["view"],
        "optionelection": ["view"],
        "submission": ["view", "review"],
        "recoverythreshold": ["view"], "fixedpercentageterms": ["view"], "selfcalculatedterms": ["view"],
        "interestrate": ["view"], "clocklength": ["view"],
        "intakebatch": ["view", "add"],
        # The papers an attorney or insurer uploads on a case are what the caseworker reviews (issue 9).
        "uploadeddocument": ["view"],
    },
}
_POLICY = ["view", "add", "change"]
_SUPERVISE = {
    "recovery": {
        "recoverycase": ["hold"],
        "auditevent": ["view"],
        "sweeprun": ["view", "dashboard"],
        "recoverythreshold": _POLICY, "fixedpercentageterms": _POLICY, "selfcalculatedterms": _POLICY,
        "interestrate": _POLICY, "clocklength": _POLICY,
    },
    # The periodic jobs (README "Periodic jobs"): a supervisor sees and adjusts them (issue 9).
    "django_celery_beat": {
        "periodictask": ["view", "change"], "intervalschedule": ["view", "change"],
        "crontabschedule": ["view", "change"], "solarschedule": ["view", "change"],
        "clockedschedule": ["view", "change"],
    },
}


def case_workers():
    """The people a case may be assigned to: active staff in the caseworker or supervisor group — never
    an attorney, an insurer contact or the system user the jobs act as (issue 9)."""
    User = get_user_model()
    return (User.objects.filter(is_active=True, is_staff=True, groups__name__in=[CASEWORKER, SUPERVISOR])
            .distinct().order_by("username"))


def _codenames(spec):
    for app, models in spec.items():
        for model, verbs in models.items():
            for verb in verbs:
                yield app, f"{verb}_{model}"


def _permissions(spec):
    wanted = set(_codenames(spec))
    perms = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in wanted}, codename__in={c for _, c in wanted}
    ).select_related("content_type")
    return [p for p in perms if (p.content_type.app_label, p.codename) in wanted]


def ensure_groups():
    """Create or update the staff groups; running it again changes nothing."""
    caseworker, _ = Group.objects.get_or_create(name=CASEWORKER)
    caseworker.permissions.set(_permissions(_WORK))
    supervisor, _ = Group.objects.get_or_create(name=SUPERVISOR)
    supervisor.permissions.set(_permissions(_WORK) + _permissions(_SUPERVISE))
    return caseworker, supervisor
