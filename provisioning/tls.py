"""The one certificate and key behind HTTPS, SIP over TLS and the browsers' WSS.

The operator names a pair (``CCC_TLS_CERT``, ``CCC_TLS_KEY``: a certificate chain and
its key, PEM), or ccc generates a self-signed pair on first use in ``var_dir/tls``
and says so: browsers and phones warn about it until it is replaced or trusted.

Asterisk runs in its own root and cannot see the host's files, so the site keeps a
copy (``SITE/keys``) that the PBX reads; the copy is refreshed each time the PBX is
prepared to start.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from engine.settings import Settings
from provisioning.locks import file_lock

Log = Callable[[str], None]
CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
# A self-signed certificate lasts about two years (browsers refuse longer ones).
SELF_SIGNED_DAYS = 825


class TlsError(Exception):
    """The configured certificate or key is missing, or one could not be generated."""


def generated_pair(settings: Settings) -> tuple[Path, Path]:
    return settings.tls_dir / CERT_NAME, settings.tls_dir / KEY_NAME


def names(settings: Settings) -> list[str]:
    """The names a self-signed certificate is valid for: the web address's host, this
    host's names, and loopback."""
    found = []
    host = urllib.parse.urlsplit(settings.web_url).hostname if settings.web_url else None
    for name in (host, socket.gethostname(), socket.getfqdn(), "localhost", "127.0.0.1",
                 "::1"):
        if name and name not in found:
            found.append(name)
    return found


def _subject_alt_names(settings: Settings) -> str:
    entries = []
    for name in names(settings):
        try:
            ipaddress.ip_address(name)
            entries.append(f"IP:{name}")
        except ValueError:
            entries.append(f"DNS:{name}")
    return ",".join(entries)


def certificate(settings: Settings, log: Log = print) -> tuple[Path, Path]:
    """The certificate and key files (host paths); generates a self-signed pair on first
    use when none is configured."""
    if settings.tls_cert or settings.tls_key:
        cert, key = Path(settings.tls_cert), Path(settings.tls_key)
        for what, path in (("CCC_TLS_CERT", cert), ("CCC_TLS_KEY", key)):
            if not str(path) or not path.is_file():
                raise TlsError(f"{what} names no readable file: set both CCC_TLS_CERT and "
                               "CCC_TLS_KEY, or neither for a self-signed pair")
        return cert, key
    cert, key = generated_pair(settings)
    if cert.exists() and key.exists():
        return cert, key
    settings.tls_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(settings.tls_dir / ".lock"):
        if not (cert.exists() and key.exists()):
            _generate(settings, cert, key)
            log(f"TLS: generated a self-signed certificate for {', '.join(names(settings))} "
                f"in {settings.tls_dir}; browsers and phones will warn until you trust it, "
                "or set CCC_TLS_CERT and CCC_TLS_KEY to a certificate of your own")
    return cert, key


def _generate(settings: Settings, cert: Path, key: Path) -> None:
    tmp_cert, tmp_key = cert.with_name(".cert.tmp"), key.with_name(".key.tmp")
    common_name = names(settings)[0]
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", str(SELF_SIGNED_DAYS), "-subj", f"/CN={common_name}",
             "-addext", f"subjectAltName={_subject_alt_names(settings)}",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "extendedKeyUsage=serverAuth",
             "-keyout", str(tmp_key), "-out", str(tmp_cert)],
            check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise TlsError("could not generate a self-signed certificate with openssl") from error
    os.chmod(tmp_key, 0o600)
    tmp_key.replace(key)
    tmp_cert.replace(cert)


def site_pair(settings: Settings) -> tuple[Path, Path]:
    """The site's copy of the pair, as this process (outside the PBX root) sees it."""
    keys = settings.site_dir / "keys"
    return keys / CERT_NAME, keys / KEY_NAME


def site_pair_in_pbx(settings: Settings) -> tuple[str, str]:
    """The same files as Asterisk, inside its root, sees them."""
    keys = settings.site_dir_in_pbx / "keys"
    return str(keys / CERT_NAME), str(keys / KEY_NAME)


def install_in_site(settings: Settings, log: Log = print) -> None:
    """Copy the pair into the site, where the PBX reads it (key readable by owner only)."""
    if not settings.tls:
        return
    cert, key = certificate(settings, log)
    site_cert, site_key = site_pair(settings)
    site_cert.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for source, target in ((cert, site_cert), (key, site_key)):
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(source, "rb") as data:
            shutil.copyfileobj(data, out)
        tmp.replace(target)
