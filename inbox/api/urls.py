from django.urls import path
from rest_framework.routers import SimpleRouter

from inbox.api import mailboxes, views

router = SimpleRouter()
router.register("inbox/messages", views.InboundMessageViewSet, basename="inbound-message")
router.register("inbox/mailboxes", mailboxes.MailboxViewSet, basename="mailbox")

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
    path("inbox/mailboxes/<int:pk>/test/", mailboxes.MailboxTestApi.as_view(), name="mailbox-test"),
    path("inbox/mailboxes/<int:pk>/poll/", mailboxes.MailboxPollApi.as_view(), name="mailbox-poll"),
    path(
        "inbox/mailboxes/<int:pk>/webhook-token/",
        mailboxes.MailboxWebhookTokenApi.as_view(),
        name="mailbox-webhook-token",
    ),
    *router.urls,
]
