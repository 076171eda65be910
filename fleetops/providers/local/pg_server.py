"""A private PostgreSQL server in a folder of its own: ``initdb`` once, then ``pg_ctl start/stop``.

    server = PgServer(bin_dir=find_pg_bin_dir(), folder=Path(".../orders-db/server"))
    server.init(user="orders", password=pw)       # once; a folder already initialised is kept
    server.start(port)                            # loopback only, unix socket in the folder
    server.stop()

It listens on loopback TCP only, where connections need the password (scram-sha-256): a unix
socket's path inside the state folder can pass the kernel's 107-byte limit. ``initdb``
refuses to run as root, so as root every PostgreSQL binary runs as the ``postgres`` user, with
the DAC_READ_SEARCH capability so it can reach a data folder below the user's private (0700)
state folders without opening them to everyone.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fleetops.errors import FleetopsError

PG_BIN_ENV = "FLEETOPS_PG_BIN"
SERVER_USER = "postgres"
"""The OS user PostgreSQL runs as when fleetops runs as root."""
SETTINGS_FILE = "fleetops.conf"
_INCLUDE = f"include_if_exists = '{SETTINGS_FILE}'"


def conf_quote(value: str) -> str:
    """``value`` as a quoted ``postgresql.conf`` string (quotes doubled, backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresUnavailable(FleetopsError):
    """The PostgreSQL server binaries are not installed, or a server would not start."""


def find_pg_bin_dir(debian_root: Path = Path("/usr/lib/postgresql")) -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``.

    ``$FLEETOPS_PG_BIN`` wins, then the newest ``<debian_root>/<version>/bin`` (Debian), then
    ``PATH``. Raises ``PostgresUnavailable`` saying what to install.
    """
    candidates: list[Path] = []
    if os.environ.get(PG_BIN_ENV):
        candidates.append(Path(os.environ[PG_BIN_ENV]))
    candidates += sorted(debian_root.glob("*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in $FLEETOPS_PG_BIN, "
        f"{debian_root}/<version>/bin or PATH: install them (Debian/Ubuntu: apt-get install postgresql; "
        "macOS: brew install postgresql) or set FLEETOPS_PG_BIN to their directory"
    )


def run_pg(
    *args: str | Path, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary (as ``postgres`` when we are root), ``stdin`` its input;
    ``PostgresUnavailable`` with its output when it fails and ``check``."""
    command = [str(arg) for arg in args]
    if os.geteuid() == 0:
        command = [
            "setpriv", "--reuid", SERVER_USER, "--regid", SERVER_USER, "--init-groups",
            "--inh-caps", "+dac_read_search", "--ambient-caps", "+dac_read_search", "--", *command,
        ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/", input=stdin)
    if check and result.returncode != 0:
        raise PostgresUnavailable(
            f"{Path(str(args[0])).name} failed with exit code {result.returncode}: "
            f"{(result.stdout + result.stderr).strip()[-2000:]}"
        )
    return result


def server_owned_folder(path: Path) -> Path:
    """Create ``path`` (0700) owned by the user the server runs as."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVER_USER)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return path


@dataclass(frozen=True)
class PgServer:
    """One cluster: data in ``folder/data``, log ``folder/server.log``."""

    bin_dir: Path
    folder: Path

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        """The server's own log."""
        return self.folder / "server.log"

    @property
    def swapped_out(self) -> Path:
        """Where a point-in-time restore keeps the data directory it replaces until the restored
        one has started (``fleetops.ops.backups.pitr``)."""
        return self.folder / "data.old"

    def undo_half_swap(self) -> None:
        """A restore killed between moving the data directory out and the restored one in: put
        the old one back (before anything would ``initdb`` an empty cluster in its place)."""
        if self.swapped_out.is_dir() and not self.data_dir.exists():
            os.replace(self.swapped_out, self.data_dir)

    def initialised(self) -> bool:
        """Whether ``initdb`` has run here."""
        return (self.data_dir / "PG_VERSION").is_file()

    def init(self, *, user: str, password: str) -> None:
        """``initdb`` with ``user`` as superuser (``password`` over TCP); nothing when done already."""
        if self.initialised():
            return
        server_owned_folder(self.folder)
        pwfile = self.folder / "initdb.pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password + "\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        try:
            run_pg(
                self.bin_dir / "initdb", "-D", self.data_dir, "-U", user, f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                "--no-instructions",
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)

    def running(self) -> bool:
        """Whether a postmaster runs on this data directory."""
        return (
            self.initialised()
            and run_pg(self.bin_dir / "pg_ctl", "-D", self.data_dir, "status", check=False).returncode == 0
        )

    def configure(self, settings: Mapping[str, str]) -> None:
        """Write ``settings`` into the data directory's ``fleetops.conf`` (replacing what it held),
        which ``postgresql.conf`` includes: read at the next start. A copy of the data directory
        (a base backup) carries both, so whoever starts a copy decides its settings again."""
        conf = self.data_dir / "postgresql.conf"
        text = conf.read_text()
        if _INCLUDE not in text.splitlines():
            conf.write_text(text + ("" if text.endswith("\n") else "\n") + _INCLUDE + "\n")
        path = self.data_dir / SETTINGS_FILE
        lines = [f"{key} = {conf_quote(value)}" for key, value in settings.items()]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(
                "# Written by fleetops at each start: changes here are lost.\n" + "\n".join(lines) + "\n"
            )
        if os.geteuid() == 0:
            owner = pwd.getpwnam(SERVER_USER)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def start(
        self,
        port: int,
        *,
        extra_options: str = "",
        settings: Mapping[str, str] | None = None,
        socket_dir: Path | None = None,
    ) -> None:
        """Start on 127.0.0.1:``port`` and wait until it accepts connections. A server left
        running by a crashed control plane is stopped first (it may listen on another port).
        ``settings``: written by :meth:`configure` first; ``socket_dir``: a unix socket there too
        (a short path, owned by the server's user), where local connections are trusted."""
        if self.running():
            self.stop()
        if settings is not None:
            self.configure(settings)
        # No unix socket by default: its path (the state folder's, plus the port) may pass the
        # 107-byte limit.
        sockets = "''" if socket_dir is None else shlex.quote(str(socket_dir))
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {sockets} {extra_options}".strip()
        result = run_pg(
            self.bin_dir / "pg_ctl", "-D", self.data_dir, "-l", self.log_file, "-o", options,
            "-w", "-t", "60", "start",
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-1500:] if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"PostgreSQL in {self.folder} did not start on port {port}: {result.stderr.strip()}\n{tail}"
            )

    def stop(self) -> None:
        """Stop it (fast shutdown: sessions are ended, data is flushed); nothing when not running."""
        if self.initialised():
            run_pg(
                self.bin_dir / "pg_ctl",
                "-D",
                self.data_dir,
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "stop",
                check=False,
            )

    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None


def _version_key(path: Path) -> tuple[int, ...]:
    version = path.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())
