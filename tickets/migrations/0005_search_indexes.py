"""The ticket search (`?search=`: subject or description) from trigram indexes (msp.search_indexes)."""

from django.db import migrations

from msp.search_indexes import trigram_indexes


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0004_sla_attention_index"),
    ]

    operations = [
        trigram_indexes(
            ("tickets_subject_trgm", "tickets_ticket", "upper(subject::text)"),
            ("tickets_description_trgm", "tickets_ticket", "upper(description)"),
        ),
    ]
