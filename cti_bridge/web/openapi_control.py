"""OpenAPI paths of call control from the pop: hang-up, transfer and who a call may be
transferred to (DESIGN.md 6.5)."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}

_CALL_ID = {"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}
_WHO = (
    "Only an agent whose leg of the call is live, or a supervisor (403 otherwise); 404 for "
    "an unknown or ended call; 503 when no PBX is connected; 409 when the PBX refuses. "
    "Audited"
)


def _json(description: str) -> dict[str, Any]:
    schema = {"type": "object"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_TARGET_AGENT = {
    "type": "object",
    "required": ["username", "name", "status", "reason", "on_call"],
    "properties": {
        "username": {"type": "string", "description": "what to give as 'to'"},
        "name": {"type": "string"},
        "status": {
            "enum": ["available", "away", "wrap_up", "offline"],
            "description": "the status the agent chose; offline when no desk of theirs is open",
        },
        "reason": {"type": ["string", "null"], "description": "why away or in wrap-up"},
        "on_call": {"type": "boolean", "description": "a call talks to or rings them"},
    },
}
_TARGETS = {
    "type": "object",
    "required": ["agents", "queues"],
    "properties": {
        "agents": {"type": "array", "items": _TARGET_AGENT},
        "queues": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the queues of [asterisk] transfer_queues",
        },
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    error = {"description": "Error", "content": {"application/json": {"schema": ERROR}}}
    return {str(code): error for code in codes}


CONTROL_PATHS: dict[str, Any] = {
    "/api/transfer-targets": {
        "get": {
            "summary": "Who and where a call may be transferred to: every other active agent "
            "with a phone, with their live state as on the supervisors' board (no caller "
            "data), and the transfer queues. Any logged-in agent",
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _TARGETS}},
                },
                **_errors(401),
            },
        },
    },
    "/api/calls/{call_id}/hangup": {
        "parameters": [_CALL_ID],
        "post": {
            "summary": "Hang up: the agent's own leg (AMI Hangup); a supervisor not on the "
            f"call hangs up the talking agent's leg, else the caller's. {_WHO} "
            "(call_hangup)",
            "responses": {
                "202": _json("Sent to the PBX; the call's end reaches the desks as events"),
                **_errors(401, 403, 404, 409, 503),
            },
        },
    },
    "/api/calls/{call_id}/transfer": {
        "parameters": [_CALL_ID],
        "post": {
            "summary": "Transfer the caller (AMI BlindTransfer or Atxfer, in the server's "
            "transfer_context). An attended transfer completes when the agent hangs up "
            f"after talking to the colleague. {_WHO} (call_transfer)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["to"],
                            "properties": {
                                "to": {
                                    "type": "string",
                                    "description": "an agent's username (their phone's "
                                    "extension), a queue of [asterisk] transfer_queues (its "
                                    "extension), or a dialable number",
                                },
                                "mode": {"enum": ["blind", "attended"], "default": "blind"},
                                "note": {
                                    "type": "string",
                                    "maxLength": 2000,
                                    "description": "reaches the receiving agent's pop in "
                                    "handoff.notes",
                                },
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": _json("Sent to the PBX: {status, to, kind, exten, mode}"),
                **_errors(400, 401, 403, 404, 409, 415, 503),
            },
        },
    },
}
