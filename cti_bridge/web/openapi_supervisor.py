"""OpenAPI description of the supervisor's routes (merged into ``/api/openapi.json``):
board, complaints and their steps, figures; plus the service-level fields of a ticket."""

from __future__ import annotations

from typing import Any

from cti_bridge.core.agent_time import CSV_COLUMNS as AGENT_TIME_COLUMNS
from cti_bridge.core.figures import CSV_COLUMNS
from cti_bridge.core.states import ComplaintStep, SlaState, SlaTarget, values

_ERROR = {"$ref": "#/components/schemas/Error"}
_TICKET = {"$ref": "#/components/schemas/Ticket"}
_LIST = {"type": "array", "items": {"type": "object"}}


def _ok(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"description": "OK", "content": {media: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(c): {"description": "Error", "content": {"application/json": {"schema": _ERROR}}}
        for c in codes
    }


_LATE_TICKET = {
    "type": "object",
    "description": "A late ticket: late_seconds > 0 past its deadline, < 0 before it, null paused",
    "properties": {
        "id": {"type": "integer"},
        "customer": {"type": "object"},
        "subject": {"type": "string"},
        "target": {"enum": values(SlaTarget)},
        "level": {"type": "integer"},
        "due_at": {"type": ["string", "null"], "format": "date-time"},
        "late_seconds": {"type": ["integer", "null"]},
        "assignee_id": {"type": ["integer", "null"]},
        "assignee": {"type": ["string", "null"]},
    },
}
_PERIOD = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
]
_SECONDS = {"type": "number", "description": "seconds"}
_AGENT_TIME = {
    "type": "object",
    "description": (
        "Where an agent's time went in the period (up to now): talking wins over ringing, "
        "ringing over the status; offline time is not counted"
    ),
    "required": ["agent_id", "label", "ready", "ringing", "talking", "wrap_up", "paused"],
    "properties": {
        "agent_id": {"type": "integer"},
        "label": {"type": "string"},
        "ready": _SECONDS,
        "ringing": _SECONDS,
        "talking": _SECONDS,
        "wrap_up": _SECONDS,
        "paused": _SECONDS,
        "paused_by_reason": {"type": "object", "additionalProperties": _SECONDS},
        "occupancy": {
            "type": ["number", "null"],
            "description": "(talking + wrap_up) / (talking + wrap_up + ready) in %",
        },
    },
}
_FIGURES = {
    "type": "object",
    "properties": {
        "from": {"type": "string", "format": "date"},
        "to": {"type": "string", "format": "date"},
        "timezone": {"type": "string"},
        "totals": {"type": "object"},
        "rows": {
            "type": "object",
            "properties": {d: _LIST for d in ("agent", "queue", "category", "week")},
        },
        "agent_time": {"type": "array", "items": _AGENT_TIME},
    },
}

SUPERVISOR_PATHS: dict[str, Any] = {
    "/api/supervisor/board": {
        "get": {
            "summary": "The live board (supervisor role; 403 for agents)",
            "responses": {
                "200": _ok(
                    {
                        "type": "object",
                        "required": ["calls", "agents", "queues", "tickets"],
                        "properties": {
                            "calls": _LIST,
                            "agents": _LIST,
                            "queues": _LIST,
                            "tickets": {
                                "type": "object",
                                "properties": {
                                    "overdue": {"type": "array", "items": _LATE_TICKET},
                                    "due_soon": {"type": "array", "items": _LATE_TICKET},
                                },
                            },
                        },
                    }
                ),
                **_errors(401, 403),
            },
        }
    },
    "/api/supervisor/complaints": {
        "get": {
            "summary": "Complaints not yet closed, by step; the root-cause categories",
            "responses": {"200": _ok({"type": "object"}), **_errors(401, 403)},
        }
    },
    "/api/tickets/{ticket_id}/complaint-steps": {
        "parameters": [
            {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "post": {
            "summary": "Move a complaint to its next step (assignee or supervisor)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["step"],
                            "properties": {
                                # A complaint starts received: every later step.
                                "step": {"enum": values(ComplaintStep)[1:]},
                                "note": {"type": "string"},
                                "responsible_party": {"type": "string"},
                                "category": {"type": "string"},
                                "root_cause": {"type": "string"},
                                "corrective_action": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {"200": _ok(_TICKET), **_errors(400, 401, 403, 404, 409, 415, 422)},
        },
    },
    "/api/reports/figures": {
        "get": {
            "summary": "Complaint rate, satisfaction, abandon rate, waits, first-contact fix rate",
            "parameters": _PERIOD,
            "responses": {"200": _ok(_FIGURES), **_errors(400, 401, 403)},
        }
    },
    "/api/reports/figures.csv": {
        "get": {
            "summary": f"The figures as CSV ({', '.join(CSV_COLUMNS)})",
            "parameters": _PERIOD,
            "responses": {"200": _ok({"type": "string"}, "text/csv"), **_errors(400, 401, 403)},
        }
    },
    "/api/reports/agent-time.csv": {
        "get": {
            "summary": (
                f"The agents' time as CSV ({', '.join(AGENT_TIME_COLUMNS)}, then "
                "paused:<reason> per pause reason), seconds and occupancy %"
            ),
            "parameters": _PERIOD,
            "responses": {"200": _ok({"type": "string"}, "text/csv"), **_errors(400, 401, 403)},
        }
    },
}

# Added to the Ticket schema's properties.
TICKET_SLA_PROPERTIES: dict[str, Any] = {
    "response_due_at": {"type": ["string", "null"], "format": "date-time"},
    "responded_at": {"type": ["string", "null"], "format": "date-time"},
    "complaint_step": {"type": "string"},
    "channel": {"type": "string"},
    "sla": {
        "type": "object",
        "properties": {
            "target": {"enum": values(SlaTarget)},
            "state": {"enum": values(SlaState)},
            "level": {"type": "integer"},
            "paused": {"type": "boolean"},
        },
    },
}
