from django.apps import AppConfig


class TimetrackingConfig(AppConfig):
    name = "timetracking"
    default_auto_field = "django.db.models.BigAutoField"
