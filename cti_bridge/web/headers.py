"""Security headers on every response the web server sends.

A signal (``on_response_prepare``) rather than a middleware: it also sees the responses
that never pass back through a middleware, such as aiohttp's own 404s and static files.

Pages get a Content-Security-Policy that allows only this server's own scripts, styles and
sockets: the templates carry no inline script, style or handler (the one ``<script>`` in a
page is JSON data, which the browser does not run). Everything else gets a policy that
allows nothing, so a file served by mistake as HTML or SVG cannot run either.
"""

from __future__ import annotations

import re

from aiohttp import web

EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'{sockets}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# A host (and port) as it may stand in a policy; anything else in Host is not echoed.
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in EVERYWHERE.items():
        response.headers.setdefault(name, value)
    if "Content-Security-Policy" in response.headers:
        return
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = page_policy(request.host)
    else:
        response.headers["Content-Security-Policy"] = OTHER_POLICY


def page_policy(host: str) -> str:
    """The pages' policy; the desk's socket is to the page's own host (ws:, or wss: behind
    TLS): named explicitly, as not every browser counts those as ``'self'``."""
    sockets = f" ws://{host} wss://{host}" if _HOST.fullmatch(host) else ""
    return PAGE_POLICY.format(sockets=sockets)
