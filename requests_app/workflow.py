"""The request state machine (DESIGN §3), in one readable file.

Transition methods only change the request in memory; the services lock the row, call them,
save, and run every side effect. No I/O here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from requests_app import permissions


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Ouvert")
    QUALIFIED = "qualified", _("Qualifié")
    IN_PROGRESS = "in_progress", _("En cours")
    AWAITING_TRIAGE = "awaiting_triage", _("En attente triage")
    AWAITING_RND = "awaiting_rnd", _("En attente R&D")
    AWAITING_CUSTOMER = "awaiting_customer", _("En attente client")
    CLOSED = "closed", _("Fermé")


S = RequestStatus

STATUS_MEANING = {
    S.OPEN: _("La demande a été envoyée"),
    S.QUALIFIED: _("La demande a été réceptionnée et validée"),
    S.IN_PROGRESS: _("Nous travaillons à répondre à votre demande"),
    S.AWAITING_TRIAGE: _("La demande a été escaladée à un expert"),
    S.AWAITING_RND: _("Une correction doit être développée par le R&D"),
    S.AWAITING_CUSTOMER: _("Nous attendons une réponse/traitement de votre part"),
    S.CLOSED: _("La demande a été traitée ou escaladée"),
}

EXPECTED_BY = {
    S.OPEN: _("Customer Service (FrontDesk)"),
    S.QUALIFIED: _("Customer Service (Daily)"),
    S.IN_PROGRESS: _("Customer Service (ServiceDesk)"),
    S.AWAITING_TRIAGE: _("Expert"),
    S.AWAITING_RND: _("R&D"),
    S.AWAITING_CUSTOMER: _("Le client (vous)"),
    S.CLOSED: "—",
}

OPEN_STATUSES = [s.value for s in S if s != S.CLOSED]


class Resolution(models.TextChoices):
    DONE = "done", _("Traitée")
    ESCALATED = "escalated", _("Escaladée")
    NO_FOLLOW_UP = "no_follow_up", _("Sans suite")
    NO_ANSWER = "no_answer", _("Sans réponse")
    WITHDRAWN = "withdrawn", _("Retirée")


class ConfirmationState(models.TextChoices):
    NONE = "", _("Aucune")
    REQUESTED = "requested", _("Confirmation demandée")
    CONFIRMED = "confirmed", _("Résolution confirmée")
    DENIED = "denied", _("Résolution refusée")


# Each action's French label and what it requires, read by the services (messages), the agent
# page (buttons and forms) and the history, so that no other place repeats them.
ACTIONS: dict[str, dict] = {
    "qualify": {"label": _("Qualifier"), "requires": "qualification"},
    "close_without_follow_up": {"label": _("Clore sans suite"), "requires": "public_comment"},
    "start": {"label": _("Prendre en charge / assigner"), "requires": "assignee"},
    "escalate_to_expert": {"label": _("Escalader à un expert"), "requires": "internal_note"},
    "return_to_service_desk": {"label": _("Retour au ServiceDesk"), "requires": "comment"},
    "send_to_rnd": {"label": _("Transmettre au R&D"), "requires": "rnd_reference"},
    "fix_available": {"label": _("Correction disponible"), "requires": "comment"},
    "ask_customer": {"label": _("Demander des informations"), "requires": "public_comment"},
    "propose_resolution": {"label": _("Proposer la résolution"), "requires": "public_comment"},
    "customer_reply": {"label": _("Répondre"), "requires": "comment", "automatic": True},
    "close": {"label": _("Clore"), "requires": None},
    "close_without_answer": {"label": _("Clore sans réponse"), "requires": "public_comment"},
    "close_escalated": {"label": _("Clore — escaladée"), "requires": "reason"},
    "withdraw": {"label": _("Retirer ma demande"), "requires": "reason"},
}


def action_label(name: str) -> str:
    return str(ACTIONS[name]["label"])


def _confirmed(request) -> bool:
    return request.confirmation_state == ConfirmationState.CONFIRMED


def _customer_silent_long_enough(request) -> bool:
    return request.customer_waiting_period_elapsed()


class RequestWorkflow(ConcurrentTransitionMixin, models.Model):
    """The status field and its transitions; ``Request`` inherits it.

    ``ConcurrentTransitionMixin`` (a ``FSMModelMixin``) refuses a save whose status changed
    under our feet, a second net behind the row lock taken by the services.
    """

    status = FSMField(
        _("statut"), default=S.OPEN, choices=S.choices, protected=True, db_index=True
    )

    class Meta:
        abstract = True

    @transition(
        field=status, source=S.OPEN, target=S.QUALIFIED,
        permission=permissions.may_qualify,
        custom=ACTIONS["qualify"],
    )
    def qualify(self) -> None:
        pass

    @transition(
        field=status, source=S.OPEN, target=S.CLOSED,
        permission=permissions.may_qualify,
        custom=ACTIONS["close_without_follow_up"],
    )
    def close_without_follow_up(self) -> None:
        self.resolution = Resolution.NO_FOLLOW_UP

    @transition(
        field=status, source=S.QUALIFIED, target=S.IN_PROGRESS,
        permission=permissions.may_start,
        custom=ACTIONS["start"],
    )
    def start(self) -> None:
        pass

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.AWAITING_TRIAGE,
        permission=permissions.may_escalate_to_expert,
        custom=ACTIONS["escalate_to_expert"],
    )
    def escalate_to_expert(self) -> None:
        pass

    @transition(
        field=status, source=S.AWAITING_TRIAGE, target=S.IN_PROGRESS,
        permission=permissions.may_return_from_triage,
        custom=ACTIONS["return_to_service_desk"],
    )
    def return_to_service_desk(self) -> None:
        pass

    @transition(
        field=status, source=[S.IN_PROGRESS, S.AWAITING_TRIAGE], target=S.AWAITING_RND,
        permission=permissions.may_send_to_rnd,
        custom=ACTIONS["send_to_rnd"],
    )
    def send_to_rnd(self) -> None:
        pass

    @transition(
        field=status, source=S.AWAITING_RND, target=S.IN_PROGRESS,
        permission=permissions.may_deliver_fix,
        custom=ACTIONS["fix_available"],
    )
    def fix_available(self) -> None:
        pass

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.AWAITING_CUSTOMER,
        permission=permissions.may_ask_customer,
        custom=ACTIONS["ask_customer"],
    )
    def ask_customer(self) -> None:
        self.confirmation_state = ConfirmationState.NONE

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.AWAITING_CUSTOMER,
        permission=permissions.may_ask_customer,
        custom=ACTIONS["propose_resolution"],
    )
    def propose_resolution(self) -> None:
        self.confirmation_state = ConfirmationState.REQUESTED

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.IN_PROGRESS,
        permission=permissions.may_answer_as_customer,
        custom=ACTIONS["customer_reply"],
    )
    def customer_reply(self) -> None:
        # An answer supersedes a pending confirmation request; an explicit refusal is recorded
        # as DENIED by the service.
        self.confirmation_state = ConfirmationState.NONE

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.CLOSED,
        permission=permissions.is_assignee, conditions=[_confirmed],
        custom=ACTIONS["close"],
    )
    def close(self) -> None:
        self.resolution = Resolution.DONE

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.CLOSED,
        permission=permissions.is_assignee, conditions=[_customer_silent_long_enough],
        custom=ACTIONS["close_without_answer"],
    )
    def close_without_answer(self) -> None:
        self.resolution = Resolution.NO_ANSWER

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.CLOSED,
        permission=permissions.may_close_escalated,
        custom=ACTIONS["close_escalated"],
    )
    def close_escalated(self) -> None:
        self.resolution = Resolution.ESCALATED

    @transition(
        field=status, source=OPEN_STATUSES, target=S.CLOSED,
        permission=permissions.is_reporter,
        custom=ACTIONS["withdraw"],
    )
    def withdraw(self) -> None:
        self.resolution = Resolution.WITHDRAWN


# The transitions an agent fires from the agent page, in the order the buttons appear.
AGENT_TRANSITIONS = [
    "qualify", "close_without_follow_up", "start", "escalate_to_expert",
    "return_to_service_desk", "send_to_rnd", "fix_available", "ask_customer",
    "propose_resolution", "close", "close_without_answer", "close_escalated",
]
ALL_TRANSITIONS = [*AGENT_TRANSITIONS, "customer_reply", "withdraw"]
