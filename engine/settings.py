"""Where things live and which ports they use, read from the environment.

One frozen object is passed everywhere instead of reading ``os.environ`` in many
places, so a test can run a second, isolated call center beside ``make run``.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

SITES_DIR_IN_PBX = Path("/var/lib/ccc/sites")


@dataclass(frozen=True)
class Settings:
    database_url: str
    var_dir: Path
    pbx_root: Path          # the chroot holding Asterisk ("/" for a host-installed one)
    site: str               # one PBX configuration set inside that root
    sip_bind: str
    sip_port: int
    ami_port: int
    agi_port: int
    rtp_start: int
    rtp_end: int
    # The PBX's own HTTP server, which carries the browsers' SIP over WebSocket. Loopback
    # by default, like the web app: a browser grants a page the microphone only on a
    # secure origin (https, or a loopback http address), so until the web app is served
    # over TLS only a browser on this host can use the softphone, and the PBX needs to
    # listen no wider (docs/webrtc.md).
    pbx_http_bind: str = "127.0.0.1"
    pbx_http_port: int = 8088
    web_bind: str = "127.0.0.1"
    web_port: int = 8080
    billing_utc_offset_minutes: int = 480  # the billing clock: months start at its midnight
    # An address that fails to sign in to the PBX ban_after times within ban_within
    # seconds is refused for ban_seconds.
    ban_after: int = 20
    ban_within: int = 300
    ban_seconds: int = 3600
    # Non-public address ranges an IVR flow's HTTP call may reach (none by default).
    ivr_http_allow: tuple = ()
    # How people reach the web admin and the workbench (printed in links); empty: the
    # bind address and port.
    web_url: str = ""
    # Prometheus' /metrics of ccc serve: loopback by default, like the web app (they
    # name queues and counts, nothing secret, but are no business of the Internet);
    # port 0 turns it off.
    metrics_bind: str = "127.0.0.1"
    metrics_port: int = 9464
    # TLS for the web app (HTTPS), SIP (a TLS transport) and the browsers' WebSocket
    # (WSS), all from one certificate and key: the configured pair, or a self-signed one
    # generated on first use in var_dir/tls (provisioning/tls.py).
    tls: bool = False
    tls_cert: str = ""
    tls_key: str = ""
    sip_tls_port: int = 5061
    # The PBX's HTTP server with TLS: the browsers' secure WebSocket (wss).
    pbx_https_port: int = 8089
    # How much the long-running processes log (ccc serve, the web server): a logging
    # level name.
    log_level: str = "INFO"
    # The PBX's call-record journal and queue log are rotated by `ccc serve` when one
    # passes this many bytes (0: never for size) and, if journal_rotate_daily, at
    # midnight of the billing clock; journal_keep rotated files of each are kept (0: all).
    journal_rotate_bytes: int = 100 * 1024 * 1024
    journal_rotate_daily: bool = True
    journal_keep: int = 90

    @property
    def web_scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def public_web_url(self) -> str:
        return (self.web_url or f"{self.web_scheme}://{self.web_bind}:{self.web_port}").rstrip("/")

    @property
    def tls_dir(self) -> Path:
        """Where a self-signed certificate and its key are generated."""
        return self.var_dir / "tls"

    @property
    def site_dir_in_pbx(self) -> Path:
        """The site directory as Asterisk (inside the chroot) sees it."""
        return SITES_DIR_IN_PBX / self.site

    @property
    def site_dir(self) -> Path:
        """The same directory as this process (outside the chroot) sees it."""
        return self.pbx_root / self.site_dir_in_pbx.relative_to("/")

    @property
    def recordings_dir_in_pbx(self) -> Path:
        """Call recordings as Asterisk writes them: one folder per instance key, one WAV
        per call named by its linked id."""
        return self.site_dir_in_pbx / "recordings"

    @property
    def recordings_dir(self) -> Path:
        return self.site_dir / "recordings"

    @property
    def security_log(self) -> Path:
        """Asterisk's security events (res_security_log, logger.conf)."""
        return self.site_dir / "log" / "security.log"

    @property
    def cdr_file(self) -> Path:
        """The PBX's own durable call-record journal (cdr_custom writes it)."""
        return self.site_dir / "log" / "cdr-custom" / "ccc.csv"

    @property
    def queue_log(self) -> Path:
        """The PBX's queue log: every queue's events, for the reports (logger.conf)."""
        return self.site_dir / "log" / "queue_log"


def _port_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high)


def _default_pbx_root() -> str:
    # An Asterisk installed on the host (from a distribution package) is used as is;
    # otherwise provisioning builds a chroot that carries one (Debian 12 has none).
    return "/" if Path("/usr/sbin/asterisk").exists() else "/var/lib/ccc/pbx-root"


def _utc_offset_minutes(text: str) -> int:
    # "+08:00" (China Standard Time, the default billing clock) -> 480
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return sign * (int(hours) * 60 + int(minutes or 0))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from ``CCC_*`` environment variables (defaults suit ``make run``)."""
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("CCC_VAR_DIR", Path.cwd() / "var")).absolute()
    rtp_start, rtp_end = _port_range(env.get("CCC_RTP_PORTS", "10000-10999"))
    return Settings(
        database_url=env.get("CCC_DATABASE_URL", f"sqlite:///{var_dir / 'ccc.sqlite3'}"),
        var_dir=var_dir,
        pbx_root=Path(env.get("CCC_PBX_ROOT") or _default_pbx_root()),
        site=env.get("CCC_PBX_SITE", "default"),
        sip_bind=env.get("CCC_SIP_BIND", "0.0.0.0"),
        sip_port=int(env.get("CCC_SIP_PORT", "5060")),
        ami_port=int(env.get("CCC_AMI_PORT", "5038")),
        agi_port=int(env.get("CCC_AGI_PORT", "4573")),
        rtp_start=rtp_start,
        rtp_end=rtp_end,
        pbx_http_bind=env.get("CCC_PBX_HTTP_BIND", "127.0.0.1"),
        pbx_http_port=int(env.get("CCC_PBX_HTTP_PORT", "8088")),
        web_bind=env.get("CCC_WEB_BIND", "127.0.0.1"),
        web_port=int(env.get("CCC_WEB_PORT", "8080")),
        billing_utc_offset_minutes=_utc_offset_minutes(env.get("CCC_BILLING_UTC_OFFSET", "+08:00")),
        ban_after=int(env.get("CCC_BAN_AFTER", "20")),
        ban_within=int(env.get("CCC_BAN_WITHIN", "300")),
        ban_seconds=int(env.get("CCC_BAN_SECONDS", "3600")),
        ivr_http_allow=tuple(ipaddress.ip_network(item.strip(), strict=False)
                             for item in env.get("CCC_IVR_HTTP_ALLOW", "").split(",")
                             if item.strip()),
        web_url=env.get("CCC_WEB_URL", ""),
        metrics_bind=env.get("CCC_METRICS_BIND", "127.0.0.1"),
        metrics_port=int(env.get("CCC_METRICS_PORT", "9464")),
        tls=_switch(env.get("CCC_TLS", "off"), "CCC_TLS"),
        tls_cert=env.get("CCC_TLS_CERT", ""),
        tls_key=env.get("CCC_TLS_KEY", ""),
        sip_tls_port=int(env.get("CCC_SIP_TLS_PORT", "5061")),
        pbx_https_port=int(env.get("CCC_PBX_HTTPS_PORT", "8089")),
        log_level=_log_level(env.get("CCC_LOG_LEVEL", "INFO")),
        **_journal_rotation(env.get("CCC_JOURNAL_ROTATE", "daily,100M"),
                            env.get("CCC_JOURNAL_KEEP", "90")),
    )


def _switch(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in ("on", "yes", "true", "1"):
        return True
    if value in ("off", "no", "false", "0", ""):
        return False
    raise ValueError(f"{name} must be on or off, not {text!r}")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"CCC_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {text!r}")
    return level


_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def _journal_rotation(rotate: str, keep: str) -> dict:
    """CCC_JOURNAL_ROTATE: "off", or "daily" and/or a size such as "100M", comma
    separated; CCC_JOURNAL_KEEP: how many rotated files of each journal are kept."""
    size, daily = 0, False
    for item in (part.strip().upper() for part in rotate.split(",")):
        if item in ("", "OFF"):
            continue
        if item == "DAILY":
            daily = True
            continue
        number, unit = item.rstrip("KMG"), item[len(item.rstrip("KMG")):]
        if not number.isdigit() or unit not in _SIZE_UNITS or int(number) == 0:
            raise ValueError("CCC_JOURNAL_ROTATE is off, daily and/or a size such as 100M, "
                             f"not {rotate!r}")
        size = int(number) * _SIZE_UNITS[unit]
    if not keep.strip().isdigit():
        raise ValueError(f"CCC_JOURNAL_KEEP is a number of files, not {keep!r}")
    return {"journal_rotate_bytes": size, "journal_rotate_daily": daily,
            "journal_keep": int(keep)}
