from django.urls import path
from rest_framework.routers import SimpleRouter

from contracts.api import views
from contracts.api.hours import ContractBlocksApi, ContractHistoryApi, ContractLedgerApi

router = SimpleRouter()
router.register("tiers", views.TierViewSet, basename="tier")
router.register("recurring-services", views.RecurringServiceViewSet, basename="recurring-service")
router.register("contracts", views.ContractViewSet, basename="contract")

urlpatterns = [
    path("contracts/<int:contract_pk>/ledger/", ContractLedgerApi.as_view(), name="contract-ledger"),
    path("contracts/<int:contract_pk>/blocks/", ContractBlocksApi.as_view(), name="contract-blocks"),
    path("contracts/<int:contract_pk>/history/", ContractHistoryApi.as_view(), name="contract-history"),
    path("tiers/<int:pk>/history/", views.TierHistoryApi.as_view(), name="tier-history"),
    *router.urls,
]
