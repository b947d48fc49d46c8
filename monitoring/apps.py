from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from assets import hooks
        from monitoring.views.panels import asset_monitoring_panel

        hooks.register_panel(asset_monitoring_panel)
