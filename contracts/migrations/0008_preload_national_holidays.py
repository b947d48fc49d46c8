"""Existing calendars get the country of their time zone and its national holidays for this
year and the next (an Italian tenant's 8 December is no longer a working day)."""

from django.db import migrations
from django.utils import timezone


def preload(apps, schema_editor):
    from contracts.calendars import country_for_timezone, national_holidays

    BusinessCalendar = apps.get_model("contracts", "BusinessCalendar")
    year = timezone.now().year
    for calendar in BusinessCalendar.objects.filter(country=""):
        country = country_for_timezone(calendar.timezone)
        if not country:
            continue
        days = {day.isoformat() for day in national_holidays(country, [year, year + 1])}
        calendar.country = country
        calendar.holidays = sorted(days | set(calendar.holidays or ()))
        calendar.save(update_fields=["country", "holidays"])


class Migration(migrations.Migration):
    dependencies = [("contracts", "0007_businesscalendar_country")]

    operations = [migrations.RunPython(preload, migrations.RunPython.noop)]
