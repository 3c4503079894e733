"""THE access matrix: who may see which request, written by hand from the roles of DESIGN §2
(never computed by the code under test), and what every API endpoint and every request page
answers each person for each request. ``tests/api/test_access_matrix.py`` runs it against
the API and the HTML pages alike, so that both are proven to give the same answer: a request
one may not see is a 404 everywhere, the same as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

# The people: a client of organisation A (the reporter of A's requests), a colleague in the
# same organisation, a client of organisation B, the agents, sales administration.
CUSTOMERS = ("client", "colleague", "outsider")
AGENTS = ("frontdesk", "daily", "servicedesk", "expert", "rnd")
SALES = ("sales",)
ROLES = CUSTOMERS + AGENTS + SALES
BACK_OFFICE = AGENTS + SALES

# The requests, each with a public file (sent with it) and an internal one (with an internal
# note of ServiceDesk):
#   shared   a Support request of organisation A, reported by "client", shared with A
#   private  the same, "Partager avec mon organisation" unticked
#   licence  a Licence opened by sales administration on behalf of "client"
#   foreign  a Support request of organisation B (reported by "outsider"): another
#            organisation's, the object nobody of A may learn anything about
OBJECTS = ("shared", "private", "licence", "foreign")

# DESIGN §2. A client sees what they reported, takes part in, or what a member of their
# organisation shared with it; agents see everything; sales administration sees the Licence
# requests (every organisation) and those it created.
SEES: dict[str, frozenset[str]] = {
    "client": frozenset({"shared", "private", "licence"}),
    "colleague": frozenset({"shared", "licence"}),  # the licence is shared with A by default
    "outsider": frozenset({"foreign"}),
    **{agent: frozenset(OBJECTS) for agent in AGENTS},
    "sales": frozenset({"licence"}),
}
# Internal notes and their files: agents on every request; sales administration on the
# requests it created; a client never.
SEES_INTERNAL: dict[str, frozenset[str]] = {
    **{customer: frozenset() for customer in CUSTOMERS},
    **{agent: frozenset(OBJECTS) for agent in AGENTS},
    "sales": frozenset({"licence"}),
}
# Who writes internal notes: the back office, on what it sees the internal notes of.
WRITES_INTERNAL = SEES_INTERNAL
# Who comments: everyone on what they see, except sales administration outside Licences.
COMMENTS: dict[str, frozenset[str]] = {
    **{role: SEES[role] for role in CUSTOMERS + AGENTS},
    "sales": frozenset({"licence"}),
}

# Who answers a proposed resolution: the reporter (and the participants; none here).
ANSWERS: dict[str, frozenset[str]] = {
    "client": frozenset({"shared", "private", "licence"}),
    "outsider": frozenset({"foreign"}),
    **{role: frozenset() for role in ("colleague", *BACK_OFFICE)},
}

NOT_FOUND = 404
ROLE_GATE = 403  # a page of the other audience: the same refusal whatever the request


@dataclass(frozen=True)
class Check:
    """One address, asked by a person about one request: ``expect(role, obj)`` the status."""

    name: str
    method: str
    path: str  # with {key} and {public} / {internal} (attachment tokens)
    body: dict | None
    seen: int  # the answer to someone who sees the request (and may do this)
    refused: int | None = None  # the answer to someone who sees it but may not do this
    allowed: dict[str, frozenset[str]] | None = None  # who may do it; None: who sees it
    page: str = ""  # an HTML page: "portal" (customers), "agent" (back office), "any"
    api: bool = True

    def expect(self, role: str, obj: str) -> int:
        if self.page == "portal" and role not in CUSTOMERS:
            return ROLE_GATE
        if self.page == "agent" and role not in BACK_OFFICE:
            return ROLE_GATE
        if obj not in SEES[role]:
            return NOT_FOUND
        if self.allowed is not None and obj not in self.allowed[role]:
            assert self.refused is not None
            return self.refused
        return self.seen


API = "/api/v1/requests/{key}/"
CHECKS: tuple[Check, ...] = (
    # The API: every endpoint about one request.
    Check("api detail", "get", API, None, 200),
    Check("api comments", "get", API + "comments/", None, 200),
    Check("api attachments", "get", API + "attachments/", None, 200),
    Check("api public file", "get", API + "attachments/{public}/", None, 200),
    # Someone who sees the request but not its internal notes: the file does not exist.
    Check("api internal file", "get", API + "attachments/{internal}/", None, 200,
          refused=NOT_FOUND, allowed=SEES_INTERNAL),
    Check("api transitions", "get", API + "transitions/", None, 200),
    Check("api mute state", "get", API + "mute/", None, 200),
    # "Clore" on an open request: nobody may, and whoever sees the request hears why.
    Check("api transition", "post", API + "transitions/close/", {}, 409),
    Check("api comment", "post", API + "comments/", {"body": "Bonjour"}, 201,
          refused=403, allowed=COMMENTS),
    Check("api internal note", "post", API + "comments/", {"body": "Note", "is_internal": True},
          201, refused=403, allowed=WRITES_INTERNAL),
    # No resolution was proposed: the reporter hears that (409), anyone else that it is not
    # theirs to answer (403).
    Check("api resolution", "post", API + "resolution/", {"confirmed": True}, 409,
          refused=403, allowed=ANSWERS),
    Check("api mute", "put", API + "mute/", None, 200),
    Check("api unmute", "delete", API + "mute/", None, 200),
    # The pages: each audience's request page, and the file download every page links to.
    Check("portal page", "get", "/portal/requests/{key}/", None, 200, page="portal", api=False),
    Check("agent page", "get", "/agent/requests/{key}/", None, 200, page="agent", api=False),
    Check("public file page", "get", "/attachments/{public}/", None, 200, page="any",
          api=False),
    Check("internal file page", "get", "/attachments/{internal}/", None, 200,
          refused=NOT_FOUND, allowed=SEES_INTERNAL, page="any", api=False),
)

# The API's addresses about one request, by their URL name: each must be in ``CHECKS``.
API_ROUTES_CHECKED = {
    "request": "api detail",
    "request_comments": "api comments",
    "request_attachments": "api attachments",
    "request_attachment": "api public file",
    "request_transitions": "api transitions",
    "request_transition": "api transition",
    "request_resolution": "api resolution",
    "request_mute": "api mute",
}


def listed(role: str) -> frozenset[str]:
    """What the list shows this person: exactly what the request page would show them."""
    return SEES[role]
