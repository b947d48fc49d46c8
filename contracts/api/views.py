from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404

from audit.api.views import HistoryApi
from audit.selectors import tier_history
from contracts.api.serializers import ContractSerializer, RecurringServiceSerializer, TierSerializer
from contracts.models import Contract, RecurringService, ServiceTier
from contracts.services import contract_delete, recurring_service_delete, tier_delete
from msp.api.base import TenantModelViewSet
from msp.api.errors import Conflict


class ServiceDeleteMixin:
    """Deleting goes through a service that refuses while other rows depend on the object:
    the API answers 409 Conflict with the reason."""

    def delete_object(self, instance) -> None:
        raise NotImplementedError

    def perform_destroy(self, instance):
        try:
            self.delete_object(instance)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from exc


class TierViewSet(ServiceDeleteMixin, TenantModelViewSet):
    """Service tiers with their prices per asset kind, features and SLA targets."""

    model = ServiceTier
    permission_resource = "servicetier"
    serializer_class = TierSerializer
    filterset_fields = ["currency", "is_active"]
    search_fields = ["name"]
    ordering_fields = ["position", "name"]

    def get_queryset(self):
        return ServiceTier.objects.prefetch_related("prices").order_by("position", "name", "pk")

    def delete_object(self, instance):
        tier_delete(tier=instance)


class RecurringServiceViewSet(ServiceDeleteMixin, TenantModelViewSet):
    """À-la-carte monthly services offered beside the tiers."""

    model = RecurringService
    permission_resource = "recurringservice"
    serializer_class = RecurringServiceSerializer
    filterset_fields = ["unit", "is_active"]
    search_fields = ["name", "description"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return RecurringService.objects.order_by("name", "pk")

    def delete_object(self, instance):
        recurring_service_delete(service=instance)


class ContractViewSet(ServiceDeleteMixin, TenantModelViewSet):
    """Contracts: managed service, prepaid hours or break/fix. Client contacts see their own."""

    model = Contract
    permission_resource = "contract"
    serializer_class = ContractSerializer
    filterset_fields = ["client", "kind", "status", "tier"]
    search_fields = ["name", "client__name"]
    ordering_fields = ["start_date", "created_at"]

    def get_queryset(self):
        # By client name first: the tenant repeated on the client lets PostgreSQL walk the
        # clients' (tenant, name) index and sort each client's few contracts. The offer's id
        # comes from the join, not an Offer built per contract (ContractSerializer.get_offer).
        return (
            Contract.objects.annotate(offer_pk=F("offer__pk"))
            .tenant_on("client")
            .order_by("client__name", "kind", "-start_date", "pk")
        )

    def delete_object(self, instance):
        contract_delete(contract=instance)


class TierHistoryApi(HistoryApi):
    """Who changed the tier's prices per asset kind, when, from where; newest first."""

    model = ServiceTier
    permission_required = "servicetier.history"

    def history(self):
        tier = get_object_or_404(ServiceTier.objects.all(), pk=self.kwargs["pk"])
        return tier_history(tier.pk)
