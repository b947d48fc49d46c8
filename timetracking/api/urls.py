from django.urls import path
from rest_framework.routers import SimpleRouter

from timetracking.api import views

router = SimpleRouter()
router.register("time-entries", views.TimeEntryViewSet, basename="time-entry")
router.register("work-types", views.WorkTypeViewSet, basename="work-type")

urlpatterns = [
    path("timer/start/", views.TimerStartApi.as_view(), name="timer-start"),
    path("timer/stop/", views.TimerStopApi.as_view(), name="timer-stop"),
    *router.urls,
]
