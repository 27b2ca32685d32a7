"""The OpenAPI 3.1 description of the REST API (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from cti_bridge import __version__
from cti_bridge.core.states import AgentStatus, Grade, Priority, Segment, TicketKind, values
from cti_bridge.web.openapi_control import CONTROL_PATHS
from cti_bridge.web.openapi_ivr import IVR_PATHS, SECURITY_SCHEME
from cti_bridge.web.openapi_missed import MISSED_PATHS
from cti_bridge.web.openapi_queues import QUEUE, QUEUE_PATHS
from cti_bridge.web.openapi_recordings import RECORDING_PATHS, RECORDING_PROPERTY
from cti_bridge.web.openapi_supervisor import SUPERVISOR_PATHS, TICKET_SLA_PROPERTIES

# An agent sets any status but offline, which only logging out gives.
_SETTABLE_STATUSES = [s for s in values(AgentStatus) if s != AgentStatus.OFFLINE]

ERROR = {"$ref": "#/components/schemas/Error"}


# A write taken while the database is unreachable: in the local journal, written later.
HELD = "Accepted into the journal (database unreachable); written when it is back"


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _json(ERROR, "Error") for code in codes}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


OBJ = {"type": "object"}
CUSTOMER = {"$ref": "#/components/schemas/Customer"}
TICKET = {"$ref": "#/components/schemas/Ticket"}

PATHS: dict[str, Any] = {
    "/api/session": {
        "post": {
            "summary": "Log in; sets the session cookie",
            "security": [],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                }
            ),
            "responses": {"200": _json(OBJ), **_errors(400, 401, 415, 422, 429, 503)},
        },
        "get": {"summary": "The logged-in agent", "responses": {"200": _json(OBJ), **_errors(401)}},
        "delete": {"summary": "Log out", "responses": {"200": _json(OBJ), **_errors(401)}},
    },
    "/api/customers": {
        "get": {
            "summary": "Customers matching a phone number",
            "parameters": [
                {"name": "phone", "in": "query", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"matches": {"type": "array", "items": CUSTOMER}},
                    }
                ),
                **_errors(400, 401),
            },
        },
        "post": {
            "summary": "Create a customer",
            "requestBody": _body({"$ref": "#/components/schemas/CustomerInput"}),
            "responses": {"201": _json(CUSTOMER), **_errors(400, 401, 409, 415, 422)},
        },
    },
    "/api/customers/{customer_id}": {
        "parameters": [_path_id("customer_id")],
        "get": {
            "summary": "A customer's card (audited)",
            "responses": {"200": _json(CUSTOMER), **_errors(401, 404)},
        },
        "patch": {
            "summary": "Edit a customer (audited)",
            "requestBody": _body({"$ref": "#/components/schemas/CustomerInput"}),
            "responses": {
                "200": _json(CUSTOMER),
                "202": _json(OBJ, HELD),
                **_errors(400, 401, 404, 409, 415, 422),
            },
        },
    },
    "/api/calls": {
        "post": {
            "summary": "Click-to-dial from the agent's phone",
            "requestBody": _body(
                {
                    "type": "object",
                    "properties": {
                        "number": {
                            "type": "string",
                            "description": "digits with an optional leading +, or digits "
                            "with * and #; spaces, dashes, dots and parentheses are dropped",
                        },
                        "customer_id": {"type": "integer"},
                    },
                }
            ),
            "responses": {"202": _json(OBJ), **_errors(400, 401, 422, 503)},
        },
    },
    "/api/calls/{call_id}/disposition": {
        "parameters": [
            {"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "post": {
            "summary": "Log a call's outcome; idempotent by request_id. Only an agent the "
            "call was offered to or who took it, or a supervisor (403 otherwise; 503 when "
            "that cannot be checked without the database)",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string"},
                        "notes": {"type": "string"},
                        "customer_id": {"type": "integer"},
                        "request_id": {"type": "string", "maxLength": 64},
                    },
                }
            ),
            "responses": {
                "201": _json(OBJ, "Recorded"),
                "200": _json(OBJ, "Already recorded under this request_id"),
                "202": _json(OBJ, HELD),
                **_errors(400, 401, 403, 404, 409, 415, 422, 503),
            },
        },
    },
    "/api/tickets": {
        "get": {
            "summary": "Tickets by status, lateness, assignee (audited: ticket_search)",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                {"name": "assignee", "in": "query", "schema": {"type": "string"}},
                {"name": "customer_id", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {"tickets": {"type": "array", "items": TICKET}},
                    }
                ),
                **_errors(400, 401),
            },
        },
        "post": {
            "summary": "Open an inquiry, service request or complaint",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["customer_id", "kind", "subject"],
                    "properties": {
                        "customer_id": {"type": "integer"},
                        "kind": {"enum": values(TicketKind)},
                        "subject": {"type": "string"},
                        "priority": {"enum": values(Priority)},
                        "description": {"type": "string"},
                        "call_id": {"type": "string"},
                        "assignee_id": {"type": "integer"},
                        "category": {
                            "type": "string",
                            "description": "empty or one of [complaints] categories",
                        },
                        "request_id": {"type": "string"},
                        "channel": {"enum": ["phone", "web", "email", "ivr", "chat", "letter"]},
                    },
                }
            ),
            "responses": {
                "201": _json(TICKET),
                "202": _json(OBJ, HELD),
                **_errors(400, 401, 403, 415, 422),
            },
        },
    },
    "/api/tickets/{ticket_id}": {
        "parameters": [_path_id("ticket_id")],
        "get": {
            "summary": "A ticket with its history (audited: ticket_view)",
            "responses": {"200": _json(TICKET), **_errors(401, 404)},
        },
        "patch": {
            "summary": "Update a ticket: its assignee or a supervisor (due_at and assignee_id: "
            "supervisors only); an unassigned ticket is taken by the agent who changes it; a "
            "complaint is resolved or closed only through its complaint-steps (409)",
            "requestBody": _body(OBJ),
            "responses": {
                "200": _json(TICKET),
                **_errors(400, 401, 403, 404, 409, 415, 422),
            },
        },
    },
    "/healthz": {
        "get": {"summary": "Process is up", "security": [], "responses": {"200": _json(OBJ)}}
    },
    "/readyz": {
        "get": {
            "summary": "Database reachable and AMI connected",
            "security": [],
            "responses": {
                "200": _json(
                    OBJ,
                    "status ready, or degraded: Redis or the database away but "
                    "pops and acknowledged writes go on (journal)",
                ),
                "503": _json(OBJ, "Not ready"),
            },
        }
    },
}

# The agent desk's additions.
_NOTE_BODY = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "maxLength": 4000},
        "call_id": {"type": "string"},
        "request_id": {"type": "string", "maxLength": 64},
    },
}
_TIMELINE = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "description": "Newest first: calls, tickets and notes of the customer",
            "items": {
                "type": "object",
                "required": ["kind", "at", "agent"],
                "properties": {
                    "kind": {"enum": ["call", "ticket", "note"]},
                    "at": {"type": "string", "format": "date-time"},
                    "agent": {"type": ["string", "null"]},
                    "outcome": {"type": ["string", "null"]},
                    "code": {"type": ["string", "null"]},
                    "text": {"type": "string"},
                    "call_id": {"type": "string", "description": "calls and notes on a call"},
                    "recording": {
                        **RECORDING_PROPERTY,
                        "description": "calls only: " + RECORDING_PROPERTY["description"],
                    },
                },
            },
        }
    },
}
_ME = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "username": {"type": "string"},
        "name": {"type": "string"},
        "role": {"type": "string"},
        "language": {"enum": ["en", "zh-CN"]},
        "status": {"enum": values(AgentStatus)},
        "reason": {"type": ["string", "null"], "description": "why away (desk or PBX)"},
        "since": {"type": ["string", "null"], "format": "date-time"},
        "pause_reasons": {"type": "array", "items": {"type": "string"}},
        "wrapup_seconds": {"type": "integer", "description": "0: no automatic wrap-up"},
        "queues": {
            "type": "array",
            "items": QUEUE,
            "description": "the queues with dynamic members the agent may log in to",
        },
    },
}
PATHS.update(
    {
        "/api/customers/{customer_id}/notes": {
            "parameters": [_path_id("customer_id")],
            "post": {
                "summary": "Add a note to a customer; idempotent by request_id",
                "requestBody": _body(_NOTE_BODY),
                "responses": {
                    "201": _json(OBJ, "Added"),
                    "200": _json(OBJ, "Already added under this request_id"),
                    **_errors(400, 401, 404, 409, 415, 422),
                },
            },
        },
        "/api/customers/{customer_id}/timeline": {
            "parameters": [_path_id("customer_id")],
            "get": {
                "summary": "The customer's last calls, tickets and notes, newest first",
                "responses": {"200": _json(_TIMELINE), **_errors(401, 404)},
            },
        },
        "/api/caller-choices": {
            "post": {
                "summary": "Remember which of several customers sharing a number is the caller",
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["number", "customer_id"],
                        "properties": {
                            "number": {"type": "string"},
                            "customer_id": {"type": "integer"},
                            "call_id": {"type": "string"},
                        },
                    }
                ),
                "responses": {"200": _json(OBJ), **_errors(400, 401, 415, 422)},
            },
        },
        "/api/agents/me": {
            "get": {"summary": "The agent's profile and status", "responses": {"200": _json(_ME)}},
            "patch": {
                "summary": "Change the agent's desk language",
                "requestBody": _body(
                    {"type": "object", "properties": {"language": {"enum": ["en", "zh-CN"]}}}
                ),
                "responses": {"200": _json(_ME), **_errors(400, 401, 415, 422)},
            },
        },
        "/api/agents/me/status": {
            "put": {
                "summary": "Set the agent's status (shown to supervisors)",
                "description": (
                    "away and wrap_up pause the agent's interfaces in every queue in "
                    "Asterisk (QueuePause with the reason), available unpauses them. Every "
                    "change, from here, the PBX (QueueMemberPause) or the end of wrap-up, "
                    "reaches the agent's desks on /ws as {type: agent_status, status, "
                    "reason, since, origin: desk|pbx|wrapup, wrapup_seconds}."
                ),
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["status"],
                        "properties": {
                            "status": {"enum": _SETTABLE_STATUSES},
                            "reason": {
                                "type": "string",
                                "description": "one of [desk] pause_reasons (400 otherwise)",
                            },
                        },
                    }
                ),
                "responses": {"200": _json(OBJ), **_errors(400, 401, 415, 422)},
            },
        },
    }
)

# The IVR's routes: bearer token instead of a session.
PATHS.update(IVR_PATHS)
PATHS.update(SUPERVISOR_PATHS)
PATHS.update(MISSED_PATHS)
PATHS.update(CONTROL_PATHS)
PATHS.update(QUEUE_PATHS)
PATHS.update(RECORDING_PATHS)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "CustomerInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "company": {"type": "string"},
            "grade": {"enum": values(Grade)},
            "segment": {"enum": values(Segment)},
            "vip": {"type": "boolean"},
            "birthday": {"type": ["string", "null"], "format": "date"},
            "region": {"type": "string"},
            "language": {"type": "string"},
            "email": {"type": "string"},
            "notes": {"type": "string"},
            "external_ref": {"type": ["string", "null"]},
            "phones": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Customer": {
        "type": "object",
        "required": [
            "id",
            "name",
            "grade",
            "segment",
            "vip",
            "flags",
            "phones",
            "open_tickets",
            "recent_interactions",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "grade": {"type": "string"},
            "segment": {"type": "string"},
            "vip": {"type": "boolean"},
            "flags": {"type": "array", "items": {"type": "string"}},
            "phones": {"type": "array", "items": {"type": "string"}},
            "open_tickets": {"type": "array", "items": TICKET},
            "recent_interactions": {
                "type": "array",
                "items": {"type": "object", "properties": {"recording": RECORDING_PROPERTY}},
            },
        },
    },
    "Ticket": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "customer_id": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"type": "string"},
            "priority": {"type": "string"},
            "subject": {"type": "string"},
            "due_at": {"type": ["string", "null"], "format": "date-time"},
            "overdue": {"type": "boolean"},
            **TICKET_SLA_PROPERTIES,
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "CTI Bridge API", "version": __version__},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "cti_session"},
                "ivr_token": SECURITY_SCHEME,
            },
        },
        "security": [{"session": []}],
        "paths": PATHS,
    }
