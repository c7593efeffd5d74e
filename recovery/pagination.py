"""Paging a list of a million cases without counting a million rows on every page (issue 10, SPEC §10).

`FastPaginator` is a Django Paginator (the admin's changelist and DRF's page-number pagination take it):

- count: a list with no filter at all is counted from PostgreSQL's estimate (pg_class.reltuples, kept
  by autovacuum / ANALYZE) when that estimate is above `EXACT_UP_TO`; any other list is counted
  exactly, but only up to `CAP` rows (`SELECT count(*) FROM (… LIMIT CAP + 1)`): a filter matching
  more shows CAP + 1 and pages up to there. Small tables (and SQLite) are always counted exactly.
- a page: the ids of the page first (an index-only scan of the ordering index, however deep the
  OFFSET), then the rows of those ids with their joins — so a deep page does not join the rows it skips.
"""

from django.core.paginator import Page, Paginator
from django.db import connections
from django.utils.functional import cached_property

CAP = 10_000
EXACT_UP_TO = 100_000


def table_estimate(model, using="default") -> int | None:
    """PostgreSQL's estimate of the rows in `model`'s table (None elsewhere or if never analysed)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cur.fetchone()
    return int(row[0]) if row and row[0] and row[0] > 0 else None


def is_unfiltered(queryset) -> bool:
    return not queryset.query.where and not queryset.query.distinct


class FastPaginator(Paginator):
    cap = CAP

    @cached_property
    def count(self):
        qs = self.object_list
        if not hasattr(qs, "query"):
            return len(qs)
        if is_unfiltered(qs):
            estimate = table_estimate(qs.model, qs.db)
            if estimate is not None and estimate > EXACT_UP_TO:
                return estimate
            return qs.count()
        return qs.order_by()[: self.cap + 1].count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        qs = self.object_list
        if not hasattr(qs, "query"):
            return self._get_page(qs[bottom:top], number, self)
        ids = list(qs.values_list("pk", flat=True)[bottom:top])
        by_pk = {obj.pk: obj for obj in self._rows(qs, ids)}
        return Page([by_pk[pk] for pk in ids if pk in by_pk], number, self)

    @staticmethod
    def _rows(qs, ids):
        """The page's rows with the list's joins (select_related) and columns (only/defer), and nothing else of
        its filters."""
        rows = qs.model._default_manager.filter(pk__in=ids)
        rows.query.deferred_loading = qs.query.deferred_loading
        select = qs.query.select_related
        if select is True:
            rows = rows.select_related()
        elif select:
            rows = rows.select_related(*_paths(select))
        if qs._prefetch_related_lookups:
            rows = rows.prefetch_related(*qs._prefetch_related_lookups)
        return rows.order_by()


def _paths(tree, prefix=""):
    """select_related's nested dict back into 'a__b' paths."""
    out = []
    for name, sub in tree.items():
        path = f"{prefix}{name}"
        out.append(path)
        if sub:
            out.extend(_paths(sub, f"{path}__"))
    return out


def _drf_pagination():
    from rest_framework.pagination import PageNumberPagination

    class FastPageNumberPagination(PageNumberPagination):
        """DRF's page-number pagination (`count`, `next`, `previous`, `results`) over FastPaginator."""

        django_paginator_class = FastPaginator

    return FastPageNumberPagination


FastPageNumberPagination = _drf_pagination()
