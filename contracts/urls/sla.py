from django.urls import path

from contracts.views import sla

app_name = "sla"
urlpatterns = [
    path("", sla.SlaSettingsView.as_view(), name="list"),
    path("calendars/new/", sla.BusinessCalendarCreateView.as_view(), name="calendar-create"),
    path("calendars/<int:pk>/", sla.BusinessCalendarUpdateView.as_view(), name="calendar-update"),
    path(
        "calendars/<int:pk>/holidays/", sla.BusinessCalendarHolidaysView.as_view(), name="calendar-holidays"
    ),
    path("policies/new/", sla.SlaPolicyCreateView.as_view(), name="policy-create"),
    path("policies/<int:pk>/", sla.SlaPolicyUpdateView.as_view(), name="policy-update"),
]
