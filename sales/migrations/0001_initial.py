"""Offers move from contracts/ to sales/: the models change app, their tables stay.

State only (the tables keep their names, contracts_offer and contracts_offeroption, through
Meta.db_table), so every row is kept as it is.
"""

import django.core.validators
import django.db.models.deletion
import djmoney.models.fields
import msp.choice_labels
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contracts', '0002_hours_and_sla'),
        ('msp', '0002_idempotency_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Offer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('sent', 'Sent'), ('accepted', 'Accepted'), ('declined', 'Declined')], default='draft', max_length=20, verbose_name='status')),
                        ('currency', models.CharField(choices=[('EUR', 'EUR'), ('USD', 'USD'), ('GBP', 'GBP'), ('CHF', 'CHF'), ('CAD', 'CAD'), ('AUD', 'AUD')], max_length=3, verbose_name='currency')),
                        ('discount_percent', models.DecimalField(decimal_places=2, default=0, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='discount (%)')),
                        ('hour_block_minutes', models.PositiveIntegerField(default=0, verbose_name='prepaid hours add-on (minutes)')),
                        ('hour_block_price_currency', djmoney.models.fields.CurrencyField(choices=[('EUR', 'EUR'), ('USD', 'USD'), ('GBP', 'GBP'), ('CHF', 'CHF'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='EUR', editable=False, max_length=3, null=True)),
                        ('hour_block_price', djmoney.models.fields.MoneyField(blank=True, currency_choices=[('EUR', 'EUR'), ('USD', 'USD'), ('GBP', 'GBP'), ('CHF', 'CHF'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=2, max_digits=14, null=True, verbose_name='prepaid hours add-on price')),
                        ('notes', models.TextField(blank=True, verbose_name='notes for the client')),
                        ('valid_until', models.DateField(blank=True, null=True, verbose_name='valid until')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offers', to='msp.client', verbose_name='client')),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('decided_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('recommended_tier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='contracts.servicetier', verbose_name='recommended tier')),
                        ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='msp.tenant')),
                    ],
                    options={
                        'verbose_name': 'offer',
                        'verbose_name_plural': 'offers',
                        'db_table': 'contracts_offer',
                        'ordering': ['-created_at'],
                    },
                    bases=(msp.choice_labels.ChoiceLabelsMixin, models.Model),
                ),
                migrations.CreateModel(
                    name='OfferOption',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('features', models.JSONField(default=list)),
                        ('includes_labour', models.BooleanField(default=False)),
                        ('onsite_discount_percent', models.DecimalField(decimal_places=2, default=0, max_digits=5)),
                        ('lines', models.JSONField(default=list)),
                        ('monthly_total_currency', djmoney.models.fields.CurrencyField(choices=[('EUR', 'EUR'), ('USD', 'USD'), ('GBP', 'GBP'), ('CHF', 'CHF'), ('CAD', 'CAD'), ('AUD', 'AUD')], default='EUR', editable=False, max_length=3)),
                        ('monthly_total', djmoney.models.fields.MoneyField(currency_choices=[('EUR', 'EUR'), ('USD', 'USD'), ('GBP', 'GBP'), ('CHF', 'CHF'), ('CAD', 'CAD'), ('AUD', 'AUD')], decimal_places=2, max_digits=14, verbose_name='monthly total')),
                        ('offer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='options', to='sales.offer')),
                        ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='msp.tenant')),
                        ('tier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='contracts.servicetier')),
                    ],
                    options={
                        'db_table': 'contracts_offeroption',
                        'ordering': ['offer', 'position'],
                    },
                    bases=(msp.choice_labels.ChoiceLabelsMixin, models.Model),
                ),
                migrations.AddField(
                    model_name='offer',
                    name='accepted_option',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.offeroption'),
                ),
                migrations.AddIndex(
                    model_name='offer',
                    index=models.Index(fields=['tenant', 'status'], name='contracts_o_tenant__214d24_idx'),
                ),
            ],
            database_operations=[],
        ),
    ]
