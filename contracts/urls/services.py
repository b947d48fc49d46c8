from django.urls import path

from contracts.views import services

app_name = "services"
urlpatterns = [
    path("", services.RecurringServiceListView.as_view(), name="list"),
    path("new/", services.RecurringServiceCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", services.RecurringServiceUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", services.RecurringServiceDeleteView.as_view(), name="delete"),
]
