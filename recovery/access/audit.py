"""Writing the audit log (SPEC §8): who, when, which object, what action, outcome, client address.
Object ids only — never names, MBIs or amounts."""

from ..audit_models import AuditEvent

A = AuditEvent.Action


def client_ip(request) -> str | None:
    """The client address: recovery/safeguards/client_address.py (trusted proxies, never an error)."""
    from ..safeguards.client_address import client_address

    return client_address(request)


def record(request, action: str, obj=None, *, objects=None, outcome: str = AuditEvent.Outcome.OK,
           detail: str = "", channel: str = "portal", object_type: str | None = None,
           object_id=None) -> AuditEvent:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    if obj is not None:
        object_type = object_type or obj._meta.label
    elif objects is not None and hasattr(objects, "model"):
        object_type = object_type or objects.model._meta.label
    ids = [] if objects is None else [o.pk if hasattr(o, "pk") else o for o in objects][:1000]
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action, object_type=object_type or "",
        object_id=str(obj.pk if obj is not None else (object_id if object_id is not None else ""))[:40],
        object_ids=ids, detail=detail[:100], outcome=outcome, client_ip=client_ip(request), channel=channel,
    )
