from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.TicketListView.as_view(), name="list"),
    path("new/", views.TicketCreateView.as_view(), name="create"),
    path("new/client-fields/", views.TicketClientFieldsView.as_view(), name="client-fields"),
    path("asset-options/", views.TicketAssetOptionsView.as_view(), name="asset-options"),
    path("<int:pk>/", views.TicketDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.TicketUpdateView.as_view(), name="update"),
    path("<int:pk>/assign/", views.TicketAssignView.as_view(), name="assign"),
    path("<int:pk>/status/", views.TicketStatusView.as_view(), name="status"),
    path("<int:pk>/priority/", views.TicketPriorityView.as_view(), name="priority"),
    path("<int:pk>/reply/", views.TicketReplyView.as_view(), name="reply"),
    path("attachments/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment"),
]
