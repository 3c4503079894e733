"""Reads, always scoped by the person reading. ``access`` holds the one access rule; the
page-specific reads (customer lists, agent queues) build on it in their own modules."""

from requests_app.selectors.access import (
    attachment_get_for_user,
    attachment_list_visible_to,
    comment_list_visible_to,
    is_muted,
    parse_request_key,
    participant_list,
    request_get_for_update,
    request_get_for_user,
    request_is_visible_to,
    request_list_visible_to,
    request_timeline,
    request_visible_q,
)

__all__ = [
    "attachment_get_for_user", "attachment_list_visible_to", "comment_list_visible_to",
    "is_muted", "parse_request_key", "participant_list", "request_get_for_update",
    "request_get_for_user", "request_is_visible_to", "request_list_visible_to",
    "request_timeline", "request_visible_q",
]
