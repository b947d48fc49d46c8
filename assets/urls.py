from django.urls import path

from assets import views

app_name = "assets"
urlpatterns = [
    path("", views.AssetListView.as_view(), name="list"),
    path("new/", views.AssetCreateView.as_view(), name="create"),
    path("import/", views.AssetImportView.as_view(), name="import"),
    path("<int:pk>/", views.AssetDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AssetUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", views.AssetDeleteView.as_view(), name="delete"),
]
