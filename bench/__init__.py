"""Benchmarks: `make bench` (= `python -m bench`). Each compares Guanxi's own code path
with a hand-written baseline on a generated dataset in a separate bench database,
never the development database."""
