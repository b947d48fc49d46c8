from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimetrackingConfig(AppConfig):
    name = "timetracking"
    verbose_name = _("Time tracking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audit.registry import track
        from contracts.ledger import register_ledger_source
        from tickets import hooks
        from timetracking import signals  # noqa: F401
        from timetracking.selectors import time_entry_ledger_sources
        from timetracking.services import SOURCE_KIND
        from timetracking.templatetags.timesheet import running_timer_ticket_id
        from timetracking.views.panels import ticket_time_panel

        hooks.register_panel(ticket_time_panel)
        hooks.register_row_action("timetracking/_timer_button.html")
        hooks.register_row_vary(running_timer_ticket_id)
        register_ledger_source(SOURCE_KIND, time_entry_ledger_sources)
        from timetracking.models import TimeEntry

        track(  # the audit trail (issue 20)
            TimeEntry,
            contract="contract_id",
            fields=[
                "ticket", "contract", "technician", "work_type", "started_at", "ended_at", "minutes",
                "billed_minutes", "drawn_minutes", "overage_minutes", "covered", "hourly_rate",
                "billable", "onsite", "note", "invoiced_at",
            ],
        )  # fmt: skip
