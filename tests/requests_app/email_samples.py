"""Fixed contexts for rendering every kind of e-mail without a database: the snapshot tests
and the screenshots read the same ones, so a change of look shows in both."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from requests_app.models import NotificationKind as N
from requests_app.workflow import STATUS_MEANING, RequestStatus

BASE_URL = "http://127.0.0.1:8000"
KEY = "SPT-42"
PORTAL_URL = f"{BASE_URL}/portal/requests/{KEY}/"
AGENT_URL = f"{BASE_URL}/agent/requests/{KEY}/"

COMMENT = (
    "Bonjour Madame Dubois,\n\n"
    "Le correctif **24.1.3** règle l'erreur 4512 :\n\n"
    "1. installez-le sur l'environnement de *test* ;\n"
    "2. relancez la clôture avec `CLOT-MENS` ;\n"
    "3. dites-nous si l'écart disparaît.\n\n"
    "Notes de version : [24.1.3](https://docs.example.com/24.1.3)\n\n"
    "<script>alert('x')</script>"
)
DESCRIPTION = (
    "La clôture mensuelle s'arrête avec l'**erreur 4512** à la validation.\n\n"
    "- société 01, période 11/2026\n"
    "- depuis la mise à jour 24.1"
)


def _status(code: RequestStatus) -> dict[str, Any]:
    return {"status": code.label, "status_code": code.value,
            "status_meaning": STATUS_MEANING[code]}


def _for(*, back_office: bool) -> dict[str, Any]:
    return {
        "key": KEY,
        "title": "La clôture mensuelle échoue",
        "recipient_name": "Robert Weber" if back_office else "Claire Dubois",
        "for_back_office": back_office,
        "url": AGENT_URL if back_office else PORTAL_URL,
    }


CLIENT = _for(back_office=False)
AGENT = _for(back_office=True)


def _digest_line(number: int, title: str, *, breached: bool, priority: str, remaining: str,
                 assignee: str, clock: str = "Résolution", status: str = "En cours",
                 ) -> dict[str, Any]:
    """One request of the morning digest, as ``notifications.digest_notify`` hands it."""
    return {"key": f"SPT-{number}", "title": title, "priority": priority,
            "organisation": "Horlogerie du Jura SA", "assignee": assignee, "status": status,
            "breached": breached, "clock": clock, "remaining": remaining,
            "url": f"{BASE_URL}/agent/requests/SPT-{number}/"}

# Each kind, as the person who gets it most often reads it.
CONTEXTS: dict[str, dict[str, Any]] = {
    N.REQUEST_RECEIVED: {
        **CLIENT, "kind": N.REQUEST_RECEIVED, "author": "Claire Dubois",
        "reporter": "Claire Dubois", "creator": "Claire Dubois", "on_behalf": False,
        "organisation": "Horlogerie du Jura SA", "request_type": "Support",
        "priority": "Haute", "description": DESCRIPTION,
    },
    N.STATUS_CHANGED: {
        **CLIENT, "kind": N.STATUS_CHANGED, "author": "Marc Keller",
        "transition": "ask_customer", **_status(RequestStatus.AWAITING_CUSTOMER),
        "comment_body": "Pouvez-vous nous envoyer le **journal** de la clôture ?",
    },
    N.AGENT_COMMENT: {
        **CLIENT, "kind": N.AGENT_COMMENT, "author": "Marc Keller", "comment_body": COMMENT,
    },
    N.CLIENT_COMMENT: {
        **AGENT, "kind": N.CLIENT_COMMENT, "author": "Claire Dubois",
        "comment_body": "Voici le journal : l'erreur revient à l'étape **3**.",
    },
    N.CONFIRMATION_REQUEST: {
        **CLIENT, "kind": N.CONFIRMATION_REQUEST, "author": "Marc Keller",
        "comment_body": COMMENT,
    },
    N.CONFIRMED: {
        **AGENT, "kind": N.CONFIRMED, "author": "Claire Dubois",
        "comment_body": "Merci, tout fonctionne.",
    },
    N.DENIED: {
        **AGENT, "kind": N.DENIED, "author": "Claire Dubois",
        **_status(RequestStatus.IN_PROGRESS),
        "comment_body": "L'erreur revient après le correctif.",
    },
    N.CLOSED: {
        **CLIENT, "kind": N.CLOSED, "author": "Marc Keller", **_status(RequestStatus.CLOSED),
        "resolution": "Traitée", "comment_body": "Le correctif est en production.",
    },
    N.SLO_WARNING: {
        **AGENT, "kind": N.SLO_WARNING, "author": "", "clock": "Première réponse",
        "priority": "Haute",
    },
    N.SLO_BREACHED: {
        **AGENT, "kind": N.SLO_BREACHED, "author": "", "clock": "Résolution",
        "priority": "Haute",
    },
    # Who mentioned them and where; the note itself never leaves the portal.
    N.MENTION: {
        **AGENT, "kind": N.MENTION, "author": "Marc Keller", "comment_body": "",
    },
    # The portal's reminder, five business days into the wait for an answer to a question.
    N.CUSTOMER_REMINDER: {
        **CLIENT, "kind": N.CUSTOMER_REMINDER, "author": "", "confirmation": False,
        "comment_body": "Pouvez-vous nous envoyer le **journal** de la clôture ?",
        "reply_due_at": datetime(2026, 12, 8, 13, 30, tzinfo=UTC), "business_days": 5,
    },
    # The Daily's morning digest: two requests late, one at risk, four more in the queue.
    N.DAILY_DIGEST: {
        "kind": N.DAILY_DIGEST, "recipient_name": "Robert Weber", "day": date(2026, 12, 3),
        "breached_count": 4, "at_risk_count": 3, "more": 4,
        "breached_lines": [
            _digest_line(42, "La clôture mensuelle échoue", breached=True, priority="Haute",
                         remaining="dépassé de 1 h 05", assignee="Marc Keller"),
            _digest_line(57, "Étiquettes « logistiques » & code-barres", breached=True,
                         priority="Bloquante", clock="Première réponse",
                         remaining="dépassé de 12 min", status="Ouvert", assignee=""),
        ],
        "at_risk_lines": [
            _digest_line(61, "Export TVA incomplet", breached=False, priority="Moyenne",
                         remaining="2 h 10 ouvrées", assignee="Marc Keller"),
        ],
        "url": f"{BASE_URL}/agent/queues/slo-a-risque/",
    },
    N.PASSWORD_RESET: {
        "username": "claire.dubois",
        "url": f"{BASE_URL}/accounts/reset/Mg/cz1b8k-0123456789abcdef0123456789abcdef/",
    },
}

# An agent's answer, then the question that put the request En attente client, two minutes
# apart: the combined e-mail the client gets.
COMBINED_SECTIONS = [
    (N.AGENT_COMMENT, CONTEXTS[N.AGENT_COMMENT], datetime(2026, 11, 24, 13, 31, tzinfo=UTC)),
    (N.STATUS_CHANGED, CONTEXTS[N.STATUS_CHANGED], datetime(2026, 11, 24, 13, 32, tzinfo=UTC)),
]
