"""Benchmark data generator and runner (issue 5). Not an installed app: run as scripts.

    .venv/bin/python -m bench.generate --scale 0.1 --seed 42
    .venv/bin/python -m bench.run --scale 0.1
"""
