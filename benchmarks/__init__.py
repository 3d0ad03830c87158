"""
PIE's benchmarks: tools run over the product, never part of it.

Run from the repository's root as modules (``python -m benchmarks.bench_bulk``); the make
targets ``bench-bulk``, ``bench-bulk-mysql``, ``bench-api`` and ``bench-bulk-api`` do.
``common`` holds what they share: the generated warehouse report, the benchmark databases
and the child processes; ``serving`` runs PIE (or the ceiling) under gunicorn.
"""
