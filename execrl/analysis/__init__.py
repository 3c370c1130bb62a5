"""Analyses of what earlier rules wrote: signal quality, complexity progression, the verification
paradox, and the seed text's claims against the measurements.

Each module reads tables (Parquet files of the task, sandbox and training stages) and returns
tables; nothing here runs a program or trains a policy. ``stats`` holds the shared statistics.
"""
