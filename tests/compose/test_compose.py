"""compose/docker-compose.yml and the Dockerfile agree with the real CLI and with each other.

No Docker engine is needed: the YAML and the Dockerfile are read as text, and every command
the stack runs is checked against `upstream` itself, so renaming a command, a flag or an
environment variable breaks this test rather than the stack on someone else's machine.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "compose" / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

INFRA = ("rabbitmq", "postgres")
UPSTREAM_SERVICES = ("coordinator", "worker")
OTLP_HTTP_PORT = 4318


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "the compose file is not a mapping"
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _environment(service: str) -> dict[str, str]:
    """A service's environment as a dict, whether written as a mapping or a list."""
    env = _services()[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _container_ports(service: str) -> set[int]:
    """Container ports a service publishes, from short ("127.0.0.1:80:8080/tcp") or long
    (`target:`) syntax."""
    ports: set[int] = set()
    for entry in _services()[service].get("ports") or []:
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).rsplit(":", 1)[-1].split("/", 1)[0]))
    return ports


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real `upstream` command from the repository root, as the image does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPSTREAM_")}
    env["COLUMNS"] = "200"  # keep each option's help on one line
    return subprocess.run(
        [sys.executable, "-m", "upstream", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _command(service: str) -> list[str]:
    command = _services()[service]["command"]
    assert isinstance(command, list), f"{service}: write `command` as a list (exec form)"
    return [str(part) for part in command]


def _help(command: list[str]) -> str:
    """`upstream <command> [its args] --help`: must succeed, and is that command's help."""
    done = _cli(*command, "--help")
    assert done.returncode == 0, (
        f"`upstream {' '.join(command)} --help` exited {done.returncode}: {done.stderr}"
    )
    return done.stdout


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines = [
        line
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore drops `path` (or a folder holding it) from the build context."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.strip("/")
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatch(part, tail) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
            return True
    return False


def test_compose_file_has_the_five_services_and_no_version_key() -> None:
    """The stack is RabbitMQ, PostgreSQL, Jaeger, a coordinator and workers (Compose spec)."""
    data = _compose()
    assert "version" not in data, "the Compose spec has no `version:` key; Compose warns"
    assert set(_services()) >= {"rabbitmq", "postgres", "jaeger", *UPSTREAM_SERVICES}


def test_broker_and_database_have_healthchecks() -> None:
    """Without healthchecks `service_healthy` cannot work and services start too early."""
    services = _services()
    rabbit = " ".join(services["rabbitmq"]["healthcheck"]["test"])
    postgres = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "rabbitmq-diagnostics" in rabbit and "ping" in rabbit
    assert "pg_isready" in postgres and "-U upstream" in postgres


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_upstream_services_wait_for_a_healthy_broker_and_database(service: str) -> None:
    """A coordinator or worker started before RabbitMQ/PostgreSQL answer fails its first
    connection."""
    depends = _services()[service]["depends_on"]
    assert isinstance(depends, dict), f"{service}: depends_on needs the long form (conditions)"
    for infra in INFRA:
        assert depends[infra]["condition"] == "service_healthy", f"{service} -> {infra}"
    assert "jaeger" in depends


def test_jaeger_publishes_ui_and_otlp_ports() -> None:
    """The README sends people to the UI on 16686; host processes export OTLP to 4317/4318."""
    assert _container_ports("jaeger") >= {16686, 4317, OTLP_HTTP_PORT}


def test_rabbitmq_publishes_amqp_and_management_ui() -> None:
    """The README points at the management UI on 15672."""
    assert _container_ports("rabbitmq") >= {5672, 15672}


def test_worker_is_scalable() -> None:
    """`--scale worker=N` fails on a fixed container_name or a fixed host port."""
    worker = _services()["worker"]
    assert "container_name" not in worker
    assert not worker.get("ports"), "a published host port can be bound by one replica only"


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_service_command_is_accepted_by_the_cli(service: str) -> None:
    """A renamed command or flag must break here, not in a container that restarts forever."""
    command = _command(service)
    help_text = _help(command)
    for flag in (part for part in command if part.startswith("-")):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text), (
            f"{service}: {flag} is not in `upstream {command[0]} --help`"
        )


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_service_command_arguments_parse(service: str) -> None:
    """`--help` exits before values are checked; parse them too (e.g. --concurrency's type)."""
    from upstream.cli.main import cli

    name, *args = _command(service)
    command = cli.commands[name]
    with command.make_context(name, list(args)) as ctx:
        assert ctx.params  # parsed without a usage error


def test_worker_code_location_module_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker imports `-m MODULE` from the image's WORKDIR, a copy of the repo root."""
    command = _command("worker")
    module_name = command[command.index("-m") + 1]
    monkeypatch.syspath_prepend(str(REPO))
    module = importlib.import_module(module_name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(REPO)
    from upstream import Definitions

    assert any(isinstance(value, Definitions) for value in vars(module).values())


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_upstream_env_vars_are_ones_the_cli_reads(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt UPSTREAM_* variable is silently ignored and the service uses defaults."""
    names = {name for name in _environment(service) if name.startswith("UPSTREAM_")}
    assert "UPSTREAM_DATABASE_URL" in names and "UPSTREAM_BROKER_URL" in names
    if "UPSTREAM_HOME" in names:  # read by the IO manager's default path, not an option
        from upstream.locations import upstream_home

        monkeypatch.setenv("UPSTREAM_HOME", "/data")
        assert upstream_home() == Path("/data")
        names.discard("UPSTREAM_HOME")
    help_text = _help([service])
    for name in sorted(names):
        assert re.search(rf"\b{name}\b", help_text), f"{name} not in `upstream {service} --help`"


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_database_url_matches_the_postgres_service(service: str) -> None:
    """The URL's user, password and database must be the ones postgres is initialised with."""
    url = urlsplit(_environment(service)["UPSTREAM_DATABASE_URL"])
    postgres = _environment("postgres")
    assert url.scheme in ("postgresql", "postgres")
    assert url.hostname == "postgres" and (url.port or 5432) == 5432
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.path.lstrip("/") == postgres.get("POSTGRES_DB", postgres["POSTGRES_USER"])


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_broker_url_points_at_the_rabbitmq_service(service: str) -> None:
    """The default broker URL is 127.0.0.1, which inside a container is the container."""
    url = urlsplit(_environment(service)["UPSTREAM_BROKER_URL"])
    assert url.scheme == "amqp"
    assert url.hostname == "rabbitmq" and (url.port or 5672) == 5672


@pytest.mark.parametrize("service", UPSTREAM_SERVICES)
def test_otel_endpoint_is_jaegers_otlp_http_port(service: str) -> None:
    """The exporter speaks OTLP over HTTP: 4318 on the jaeger service, not gRPC's 4317."""
    env = _environment(service)
    url = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert url.scheme == "http"
    assert url.hostname == "jaeger" and url.port == OTLP_HTTP_PORT
    assert env["OTEL_SERVICE_NAME"] == f"upstream-{service}"


def test_workers_share_upstream_home_on_a_named_volume() -> None:
    """Workers pass values through the filesystem IO manager under $UPSTREAM_HOME."""
    home = _environment("worker")["UPSTREAM_HOME"]
    mounts = {}
    for volume in _services()["worker"].get("volumes") or []:
        source, target = (
            (volume["source"], volume["target"])
            if isinstance(volume, dict)
            else str(volume).split(":")[:2]
        )
        mounts[target] = source
    assert home in mounts, f"UPSTREAM_HOME={home} is not a mounted volume"
    assert mounts[home] in (_compose().get("volumes") or {}), "use a named (shared) volume"


def test_workers_drain_on_sigterm_with_time_to_finish() -> None:
    """Workers finish their tasks on SIGTERM; Compose's default 10 s grace may cut them off."""
    worker = _services()["worker"]
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert "stop_grace_period" in worker


def test_build_context_is_the_repo_root_dockerfile() -> None:
    """`build: ..` is relative to compose/, so it must land on the root holding the Dockerfile."""
    for service in UPSTREAM_SERVICES:
        build = _services()[service]["build"]
        context = build if isinstance(build, str) else build["context"]
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (COMPOSE_FILE.parent / context).resolve() == REPO
        assert (REPO / dockerfile).resolve() == DOCKERFILE


def test_dockerfile_runs_upstream_and_ships_the_examples() -> None:
    """The compose commands are arguments to ENTRYPOINT upstream, run from the examples' root."""
    instructions = _dockerfile()
    entrypoints = [args for keyword, args in instructions if keyword == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["upstream"]
    copies = [args.split() for keyword, args in instructions if keyword == "COPY"]
    assert any(parts[0].rstrip("/") == "examples" for parts in copies), "examples/ not copied"
    workdirs = [args for keyword, args in instructions if keyword == "WORKDIR"]
    assert workdirs and workdirs[-1] == "/app"
    installs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "'.[examples]'" in installs
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0"), "run as a non-root user"


def test_dockerignore_keeps_what_the_dockerfile_copies() -> None:
    """An over-eager .dockerignore makes COPY fail or the wheel build miss its README."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    for dropped in (".venv", ".git", ".upstream"):
        assert _ignored(dropped, patterns), f"{dropped} should stay out of the build context"
    for keyword, args in _dockerfile():
        if keyword != "COPY":
            continue
        *sources, _destination = args.split()
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert not _ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    for path in (REPO / "examples").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(REPO).as_posix()
            assert not _ignored(relative, patterns), f"{relative} excluded by .dockerignore"
