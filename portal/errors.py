"""The one base class for the domain errors every app raises."""


class SptError(Exception):
    """A refusal the user can understand: a message for people and a stable code for code.

    ``status`` is the HTTP status a view answers with when it cannot show the error in a form.
    """

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)
