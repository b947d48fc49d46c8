from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api import views

router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")

urlpatterns = [
    path("tickets/<int:pk>/comments/", views.TicketCommentListCreateApi.as_view(), name="ticket-comments"),
    *router.urls,
]
