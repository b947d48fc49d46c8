"""manage.py generate_bench_data --scale 0.1 --seed 42: the benchmark data set (issue 5).

The same as ``python -m bench.generate``: bulk inserts with a progress bar per phase (on
stderr; ``--quiet`` turns them off). Refuses to run into a database that already has it.
"""

from django.core.management.base import BaseCommand
from django.db import connection

from bench.generate import add_arguments, generate, report


class Command(BaseCommand):
    help = "Generate the benchmark data set (deterministic, scaled; 1 = full size) into this database."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, scale, seed, quiet, **options):
        summary = generate(scale=scale, seed=seed, quiet=quiet)
        report(summary, vendor=connection.vendor, write=self.stdout.write)
