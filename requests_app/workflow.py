"""The request state machine (DESIGN §3), in one readable file.

Transition methods only change the request in memory; the services lock the row, call them,
save, and run every side effect. No I/O here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
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

# Both keyed by status code: the template filters look them up with the plain string.
STATUS_MEANING: dict[str, Promise] = {
    S.OPEN: _("La demande a été envoyée"),
    S.QUALIFIED: _("La demande a été réceptionnée et validée"),
    S.IN_PROGRESS: _("Nous travaillons à répondre à votre demande"),
    S.AWAITING_TRIAGE: _("La demande a été escaladée à un expert"),
    S.AWAITING_RND: _("Une correction doit être développée par le R&D"),
    S.AWAITING_CUSTOMER: _("Nous attendons votre réponse"),
    S.CLOSED: _("La demande a été traitée ou escaladée"),
}

EXPECTED_BY: dict[str, str | Promise] = {
    S.OPEN: _("Customer Service (FrontDesk)"),
    S.QUALIFIED: _("Customer Service (Daily)"),
    S.IN_PROGRESS: _("Customer Service (ServiceDesk)"),
    S.AWAITING_TRIAGE: _("Expert"),
    S.AWAITING_RND: _("R&D"),
    S.AWAITING_CUSTOMER: _("Le client (vous)"),
    S.CLOSED: "—",
}
# The same as the back office reads it: the client is not "you" there.
EXPECTED_BY_BACK_OFFICE: dict[str, str | Promise] = {
    **EXPECTED_BY, S.AWAITING_CUSTOMER: _("Le client"),
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


@dataclass(frozen=True)
class Transition:
    """One action of DESIGN §3, as every other part of the code knows it: the services'
    whitelist, the agent page's buttons and forms, the bulk form and the history read this
    registry; the ``@transition`` methods below take their permission and conditions from it.
    """

    name: str
    label: Promise
    # (request, user) -> bool: the roles (or the person: assignee, reporter) it is for.
    permission: Callable[[Any, Any], bool]
    # The roles the permission names, for lists and help; empty when it names a person.
    roles: frozenset[str] = frozenset()
    # What the action needs besides its text: "qualification", "assignee", "rnd_reference".
    requires: str | None = None
    # The service's keyword argument for the action's text, and the message when it is
    # missing (None: the text is optional).
    text_param: str | None = None
    text_required: Promise | None = None
    # Conditions on the request (no I/O) and the message when one is unmet.
    conditions: tuple[Callable[[Any], bool], ...] = ()
    unmet: Callable[[Any], str] | None = None
    # Who fires it: "agent" (the agent page, by name), "customer" (the portal) or "automatic"
    # (a consequence of another action: the client's answer).
    fired_by: str = "agent"
    # Offered among the bulk actions of a queue.
    bulk: bool = True
    # What the agent reads once it is done, of the request ``%(key)s``.
    done: Promise | None = None


def _confirmed(request: Any) -> bool:
    return request.confirmation_state == ConfirmationState.CONFIRMED


def _customer_silent_long_enough(request: Any) -> bool:
    """The client's reply deadline, stored when the request started waiting, has passed."""
    due = request.customer_reply_due_at
    return due is not None and timezone.now() >= due


def _not_confirmed_yet(request: Any) -> str:
    return gettext("Le client n'a pas encore confirmé la résolution : la demande ne peut pas "
                   "encore être close.")


def _customer_still_has_time(request: Any) -> str:
    due = request.customer_reply_due_at
    if due is None:
        return gettext("« Clore sans réponse » n'est possible qu'une fois le délai de réponse "
                       "du client écoulé.")
    return gettext("Le client a jusqu'au %(date)s pour répondre : « Clore sans réponse » "
                   "n'est possible qu'ensuite.") % {
        "date": formats.date_format(timezone.localtime(due), "DATETIME_FORMAT")}


R = permissions.Role
TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    Transition(
        "qualify", _("Qualifier"), permissions.may_qualify, frozenset({R.FRONTDESK}),
        requires="qualification", bulk=False,  # each request read and confirmed by someone
        done=_("%(key)s est qualifiée : le Daily la répartit."),
    ),
    Transition(
        "close_without_follow_up", _("Clore sans suite"), permissions.may_qualify,
        frozenset({R.FRONTDESK}), text_param="comment",
        text_required=_("Expliquez au client pourquoi la demande est close."),
        done=_("%(key)s est close sans suite."),
    ),
    Transition(
        "start", _("Prendre en charge / assigner"), permissions.may_start,
        frozenset({R.DAILY, R.SERVICEDESK}), requires="assignee",
        done=_("%(key)s est prise en charge."),
    ),
    Transition(
        "escalate_to_expert", _("Escalader à un expert"), permissions.may_escalate_to_expert,
        frozenset({R.SERVICEDESK}), text_param="note",
        text_required=_("Une note interne pour l'expert est obligatoire."),
        done=_("%(key)s est transmise à un expert."),
    ),
    Transition(
        "return_to_service_desk", _("Retour au ServiceDesk"),
        permissions.may_return_from_triage, frozenset({R.EXPERT}), text_param="comment",
        text_required=_("Un commentaire pour le ServiceDesk est obligatoire."),
        done=_("%(key)s est rendue au ServiceDesk."),
    ),
    Transition(
        "send_to_rnd", _("Transmettre au R&D"), permissions.may_send_to_rnd,
        frozenset({R.SERVICEDESK, R.EXPERT}), requires="rnd_reference", text_param="comment",
        done=_("%(key)s est transmise au R&D."),
    ),
    Transition(
        "fix_available", _("Correction disponible"), permissions.may_deliver_fix,
        frozenset({R.RND}), text_param="comment",
        text_required=_("Décrivez la correction livrée."),
        done=_("%(key)s revient au ServiceDesk avec la correction."),
    ),
    Transition(
        "ask_customer", _("Demander des informations"), permissions.may_ask_customer,
        frozenset({R.SERVICEDESK}), text_param="question",
        text_required=_("Posez votre question au client."),
        done=_("Votre question est envoyée : %(key)s attend la réponse du client."),
    ),
    Transition(
        "propose_resolution", _("Proposer la résolution"), permissions.may_ask_customer,
        frozenset({R.SERVICEDESK}), text_param="resolution",
        text_required=_("Décrivez la résolution proposée au client."),
        done=_("La résolution est proposée : %(key)s attend la confirmation du client."),
    ),
    Transition(
        # The customer answered by phone, or the question was asked by mistake: the request
        # stops waiting for them, with a word saying why (to them, or between colleagues).
        "take_back", _("Reprendre"), permissions.may_take_back, frozenset({R.SERVICEDESK}),
        text_param="comment",
        text_required=_("Dites pourquoi la demande n'attend plus le client."),
        bulk=False,  # each one has its own reason
        done=_("%(key)s est reprise : elle n'attend plus le client."),
    ),
    Transition(
        "customer_reply", _("Répondre"), permissions.may_answer_as_customer,
        fired_by="automatic", bulk=False,
    ),
    Transition(
        "close", _("Clore"), permissions.is_assignee, text_param="comment",
        conditions=(_confirmed,), unmet=_not_confirmed_yet,
        done=_("%(key)s est close."),
    ),
    Transition(
        "close_without_answer", _("Clore sans réponse"), permissions.is_assignee,
        text_param="comment", text_required=_("Un commentaire au client est obligatoire."),
        conditions=(_customer_silent_long_enough,), unmet=_customer_still_has_time,
        done=_("%(key)s est close sans réponse du client."),
    ),
    Transition(
        "close_escalated", _("Clore — escaladée"), permissions.may_close_escalated,
        frozenset({R.SERVICEDESK}), text_param="reason",
        text_required=_("Indiquez pourquoi la demande est traitée hors niveau 1."),
        done=_("%(key)s est close, escaladée hors niveau 1."),
    ),
    Transition(
        "withdraw", _("Retirer ma demande"), permissions.is_reporter, text_param="reason",
        text_required=_("Indiquez pourquoi vous retirez la demande."),
        fired_by="customer", bulk=False,
    ),
]}


def action_label(name: str) -> str:
    return str(TRANSITIONS[name].label)


def _fsm(name: str) -> dict[str, Any]:
    """The ``@transition`` arguments that come from the registry."""
    spec = TRANSITIONS[name]
    return {"permission": spec.permission, "conditions": list(spec.conditions),
            "custom": {"label": spec.label}}


class RequestWorkflow(ConcurrentTransitionMixin, models.Model):
    """The status field and its transitions; ``Request`` inherits it.

    ``ConcurrentTransitionMixin`` (a ``FSMModelMixin``) refuses a save whose status changed
    under our feet, a second net behind the row lock taken by the services.
    """

    status = FSMField(
        _("statut"), default=S.OPEN, choices=S.choices, protected=True, db_index=True
    )
    # Fields of ``Request`` that the transitions set (declared for the type checker).
    resolution: str
    confirmation_state: str

    class Meta:
        abstract = True

    @transition(
        field=status, source=S.OPEN, target=S.QUALIFIED,
        **_fsm("qualify"),
    )
    def qualify(self) -> None:
        pass

    @transition(
        field=status, source=S.OPEN, target=S.CLOSED,
        **_fsm("close_without_follow_up"),
    )
    def close_without_follow_up(self) -> None:
        self.resolution = Resolution.NO_FOLLOW_UP

    @transition(
        field=status, source=S.QUALIFIED, target=S.IN_PROGRESS,
        **_fsm("start"),
    )
    def start(self) -> None:
        pass

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.AWAITING_TRIAGE,
        **_fsm("escalate_to_expert"),
    )
    def escalate_to_expert(self) -> None:
        pass

    @transition(
        field=status, source=S.AWAITING_TRIAGE, target=S.IN_PROGRESS,
        **_fsm("return_to_service_desk"),
    )
    def return_to_service_desk(self) -> None:
        pass

    @transition(
        field=status, source=[S.IN_PROGRESS, S.AWAITING_TRIAGE], target=S.AWAITING_RND,
        **_fsm("send_to_rnd"),
    )
    def send_to_rnd(self) -> None:
        pass

    @transition(
        field=status, source=S.AWAITING_RND, target=S.IN_PROGRESS,
        **_fsm("fix_available"),
    )
    def fix_available(self) -> None:
        pass

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.AWAITING_CUSTOMER,
        **_fsm("ask_customer"),
    )
    def ask_customer(self) -> None:
        self.confirmation_state = ConfirmationState.NONE

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.AWAITING_CUSTOMER,
        **_fsm("propose_resolution"),
    )
    def propose_resolution(self) -> None:
        self.confirmation_state = ConfirmationState.REQUESTED

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.IN_PROGRESS,
        **_fsm("take_back"),
    )
    def take_back(self) -> None:
        # A pending confirmation request no longer stands: the customer is not asked anymore.
        self.confirmation_state = ConfirmationState.NONE

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.IN_PROGRESS,
        **_fsm("customer_reply"),
    )
    def customer_reply(self) -> None:
        # An answer supersedes a pending confirmation request; an explicit refusal is recorded
        # as DENIED by the service.
        self.confirmation_state = ConfirmationState.NONE

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.CLOSED,
        **_fsm("close"),
    )
    def close(self) -> None:
        self.resolution = Resolution.DONE

    @transition(
        field=status, source=S.AWAITING_CUSTOMER, target=S.CLOSED,
        **_fsm("close_without_answer"),
    )
    def close_without_answer(self) -> None:
        self.resolution = Resolution.NO_ANSWER

    @transition(
        field=status, source=S.IN_PROGRESS, target=S.CLOSED,
        **_fsm("close_escalated"),
    )
    def close_escalated(self) -> None:
        self.resolution = Resolution.ESCALATED

    @transition(
        field=status, source=OPEN_STATUSES, target=S.CLOSED,
        **_fsm("withdraw"),
    )
    def withdraw(self) -> None:
        self.resolution = Resolution.WITHDRAWN


# The transitions an agent fires from the agent page, in the order the buttons appear.
AGENT_TRANSITIONS = [name for name, spec in TRANSITIONS.items() if spec.fired_by == "agent"]
BULK_TRANSITIONS = [name for name in AGENT_TRANSITIONS if TRANSITIONS[name].bulk]
ALL_TRANSITIONS = list(TRANSITIONS)

# Statuses where a request has someone working on it: (re)assigning makes sense there.
# Before, "Prendre en charge / assigner" gives it its first assignee; closed is final.
ASSIGNABLE_STATUSES = frozenset({
    S.IN_PROGRESS, S.AWAITING_TRIAGE, S.AWAITING_RND, S.AWAITING_CUSTOMER,
})
