from django.urls import path

from inbox import views

app_name = "inbox"
urlpatterns = [
    # The received e-mails (inbox-core): the review list, the log, one e-mail and its actions.
    path("", views.ReviewListView.as_view(), name="review"),
    path("messages/", views.MessageLogView.as_view(), name="log"),
    path("messages/<int:pk>/", views.MessageView.as_view(), name="message"),
    path("messages/<int:pk>/discard/", views.MessageDiscardView.as_view(), name="discard"),
    path("messages/<int:pk>/raw/", views.MessageRawView.as_view(), name="raw"),
]
