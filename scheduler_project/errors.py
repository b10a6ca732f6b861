class EngineError(Exception):
    """A request the engine refuses; the API maps it to 400 (naming `field` when one is given)."""

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(EngineError):
    """A request that conflicts with the current state (cancel a finished run); 409."""
