from django.urls import path
from rest_framework.routers import SimpleRouter

from inbox.api import views

router = SimpleRouter()
router.register("inbox/messages", views.InboundMessageViewSet, basename="inbound-message")

urlpatterns = [
    path("inbox/webhook/", views.InboxWebhookApi.as_view(), name="inbox-webhook"),
    path(
        "inbox/messages/<int:pk>/assign/",
        views.InboundMessageAssignApi.as_view(),
        name="inbound-message-assign",
    ),
    path(
        "inbox/messages/<int:pk>/discard/",
        views.InboundMessageDiscardApi.as_view(),
        name="inbound-message-discard",
    ),
    *router.urls,
]
