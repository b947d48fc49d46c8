from django.urls import path

from timetracking.views import panels, timesheet, worktypes

app_name = "timesheet"
urlpatterns = [
    path("", timesheet.TimesheetView.as_view(), name="week"),
    path("entries/new/", timesheet.TimeEntryCreateView.as_view(), name="entry-create"),
    path("entries/<int:pk>/edit/", timesheet.TimeEntryUpdateView.as_view(), name="entry-update"),
    path("entries/<int:pk>/delete/", timesheet.TimeEntryDeleteView.as_view(), name="entry-delete"),
    path("tickets/<int:ticket_pk>/log/", panels.TicketLogFormView.as_view(), name="ticket-log-form"),
    path("timer/start/", timesheet.TimerStartView.as_view(), name="timer-start"),
    path("timer/stop/", timesheet.TimerStopView.as_view(), name="timer-stop"),
    path("work-types/", worktypes.WorkTypeListView.as_view(), name="worktypes"),
    path("work-types/new/", worktypes.WorkTypeCreateView.as_view(), name="worktype-create"),
    path("work-types/<int:pk>/edit/", worktypes.WorkTypeUpdateView.as_view(), name="worktype-update"),
    path("work-types/<int:pk>/delete/", worktypes.WorkTypeDeleteView.as_view(), name="worktype-delete"),
]
