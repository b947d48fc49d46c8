from django.urls import path

from contracts.views import contracts, hours

app_name = "contracts"
urlpatterns = [
    path("", contracts.ContractListView.as_view(), name="list"),
    path("new/", contracts.ContractCreateView.as_view(), name="create"),
    path("<int:pk>/", contracts.ContractDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", contracts.ContractUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", contracts.ContractDeleteView.as_view(), name="delete"),
    path("<int:pk>/blocks/new/", hours.BlockPurchaseView.as_view(), name="block-create"),
]
