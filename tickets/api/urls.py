from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api import views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")

urlpatterns = [
    path("tickets/<int:pk>/comments/", views.TicketCommentListCreateApi.as_view(), name="ticket-comments"),
    path(
        "tickets/<int:pk>/attachments/",
        views.TicketAttachmentListCreateApi.as_view(),
        name="ticket-attachments",
    ),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_pk>/download/",
        views.TicketAttachmentDownloadApi.as_view(),
        name="ticket-attachment-download",
    ),
    *router.urls,
]
