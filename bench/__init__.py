"""Benchmarks for screener (not tests): `python -m bench`, or `python -m bench --quick` for a smoke run."""
