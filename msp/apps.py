from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MspConfig(AppConfig):
    name = "msp"
    verbose_name = _("Tenancy and clients")
    default_auto_field = "django.db.models.BigAutoField"
