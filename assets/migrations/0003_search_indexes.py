"""The asset search (`?search=` and the list's `q`: name, host name or serial) from trigram
indexes (msp.search_indexes)."""

from django.db import migrations

from msp.search_indexes import trigram_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("assets", "0002_api_ordering_indexes"),
    ]

    operations = [
        trigram_indexes(
            ("asset_name_trgm", "assets_asset", "upper(name::text)"),
            ("asset_hostname_trgm", "assets_asset", "upper(hostname::text)"),
            ("asset_serial_trgm", "assets_asset", "upper(serial::text)"),
        ),
    ]
