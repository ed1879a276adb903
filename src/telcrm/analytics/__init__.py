"""The nightly analytics core, free of Django so it runs unchanged on DuckDB or a Spark
executor (architecture.md, "Dependencies point one way").

``backends`` picks the engine and opens the lake; ``features`` builds per-subscriber
features as of a month; ``tiers`` and ``warnings`` turn them into value segments,
enterprise grades and churn warnings under versioned rules. Every function there returns
an unexecuted Ibis expression: only the caller runs it.
"""
