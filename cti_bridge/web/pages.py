"""The browser pages (agent desk), rendered from ``agent_ui/templates``."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from cti_bridge.web.keys import SETTINGS


@aiohttp_jinja2.template("desk.html")
async def desk(request: web.Request) -> dict[str, Any]:
    return {
        "dispositions": [
            {"code": d.code, "label": d.label, "requires_note": d.requires_note}
            for d in request.config_dict[SETTINGS].dispositions
        ],
    }
