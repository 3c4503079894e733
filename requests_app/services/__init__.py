"""Every write use case of the request app. Views, tasks and commands call these, nothing
else changes a request."""

from requests_app.services.attachments import (
    attachments_validate,
    pending_uploads_keep,
    pending_uploads_purge,
)
from requests_app.services.bulk import BULK_ASSIGN, BulkResult, requests_bulk_apply
from requests_app.services.comments import comment_add, resolution_confirm, resolution_deny
from requests_app.services.mentions import mentions_mark_read
from requests_app.services.people import (
    notifications_mute_set,
    participant_add,
    participant_remove,
)
from requests_app.services.requests import request_assign, request_create, request_update_details
from requests_app.services.satisfaction import satisfaction_rate
from requests_app.services.transitions import (
    TRANSITION_SERVICES,
    request_ask_customer,
    request_close,
    request_close_escalated,
    request_close_without_answer,
    request_close_without_follow_up,
    request_escalate_to_expert,
    request_fix_available,
    request_propose_resolution,
    request_qualify,
    request_return_to_service_desk,
    request_send_to_rnd,
    request_start,
    request_take_back,
    request_withdraw,
    transition_allowed,
)

__all__ = [
    "BULK_ASSIGN", "TRANSITION_SERVICES", "BulkResult", "attachments_validate", "comment_add",
    "mentions_mark_read",
    "notifications_mute_set",
    "participant_add", "participant_remove", "pending_uploads_keep", "pending_uploads_purge",
    "request_ask_customer", "request_assign",
    "request_close", "request_close_escalated", "request_close_without_answer",
    "request_close_without_follow_up", "request_create", "request_escalate_to_expert",
    "request_fix_available", "request_propose_resolution", "request_qualify",
    "request_return_to_service_desk", "request_send_to_rnd", "request_start",
    "request_take_back",
    "request_update_details", "request_withdraw", "requests_bulk_apply", "resolution_confirm",
    "resolution_deny", "satisfaction_rate", "transition_allowed",
]
