from rest_framework.routers import SimpleRouter

from contracts.api import views
from contracts.api.offers import OfferViewSet

router = SimpleRouter()
router.register("tiers", views.TierViewSet, basename="tier")
router.register("recurring-services", views.RecurringServiceViewSet, basename="recurring-service")
router.register("contracts", views.ContractViewSet, basename="contract")
# Offers register their routes here too (contracts/api/offers.py).
router.register("offers", OfferViewSet, basename="offer")

urlpatterns = router.urls
