"""Benchmark data generator and runner (issue 5). An installed app only for its management
command `generate_bench_data`; the rest runs as scripts.

    .venv/bin/python -m bench.generate --scale 0.1 --seed 42
    .venv/bin/python -m bench.run --scale 0.1
"""
