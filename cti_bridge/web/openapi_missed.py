"""OpenAPI paths of ``/api/missed-calls`` (see ``web/api_missed.py``)."""

from __future__ import annotations

from typing import Any


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): _json({"$ref": "#/components/schemas/Error"}, "Error") for c in codes}


_WHO = {
    "type": ["object", "null"],
    "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}},
}
MISSED_CALL: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "call_id": {"type": "string"},
        "outcome": {"type": "string", "enum": ["missed", "abandoned"]},
        "caller": {
            "type": "object",
            "properties": {"number": {"type": "string"}, "name": {"type": "string"}},
        },
        "customer": _WHO,
        "queue": {"type": ["string", "null"]},
        "at": {"type": "string", "format": "date-time", "description": "when the call came"},
        "waited_seconds": {"type": ["number", "null"]},
        "claimed_by": {**_WHO, "description": "the agent who took the call-back"},
        "claimed_at": {"type": ["string", "null"], "format": "date-time"},
        "called_back": {
            "type": "boolean",
            "description": "the claimed call-back was placed, or a later call with this "
            "number was answered",
        },
        "called_back_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

MISSED_PATHS: dict[str, Any] = {
    "/api/missed-calls": {
        "get": {
            "summary": "Missed and abandoned calls, newest first: an agent sees the team's "
            "of the last 24 hours, a supervisor all",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
                {
                    "name": "before",
                    "in": "query",
                    "description": "the page after this id (next_before of the last page)",
                    "schema": {"type": "integer"},
                },
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "items": {"type": "array", "items": MISSED_CALL},
                            "next_before": {"type": ["integer", "null"]},
                        },
                    }
                ),
                **_errors(401, 422),
            },
        },
    },
    "/api/missed-calls/{missed_id}/callback": {
        "parameters": [
            {"name": "missed_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "post": {
            "summary": "Claim the call-back and ring the agent's phone, then the caller. The "
            "first agent wins; another gets 409 with claimed_by; the same agent again gets "
            "200 and no second call",
            "responses": {
                "202": _json(
                    {
                        "type": "object",
                        "properties": {
                            "status": {"const": "dialing"},
                            "number": {"type": "string"},
                            "missed_call": MISSED_CALL,
                        },
                    },
                    "Claimed; the call-back is being placed",
                ),
                "200": _json(
                    {"type": "object", "properties": {"missed_call": MISSED_CALL}},
                    "Already called back by this agent",
                ),
                **_errors(401, 404, 409, 422, 503),
            },
        },
    },
}
