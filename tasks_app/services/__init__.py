"""The task engine's domain logic. Views, Celery tasks, admin actions and commands call these
functions and do nothing else: they parse, call, report."""
