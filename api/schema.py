"""The schema's shared error: one ``Error`` component, the codes it may carry, and the error
answers every operation can give (added to each operation by a drf-spectacular
post-processing hook rather than repeated on every view)."""

from __future__ import annotations

from typing import Any

from api.errors import ERROR_CODES

ERROR_REF = {"$ref": "#/components/schemas/Error"}

# Status -> what it means, for every operation (the schema's response descriptions).
COMMON_ERRORS = {
    "400": "Invalid input (invalid, malformed).",
    "401": "Not authenticated (not_authenticated, token_invalid, token_revoked, "
           "token_expired, account_inactive, second_factor_required).",
    "403": "Not allowed (forbidden, token_read_only).",
    "404": "Not found (not_found).",
    "405": "Method not allowed (method_not_allowed).",
    "406": "Not acceptable (not_acceptable).",
    "415": "Unsupported media type (unsupported_media_type).",
    "429": "Rate limited (rate_limited): retry after the Retry-After header's seconds.",
}
# Only where a write can meet them.
WRITE_ERRORS = {"409": "Conflict (transition_not_allowed, stale, closed)."}


def error_component() -> dict[str, Any]:
    table = "\n".join(f"- `{code}` ({status}): {description}"
                      for code, (status, description) in ERROR_CODES.items())
    return {
        "type": "object",
        "description": "Every error of the API. Codes are stable:\n\n" + table,
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string", "example": "not_found"},
                    "message": {"type": "string",
                                "description": "For people, in the caller's language."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "array",
                                                 "items": {"type": "string"}},
                        "description": "The refused fields and why (nested fields joined "
                                       "by dots); empty when no field is at fault.",
                    },
                },
                "required": ["code", "message", "fields"],
            },
        },
        "required": ["error"],
    }


def _error_response(description: str, status: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": ERROR_REF}}}
    if status == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                               "description": "Seconds to wait."}}
    return response


def error_responses_add(result: dict[str, Any], generator: Any, request: Any, public: bool
                        ) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: the Error component, and each operation's error answers
    (those it declares itself are kept)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = error_component()
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(COMMON_ERRORS)
            if method in {"post", "put", "patch", "delete"}:
                errors.update(WRITE_ERRORS)
            for status, description in errors.items():
                operation["responses"].setdefault(status, _error_response(description, status))
    return result
