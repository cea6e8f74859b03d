"""The browser softphone's names and credentials, derived in one place.

Every agent has two PBX endpoints: ``<sip_username>`` for a SIP phone and
``<sip_username>-web`` for the softphone in the workbench page (WebRTC over the PBX's
WebSocket transport). Both share the agent's password, context and caller ID; a call to
the agent's extension rings whichever is signed in (docs/webrtc.md).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from engine.agents.models import Agent
from engine.settings import Settings
from engine.validation import HOST_RE

# The web endpoint is the SIP endpoint's name plus this word (after a hyphen, so no
# extension digits can ever make one agent's web name equal another agent's name).
WEB_WORD = "web"
# The path res_http_websocket serves PJSIP's WebSocket on.
WEBSOCKET_PATH = "/ws"
# The echo test in every agent's context (the network check calls it): a fixed name, no
# digits, so no extension or number can take it; answered, then everything the agent
# sends comes back, for at most ECHO_SECONDS.
ECHO_EXTENSION = "echo"
ECHO_SECONDS = 30


def web_username(sip_username: str) -> str:
    """The browser endpoint's name (and digest user name) of an agent's SIP endpoint."""
    return f"{sip_username}-{WEB_WORD}"


@dataclass(frozen=True)
class WebPhone:
    """What the page's softphone needs to sign in: where, as whom, with what."""

    websocket_url: str
    sip_domain: str
    username: str
    password: str
    extension: str

    def as_json(self) -> dict:
        return {"websocket_url": self.websocket_url, "sip_domain": self.sip_domain,
                "username": self.username, "password": self.password,
                "extension": self.extension}


def pbx_host(settings: Settings, page_host: str) -> str:
    """The host name the browser reaches the PBX's HTTP server at.

    A server bound to one address is reached there; one bound to every address is on
    the same host as the web app, so at the name the browser already used for the page
    (checked: it is written into a header and a URL).
    """
    bind = ipaddress.ip_address(settings.pbx_http_bind)
    if not bind.is_unspecified:
        return f"[{bind}]" if bind.version == 6 else str(bind)
    name = page_host.rsplit(":", 1)[0] if not page_host.startswith("[") else ""
    return name if HOST_RE.fullmatch(name or "") else str(settings.web_bind)


def websocket_protocol(settings: Settings) -> str:
    """The browsers' transport: "wss" (the PBX's TLS server, with the web app's
    certificate) when the site has TLS, else "ws" (loopback pages only)."""
    return "wss" if settings.tls else "ws"


def websocket_port(settings: Settings) -> int:
    return settings.pbx_https_port if settings.tls else settings.pbx_http_port


def websocket_origin(settings: Settings, page_host: str) -> str:
    """``ws[s]://host:port``: the one origin besides its own a workbench page may connect
    to."""
    return (f"{websocket_protocol(settings)}://{pbx_host(settings, page_host)}:"
            f"{websocket_port(settings)}")


def web_phone(settings: Settings, agent: Agent, page_host: str) -> WebPhone:
    """The agent's browser softphone credentials and the PBX's WebSocket address."""
    return WebPhone(websocket_url=websocket_origin(settings, page_host) + WEBSOCKET_PATH,
                    sip_domain=pbx_host(settings, page_host),
                    username=web_username(agent.sip_username), password=agent.sip_secret,
                    extension=agent.extension)
