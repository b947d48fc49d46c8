"""The history endpoints' base: a paginated list of audit.display rows, newest first."""

from __future__ import annotations

from rest_framework import generics

from audit.api.serializers import AuditEntrySerializer
from audit.display import describe
from audit.models import AuditEntry
from msp.api.base import TenantAPIMixin


class HistoryApi(TenantAPIMixin, generics.ListAPIView):
    """Set `permission_required` and `history()` (the object's entries, after a 404 check)."""

    serializer_class = AuditEntrySerializer
    filter_backends: list = []
    queryset = AuditEntry.objects.none()  # for the schema; get_queryset reads history()

    def get_queryset(self):
        return self.history()

    def paginate_queryset(self, queryset):
        # Describe the whole page at once: the people it names in one query, not one per row.
        page = super().paginate_queryset(queryset)
        return describe(page) if page is not None else None
