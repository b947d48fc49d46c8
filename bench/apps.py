from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only for its `generate_bench_data` command: it seeds every app, so it sits
    above them all (msp/ imports nothing above itself)."""

    name = "bench"
    verbose_name = "Benchmarks"
