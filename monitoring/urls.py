from django.urls import path

from monitoring.views import board, health, keys, unknown

app_name = "monitoring"
urlpatterns = [
    path("", board.AlertBoardView.as_view(), name="board"),
    path("alerts/<int:pk>/", board.AlertDetailView.as_view(), name="alert"),
    path("health/", health.ClientHealthView.as_view(), name="health"),
    path("health/<int:client_pk>/", health.ClientHealthDetailView.as_view(), name="health-client"),
    path("unknown/", unknown.UnknownListView.as_view(), name="unknown"),
    path("unknown/<int:pk>/create-asset/", unknown.UnknownCreateAssetView.as_view(), name="unknown-create"),
    path("unknown/<int:pk>/link/", unknown.UnknownLinkView.as_view(), name="unknown-link"),
    path("unknown/<int:pk>/discard/", unknown.UnknownDiscardView.as_view(), name="unknown-discard"),
    path("keys/", keys.IngestKeyListView.as_view(), name="keys"),
    path("keys/new/", keys.IngestKeyCreateView.as_view(), name="key-create"),
    path("keys/<int:pk>/created/", keys.IngestKeyCreatedView.as_view(), name="key-created"),
    path("keys/<int:pk>/edit/", keys.IngestKeyUpdateView.as_view(), name="key-update"),
    path("keys/<int:pk>/revoke/", keys.IngestKeyRevokeView.as_view(), name="key-revoke"),
    path("settings/", keys.MonitoringSettingsView.as_view(), name="settings"),
]
