"""OpenAPI path of a call's recording (``web/api_recordings.py``, DESIGN.md 6.5)."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_AUDIO = {"type": "string", "contentMediaType": "audio/wav"}

# The ``recording`` of an interaction wherever the API lists calls.
RECORDING_PROPERTY: dict[str, Any] = {
    "type": ["string", "null"],
    "description": "where to play the call's recording (GET, audio/wav); null: not recorded",
}

RECORDING_PATHS: dict[str, Any] = {
    "/api/calls/{call_id}/recording": {
        "parameters": [
            {"name": "call_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ],
        "get": {
            "summary": "The call's recording (audio/wav; Range requests for seeking). Only an "
            "agent the call was offered to or who took it, or a supervisor (403 otherwise); "
            "404 for an unknown call, a call not recorded, or a file missing from "
            "[recordings] directory. Each play is audited (recording_play): a request "
            "without Range or from byte 0",
            "parameters": [
                {"name": "Range", "in": "header", "required": False, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "The whole file",
                    "content": {"audio/wav": {"schema": _AUDIO}},
                },
                "206": {
                    "description": "The range asked for",
                    "content": {"audio/wav": {"schema": _AUDIO}},
                },
                "401": _ERROR,
                "403": _ERROR,
                "404": _ERROR,
                "416": {"description": "Range not satisfiable"},
            },
        },
    },
}
