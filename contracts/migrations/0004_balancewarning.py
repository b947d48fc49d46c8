"""Balance warnings move home to contracts/ from timetracking/: state only, the table
(timetracking_balancewarning, named in Meta.db_table) and its rows stay as they are."""

import django.db.models.deletion
import msp.choice_labels
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0003_offers_moved_to_sales'),
        ('msp', '0004_outbound_email'),
        ('timetracking', '0002_performance_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='BalanceWarning',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('level', 'Level crossed'), ('renewed', 'Block auto-renewed')], max_length=10)),
                        ('level', models.PositiveSmallIntegerField(default=0)),
                        ('sent_at', models.DateTimeField(auto_now_add=True)),
                        ('block', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contracts.hourblock')),
                        ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contracts.contract')),
                        ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='msp.tenant')),
                    ],
                    options={
                        'db_table': 'timetracking_balancewarning',
                        'constraints': [models.UniqueConstraint(fields=('block', 'reason', 'level'), name='timetracking_balancewarning_once_per_crossing')],
                    },
                    bases=(msp.choice_labels.ChoiceLabelsMixin, models.Model),
                ),
            ],
            database_operations=[],
        ),
    ]
