from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("offers/", views.PortalOfferListView.as_view(), name="offers"),
    path("offers/<int:pk>/", views.PortalOfferDetailView.as_view(), name="offer"),
    path("offers/<int:pk>/accept/", views.PortalOfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<int:pk>/decline/", views.PortalOfferDeclineView.as_view(), name="offer-decline"),
    path("offers/<int:pk>/pdf/", views.PortalOfferPdfView.as_view(), name="offer-pdf"),
]
