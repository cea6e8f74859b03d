"""A site: one Asterisk configuration set plus the directories that Asterisk writes.

Everything a running Asterisk writes lives under the site directory, so several
sites can run side by side in one read-only PBX root. This module also renders the
configuration files that depend on settings only (not on the database).
"""
from __future__ import annotations

import sysconfig
from pathlib import Path

from engine.settings import Settings
from provisioning.secrets import ami_secret
from provisioning.templates import render
from provisioning.tls import site_pair_in_pbx

AMI_USERNAME = "ccc"

# Directories Asterisk writes to (asterisk.conf points there); etc/ holds the
# configuration (etc/asterisk becomes a link to the current rendered generation).
SITE_DIRS = ("etc", "run", "log", "log/cdr-custom", "spool", "lib", "cache", "recordings",
             "keys")

# Files in etc/asterisk that depend on settings only: name -> template.
STATIC_TEMPLATES = (
    "modules.conf", "logger.conf", "rtp.conf", "manager.conf", "http.conf", "confbridge.conf",
    "cdr.conf", "cdr_manager.conf", "musiconhold.conf", "indications.conf",
    "pjsip_notify.conf",
    # core settings kept at their defaults; present so that every start does not
    # log an error for each missing file, which would hide the real ones
    "acl.conf", "ccss.conf", "cel.conf", "features.conf", "pjproject.conf",
    "stasis.conf", "udptl.conf",
)

# modules.conf loads exactly these (autoload=no), in this order. Asterisk sorts
# out load order from each module's declared dependencies; the grouping is ours.
MODULES = (
    # configuration storage the PJSIP stack is built on
    "res_sorcery_config", "res_sorcery_memory", "res_sorcery_astdb",
    # SIP: agents' phones and trunks
    "res_pjproject", "res_pjsip", "res_pjsip_session", "res_pjsip_pubsub",
    "chan_pjsip",
    "res_pjsip_authenticator_digest", "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_endpoint_identifier_ip", "res_pjsip_endpoint_identifier_user",
    "res_pjsip_registrar", "res_pjsip_sdp_rtp", "res_pjsip_dtmf_info",
    "res_pjsip_caller_id", "res_pjsip_header_funcs", "res_pjsip_nat",
    "res_pjsip_rfc3326", "res_pjsip_refer", "res_pjsip_logger",
    # the NOTIFY that answers a ringing phone from the workbench, the API or the CLI
    "res_pjsip_notify",
    # agents' browsers: SIP over WebSocket on the PBX's HTTP server (http.conf), media
    # over DTLS-SRTP with ICE (webrtc=yes on their endpoints)
    "res_http_websocket", "res_pjsip_transport_websocket", "res_srtp",
    # failed authentications and unidentified requests, to logger.conf's security.log;
    # the ACL that refuses banned addresses
    "res_security_log", "res_pjsip_acl",
    # media
    "res_rtp_asterisk", "res_timing_timerfd",
    "codec_ulaw", "codec_alaw", "codec_gsm",
    "format_wav", "format_pcm", "format_gsm", "format_sln",
    "bridge_simple", "bridge_native_rtp", "bridge_softmix",
    "res_musiconhold",
    # dialplan and the applications the call flows use
    "pbx_config", "app_dial", "app_queue", "app_playback", "app_echo", "app_confbridge",
    # supervision: listening to, whispering to and barging into an agent's call
    "app_chanspy",
    "app_stack", "app_exec", "app_verbose", "app_userevent", "app_mixmonitor",
    "res_speech", "res_agi",
    "func_channel", "func_callerid", "func_cdr", "func_strings", "func_logic",
    "func_global", "func_timeout",
    # DIALPLAN_EXISTS: a queue that times out overflows only where the overflow exists
    "func_dialplan",
    # GROUP / GROUP_COUNT: each number's live outbound calls, counted on the PBX
    "func_groupcount",
    # call records: the durable journal and the AMI event
    "res_cdrel_custom", "cdr_custom", "cdr_manager",
    # operators' and tests' "channel originate"
    "res_clioriginate",
)


def module_dir(pbx_root: Path) -> str:
    """Asterisk's module directory as seen inside the PBX root.

    Debian packages put modules in the multiarch directory; other distributions
    in lib64 or lib. Without a root to look in, the Debian layout is assumed.
    """
    multiarch = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
    candidates = (
        f"/usr/lib/{multiarch}/asterisk/modules",
        "/usr/lib64/asterisk/modules",
        "/usr/lib/asterisk/modules",
    )
    for candidate in candidates:
        if (pbx_root / candidate.lstrip("/")).is_dir():
            return candidate
    return candidates[0]


def asterisk_conf(settings: Settings) -> str:
    """SITE/asterisk.conf: where this site's Asterisk finds and writes everything."""
    return render(
        "asterisk.conf",
        site=settings.site,
        site_dir=settings.site_dir_in_pbx,
        module_dir=module_dir(settings.pbx_root),
    )


def static_files(settings: Settings) -> dict[str, str]:
    """The settings-only files of etc/asterisk: file name -> text.

    Deterministic: the same settings (and the site's stored AMI secret) always
    give the same bytes, so a generation that did not change compares equal.
    """
    context = {
        "site": settings.site,
        "modules": MODULES,
        "rtp_start": settings.rtp_start,
        "rtp_end": settings.rtp_end,
        "ami_port": settings.ami_port,
        "http_bind": settings.pbx_http_bind,
        "http_port": settings.pbx_http_port,
        "https_port": settings.pbx_https_port,
        "tls": settings.tls,
        "tls_cert": site_pair_in_pbx(settings)[0],
        "tls_key": site_pair_in_pbx(settings)[1],
        "username": AMI_USERNAME,
        "secret": ami_secret(settings),
    }
    return {name: render(name, **context) for name in STATIC_TEMPLATES}


def create_site(settings: Settings) -> Path:
    """Create the site's directories (idempotent); return the site directory."""
    site = settings.site_dir
    for name in SITE_DIRS:
        (site / name).mkdir(parents=True, exist_ok=True)
    return site


def write_asterisk_conf(settings: Settings) -> Path:
    """Write SITE/asterisk.conf (only if its text changed); return its host path."""
    path = settings.site_dir / "asterisk.conf"
    text = asterisk_conf(settings)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_name(".asterisk.conf.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path
