from django.urls import path
from rest_framework.routers import SimpleRouter

from inbox.api import mailboxes

router = SimpleRouter()
router.register("inbox/mailboxes", mailboxes.MailboxViewSet, basename="mailbox")

urlpatterns = [
    path(
        "inbox/mailboxes/<int:pk>/test/",
        mailboxes.MailboxTestApi.as_view(),
        name="mailbox-test",
    ),
    path(
        "inbox/mailboxes/<int:pk>/poll/",
        mailboxes.MailboxPollApi.as_view(),
        name="mailbox-poll",
    ),
    *router.urls,
]
