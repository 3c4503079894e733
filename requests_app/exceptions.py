"""Domain errors of the request app. Views turn them into a message and a 4xx."""

from django.utils.translation import gettext as _

from portal.errors import SptError


class RequestNotFound(SptError):
    """Also raised for a request the person may not see: they learn nothing of it, and hear
    the same words whatever the reason ("Demande introuvable.")."""

    code = "not_found"
    status = 404

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or _("Demande introuvable."), code=code)


class PermissionDenied(SptError):
    code = "forbidden"
    status = 403


class TransitionNotAllowed(SptError):
    code = "transition_not_allowed"
    status = 409


class StaleRequest(SptError):
    """Somebody else changed the request between the page load and this action."""

    code = "stale"
    status = 409


class RequestClosed(SptError):
    code = "closed"
    status = 409


class InvalidInput(SptError):
    """Input that passed the form but breaks a business rule; ``field`` names the culprit."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message, code=code)
        self.field = field


class CannedReplyNotFound(SptError):
    """Also raised for another person's personal reply: the same words whatever the reason."""

    code = "not_found"
    status = 404

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or _("Réponse type introuvable."), code=code)


class SavedViewNotFound(SptError):
    """Also raised for a view the person may not see (another person's personal view, one
    shared with a role they do not hold): the same words whatever the reason."""

    code = "not_found"
    status = 404

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message or _("Vue enregistrée introuvable."), code=code)
