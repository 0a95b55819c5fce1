"""The one error type every codec raises on bad bytes."""


class WireError(ValueError):
    """Bytes that do not decode: names the layer, the field and the byte offset."""

    def __init__(self, layer: str, field: str, offset: int, problem: str) -> None:
        self.layer = layer
        self.field = field
        self.offset = offset
        self.problem = problem
        super().__init__(f"{layer}: {field} at byte {offset}: {problem}")
