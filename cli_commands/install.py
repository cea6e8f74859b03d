"""``ccc install``: the production services on this PBX host (systemd units)."""
from __future__ import annotations

import os
from pathlib import Path

import click

from provisioning import services


@click.command("install")
@click.option("--user", default=services.DEFAULT_USER, show_default=True,
              help="The unprivileged user every service runs as (created if missing).")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path),
              default=services.DEFAULT_ENV_FILE, show_default=True,
              help="The services' settings; written from this environment if missing.")
@click.option("--systemd-dir", type=click.Path(file_okay=False, path_type=Path),
              default=services.DEFAULT_SYSTEMD_DIR, show_default=True,
              help="Where the unit files go.")
def install(user: str, env_file: Path, systemd_dir: Path) -> None:
    """Install Asterisk, `ccc serve` and the web app as systemd services."""
    def log(line: str) -> None:
        click.echo(line, err=True)
    try:
        done = services.install(dict(os.environ), user, env_file, systemd_dir, log)
        problems = services.verify(done.units)
    except services.InstallError as error:
        raise click.ClickException(str(error)) from None
    if problems:
        raise click.ClickException("systemd-analyze verify refused the units: "
                                   + problems.splitlines()[0])
    settings = done.settings
    click.echo(f"settings: {done.env_file} "
               + ("(written)" if done.env_written else "(kept as it was)"))
    for unit in done.units:
        click.echo(f"unit: {unit}")
    names = " ".join(path.stem for path in done.units)
    click.echo(f"start them:  systemctl daemon-reload && systemctl enable --now {names}")
    click.echo(f"web admin:   {settings.public_web_url}/")
    click.echo(f"logs:        journalctl -u ccc-pbx -u ccc-serve -u ccc-web "
               f"(level: CCC_LOG_LEVEL={settings.log_level})")
