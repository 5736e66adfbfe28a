"""Security headers on every answer: a Content-Security-Policy, nosniff, a referrer policy and no framing.

Pages and scripts all come from this origin (gridmap.api.pages), so scripts and styles are `'self'`: no inline
script but the pages' import maps, each allowed by its sha256 (never 'unsafe-inline'), no inline style sheet or
style attribute (styles set from scripts through the CSSOM, as Leaflet and Swagger UI do, are allowed by CSP).
Images may also come from `data:`/`blob:` (icons, canvases) and from
the tile hosts of the configured base map (gridmap.api.base_map: a preset's hosts, settings.tiles_url's, or none
for local tiles). Tiles are images: connect-src stays 'self'.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridmap.api.pages import inline_script_hashes


def tile_source(tiles_url: str) -> str | None:
    """The CSP source allowing a tile URL template's host (`{s}.tile.example.org` as `*.tile.example.org`)."""
    parts = urlsplit(tiles_url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"  # a subdomain template such as {s} or webrd0{s}
    if any("{" in label for label in labels):
        return f"{parts.scheme}:"  # a template deeper in the host: CSP cannot express it more narrowly
    return f"{parts.scheme}://{'.'.join(labels)}"


def content_security_policy(image_sources: tuple[str, ...] = (), script_hashes: tuple[str, ...] = ()) -> str:
    """The policy every answer carries, allowing images from the base map's tile hosts (`image_sources`, CSP
    sources as `tile_source` makes them) and the inline scripts whose CSP hash sources ("'sha256-…'") are in
    `script_hashes`."""
    images = ["'self'", "data:", "blob:", *image_sources]
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self'",
        "img-src": " ".join(images),
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """Add the security headers to every HTTP answer (replacing any the route set)."""

    def __init__(
        self, app: ASGIApp, *, image_sources: tuple[str, ...] = (), script_hashes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(image_sources, script_hashes),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",  # tile hosts such as OSM ask for a Referer
            "X-Frame-Options": "DENY",
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI, *, image_sources: tuple[str, ...]) -> None:
    """Wrap the app's whole middleware stack in SecurityHeaders, so that even a 500 (answered by Starlette's
    outermost ServerErrorMiddleware, outside any middleware added with add_middleware) carries them. The policy
    allows the pages' import maps by their hashes, computed from the pages here, once per app."""
    build = app.build_middleware_stack
    script_hashes = inline_script_hashes()

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build(), image_sources=image_sources, script_hashes=script_hashes)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
