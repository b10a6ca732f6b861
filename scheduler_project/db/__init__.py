"""Database plumbing below the apps: read replicas (replicas.py, middleware.py)."""
