"""Django's ModelBackend, reading a user's permissions in one query instead of two (issue 10: the
per-request floor).

ModelBackend asks the database twice on the first permission check of every request: once for the
user's own permissions, once for their groups'. This backend reads both in one UNION ALL, tagged by
source, and fills the same per-request caches ModelBackend keeps on the user object
(`_user_perm_cache`, `_group_perm_cache`, `_perm_cache`), so every permission answer is the same as
ModelBackend's: nothing is kept beyond the request (the user object is loaded afresh for each one).
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import CharField, Value


class OneQueryModelBackend(ModelBackend):
    def _load_permissions(self, user_obj):
        if user_obj.is_superuser:
            rows = [("u", ct, name) for ct, name in
                    Permission.objects.values_list("content_type__app_label", "codename").order_by()]
            rows += [("g", ct, name) for _, ct, name in rows]
        else:
            def tagged(qs, tag):
                return qs.annotate(source=Value(tag, output_field=CharField())).values_list(
                    "source", "content_type__app_label", "codename").order_by()

            rows = tagged(Permission.objects.filter(user=user_obj), "u").union(
                tagged(Permission.objects.filter(group__user=user_obj), "g"), all=True)
        user_perms, group_perms = set(), set()
        for source, ct, name in rows:
            (user_perms if source == "u" else group_perms).add(f"{ct}.{name}")
        user_obj._user_perm_cache = user_perms
        user_obj._group_perm_cache = group_perms

    def _get_permissions(self, user_obj, obj, from_name):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, f"_{from_name}_perm_cache"):
            self._load_permissions(user_obj)
        return getattr(user_obj, f"_{from_name}_perm_cache")
