class EngineError(Exception):
    """A request the engine refuses; the API maps it to 400."""


class Conflict(EngineError):
    """A request that conflicts with the current state (cancel a finished run); 409."""
