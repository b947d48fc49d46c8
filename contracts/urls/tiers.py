from django.urls import path

from contracts.views import tiers

app_name = "tiers"
urlpatterns = [
    path("", tiers.TierListView.as_view(), name="list"),
    path("new/", tiers.TierCreateView.as_view(), name="create"),
    path("<int:pk>/", tiers.TierDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", tiers.TierUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", tiers.TierDeleteView.as_view(), name="delete"),
]
