"""Many cooperatives on one platform: the tenant registry, placement on PostgreSQL clusters,
per-request routing, moves between clusters (docs/deployment.md#many-cooperatives-on-one-platform).
"""
