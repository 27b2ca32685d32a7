"""OpenAPI description of ``/ivr/v1/*`` (merged into ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from cti_bridge.core.ivr import LOOKUP_VARIABLES

SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "a token of [ivr] tokens"}
_SECURITY: list[dict[str, list[str]]] = [{"ivr_token": []}]
_ERROR = {"$ref": "#/components/schemas/Error"}


def _query(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`vars`: KEY=VALUE lines; `hash`: KEY=VALUE&... for CURLOPT(hashcompat)",
    "schema": {"enum": ["json", "vars", "hash"]},
}
_CALLER = _query("caller", "the caller id as Asterisk has it (${CALLERID(num)})")
_ACCOUNT = _query("account", "an account reference (customer external_ref)")
_CALL_ID = _query("call_id", "pbx:linkedid of the call: ties the step to the agent's pop")


def _variables(names: list[str]) -> dict[str, Any]:
    properties = {name: {"type": "string"} for name in [*names, "CTI_STATUS"]}
    schema = {
        "type": "object",
        "properties": {"variables": {"type": "object", "properties": properties}},
    }
    return {
        "description": "The CTI_* channel variables; CTI_STATUS is ok, invalid or unavailable",
        "content": {
            "application/json": {"schema": schema},
            "text/plain": {"schema": {"type": "string", "description": "KEY=VALUE lines"}},
        },
    }


def _form(fields: dict[str, str], required: list[str]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": required,
        "properties": {k: {"type": "string", "description": d} for k, d in fields.items()},
    }
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": schema},
            "application/json": {"schema": schema},
        },
    }


def _operation(summary: str, variables: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": _SECURITY,
        "responses": {
            "200": _variables(variables),
            "401": {"description": "Missing or wrong bearer token", "content": _json_error()},
        },
        **extra,
    }


def _json_error() -> dict[str, Any]:
    return {"application/json": {"schema": _ERROR}}


LOOKUP = [*LOOKUP_VARIABLES, "CTI_MATCHES"]
TICKET = ["CTI_TICKET_STATUS", "CTI_TICKET_DUE", "CTI_TICKET_ID", "CTI_TICKET_KIND"]

IVR_PATHS: dict[str, Any] = {
    "/ivr/v1/lookup": {
        "get": _operation(
            "Who is calling: customer, grade, VIP, queue priority, open ticket (DESIGN 6.4)",
            LOOKUP,
            parameters=[_CALLER, _ACCOUNT, _FORMAT],
        )
    },
    "/ivr/v1/ticket_status": {
        "get": _operation(
            "The caller's latest open ticket",
            TICKET,
            parameters=[_CALLER, _ACCOUNT, _CALL_ID, _FORMAT],
        )
    },
    "/ivr/v1/identify": {
        "post": _operation(
            "Account reference + PIN; wrong PINs lock the reference for a while",
            ["CTI_IDENTIFIED", "CTI_LOCKED", *LOOKUP],
            parameters=[_FORMAT],
            requestBody=_form(
                {"account": "account reference", "pin": "digits", "call_id": "pbx:linkedid"},
                ["account", "pin"],
            ),
        )
    },
    "/ivr/v1/callback": {
        "post": _operation(
            "Open a service ticket asking an agent to call back (once per call)",
            ["CTI_CALLBACK", "CTI_TICKET_ID"],
            parameters=[_FORMAT],
            requestBody=_form(
                {
                    "caller": "caller id",
                    "account": "account reference",
                    "call_id": "pbx:linkedid",
                    "number": "number to call back (default: the caller id)",
                },
                [],
            ),
        )
    },
    "/ivr/v1/survey": {
        "post": _operation(
            "Post-call satisfaction 1-5, stored on the call's interaction",
            ["CTI_SURVEY_SAVED"],
            parameters=[_FORMAT],
            requestBody=_form({"call_id": "pbx:linkedid", "score": "1 to 5"}, ["call_id", "score"]),
        )
    },
    "/ivr/v1/choice": {
        "post": _operation(
            "Remember a menu choice and the digits entered, for the agent's pop",
            [],
            parameters=[_FORMAT],
            requestBody=_form(
                {"call_id": "pbx:linkedid", "option": "menu option", "digits": "DTMF digits"},
                ["call_id", "option"],
            ),
        )
    },
}
