from django.urls import path

from inbox import mailbox_views, views

app_name = "inbox"
urlpatterns = [
    # The received e-mails (inbox-core): the review list, the log, one e-mail and its actions.
    path("", views.ReviewListView.as_view(), name="review"),
    path("messages/", views.MessageLogView.as_view(), name="log"),
    path("messages/<int:pk>/", views.MessageView.as_view(), name="message"),
    path("messages/<int:pk>/discard/", views.MessageDiscardView.as_view(), name="discard"),
    path("messages/<int:pk>/raw/", views.MessageRawView.as_view(), name="raw"),
    # Support mailboxes (inbox-imap): settings, polling state, connection test, poll now.
    path("mailboxes/", mailbox_views.MailboxListView.as_view(), name="mailboxes"),
    path("mailboxes/new/", mailbox_views.MailboxCreateView.as_view(), name="mailbox-create"),
    path("mailboxes/test/", mailbox_views.MailboxTestView.as_view(), name="mailbox-test-settings"),
    path("mailboxes/<int:pk>/", mailbox_views.MailboxDetailView.as_view(), name="mailbox"),
    path("mailboxes/<int:pk>/edit/", mailbox_views.MailboxUpdateView.as_view(), name="mailbox-update"),
    path("mailboxes/<int:pk>/delete/", mailbox_views.MailboxDeleteView.as_view(), name="mailbox-delete"),
    path("mailboxes/<int:pk>/test/", mailbox_views.MailboxTestView.as_view(), name="mailbox-test"),
    path("mailboxes/<int:pk>/poll/", mailbox_views.MailboxPollView.as_view(), name="mailbox-poll"),
    path(
        "mailboxes/<int:pk>/webhook/", mailbox_views.MailboxWebhookTokenView.as_view(), name="mailbox-webhook"
    ),
    path(
        "mailboxes/<int:pk>/webhook/revoke/",
        mailbox_views.MailboxWebhookRevokeView.as_view(),
        name="mailbox-webhook-revoke",
    ),
]
