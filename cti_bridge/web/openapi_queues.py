"""OpenAPI path of the agent's queue log-in and log-out (dynamic members, DESIGN.md 6.5)."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}

# One queue of the agent's list, as GET /api/agents/me and the agent_queues message give it.
QUEUE = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "logged_in": {"type": "boolean", "description": "as Asterisk last said"},
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    error = {"description": "Error", "content": {"application/json": {"schema": ERROR}}}
    return {str(code): error for code in codes}


QUEUE_PATHS: dict[str, Any] = {
    "/api/agents/me/queues": {
        "put": {
            "summary": "Log in to or out of one of the agent's queues",
            "description": (
                "Only a queue of the agent's list (422 otherwise). Logging in sends AMI "
                "QueueAdd for each of the agent's interfaces, named with their display name "
                "and, when they are away or in wrap-up, paused with the reason; logging out "
                "QueueRemove. Already logged in (out) is no error. 503 when no PBX is "
                "connected, 409 when it refuses. Audited (agent_queue). Every change, from "
                "here, a phone feature code or another tool (QueueMemberAdded, "
                "QueueMemberRemoved), reaches the agent's desks on /ws as {type: "
                "agent_queues, queues: [{name, logged_in}]}."
            ),
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["queue", "logged_in"],
                            "properties": {
                                "queue": {"type": "string"},
                                "logged_in": {"type": "boolean"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Asterisk took it; the state follows on /ws",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_errors(400, 401, 409, 415, 422, 503),
            },
        },
    },
}
