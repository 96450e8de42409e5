"""docker-compose.yml: valid for Compose, and wired the way production needs.

* `docker-compose config -q` (Debian's `docker-compose` package, Compose v1) must
  accept the file; it is skipped when the binary is missing on a developer
  machine, and fails in CI (CI=true), where .ci/run installs it.
* The structure (depends_on conditions, healthchecks, search attributes, app
  environment) is checked on the file itself and, when the binary is there, on
  Compose's own normalised rendering of it.
* The search-attribute registration script is run under /bin/sh against a fake
  `temporal` CLI, which catches `$$` escaping and idempotency mistakes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
INIT_SQL = REPO_ROOT / "deploy" / "postgres-init" / "01-hotline.sql"

TEST_SECRET = "compose-test-secret"
TEST_PAYLOAD_KEYS = '{"compose-test": "Y29tcG9zZS10ZXN0LWtleS0wMDAwMDAwMDAwMDAwMDA="}'
PAYLOAD_KEYS = ("HOTLINE_PAYLOAD_KEYS", "HOTLINE_PAYLOAD_KEY_ID")

SEARCH_ATTRIBUTES = {
    "HotlineLeadUnit": "Keyword",
    "HotlineCoUnits": "KeywordList",
    "HotlineStage": "Keyword",
    "HotlineCard": "Keyword",
    "HotlineDeadline": "Datetime",
    "HotlineCategory": "Keyword",
    "HotlineChannel": "Keyword",
    "HotlineEmergency": "Bool",
    "HotlineDistrict": "Keyword",
    "HotlineOverdue": "KeywordList",
    "HotlineNextDue": "Datetime",
    "HotlineSupervisionPending": "Bool",
    "HotlineLinkagePending": "KeywordList",
    "HotlineRegisteredAt": "Datetime",
    "HotlineRegisteredDay": "Keyword",
}

HEALTHY = "service_healthy"
COMPLETED = "service_completed_successfully"
APP_DEPENDENCIES = {
    "postgresql": HEALTHY,
    "temporal": HEALTHY,
    "migrate": COMPLETED,
    "register-search-attributes": COMPLETED,
}
EXPECTED_DEPENDENCIES = {
    "migrate": {"postgresql": HEALTHY},
    "api": APP_DEPENDENCIES,
    "worker": APP_DEPENDENCIES,
}


# --------------------------------------------------------------------------- helpers


def _docker_compose() -> str:
    exe = shutil.which("docker-compose")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose is not on PATH; CI must install it (Debian package 'docker-compose')")
        pytest.skip(
            "docker-compose is not on PATH (apt-get install docker-compose); "
            "this skip becomes a failure when CI=true"
        )
    return exe


def _run_compose(
    tmp_path: Path, *args: str, secret: str | None, payload_keys: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run docker-compose from the repo root, isolated from the caller's .env and COMPOSE_* vars."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "COMPOSE_", "TEMPORAL_"))}
    if secret is not None:
        env["HOTLINE_TOKEN_SECRET"] = secret
    if payload_keys:
        env |= {"HOTLINE_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS, "HOTLINE_PAYLOAD_KEY_ID": "compose-test"}
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    return subprocess.run(
        [_docker_compose(), "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), *args],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _yaml() -> Any:
    return pytest.importorskip("yaml", reason="PyYAML not importable: structural checks skipped")


def _raw_document() -> dict[str, Any]:
    doc = _yaml().safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(params=["file", "compose-config"])
def compose_doc(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The file as written (anchors resolved by PyYAML), or as docker-compose renders it."""
    if request.param == "file":
        return _raw_document()
    result = _run_compose(tmp_path, "config", secret=TEST_SECRET)
    assert result.returncode == 0, result.stderr
    doc = _yaml().safe_load(result.stdout)
    assert isinstance(doc, dict)
    return doc


def _services(doc: dict[str, Any]) -> dict[str, Any]:
    services = doc.get("services")
    assert isinstance(services, dict), "no services: mapping"
    return services


def _dependencies(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form: no condition
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _command_text(service: dict[str, Any]) -> str:
    command = service.get("command")
    if isinstance(command, list):
        return " ".join(str(part) for part in command)
    return str(command or "")


def _registration(doc: dict[str, Any]) -> tuple[str, dict[str, str]]:
    service = _services(doc)["register-search-attributes"]
    command = service["command"]
    script = command[0] if isinstance(command, list) else command
    return script, _environment(service)


# ------------------------------------------------------------------- compose binary


def test_compose_config_accepts_the_file(tmp_path: Path) -> None:
    result = _run_compose(tmp_path, "config", "-q", secret=TEST_SECRET)
    assert result.returncode == 0, f"docker-compose config -q failed:\n{result.stderr}"


def test_token_secret_is_required(tmp_path: Path) -> None:
    result = _run_compose(tmp_path, "config", "-q", secret=None)
    assert result.returncode != 0, "config must fail without HOTLINE_TOKEN_SECRET (${VAR:?...})"
    assert "HOTLINE_TOKEN_SECRET" in result.stderr


def test_payload_keys_are_required(tmp_path: Path) -> None:
    """No demo key in production: Compose refuses to start without the payload keys (workflows/converter.py)."""
    result = _run_compose(tmp_path, "config", "-q", secret=TEST_SECRET, payload_keys=False)
    assert result.returncode != 0, "config must fail without HOTLINE_PAYLOAD_KEYS (${VAR:?...})"
    assert "HOTLINE_PAYLOAD_KEY" in result.stderr


# ------------------------------------------------------------------------ structure


def test_app_services_wait_for_their_dependencies(compose_doc: dict[str, Any]) -> None:
    services = _services(compose_doc)
    for name, expected in EXPECTED_DEPENDENCIES.items():
        assert name in services, f"service {name} missing"
        assert _dependencies(services[name]) == expected, f"{name}: wrong depends_on"


def test_every_dependency_condition_is_satisfiable(compose_doc: dict[str, Any]) -> None:
    """service_healthy needs a healthcheck; a one-shot must not be restarted after it exits 0."""
    services = _services(compose_doc)
    for name, service in services.items():
        for dep, condition in _dependencies(service).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            if condition == HEALTHY:
                assert "healthcheck" in services[dep], f"{name} waits for {dep} healthy: no healthcheck"
            if condition == COMPLETED:
                restart = str(services[dep].get("restart", "no"))
                assert restart in {"no", "on-failure"}, f"one-shot {dep} has restart: {restart}"


@pytest.mark.parametrize("name", ["postgresql", "temporal", "api"])
def test_healthchecks(compose_doc: dict[str, Any], name: str) -> None:
    healthcheck = _services(compose_doc)[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable"), f"{name} healthcheck disabled"
    test = healthcheck.get("test")
    assert test and test != ["NONE"], f"{name} healthcheck has no test"


def test_search_attributes_registered(compose_doc: dict[str, Any]) -> None:
    script, env = _registration(compose_doc)
    registered = dict(spec.split(":", 1) for spec in env["SEARCH_ATTRIBUTES"].split())
    assert registered == SEARCH_ATTRIBUTES
    assert env["NAMESPACE"] == "default"
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "temporal operator search-attribute create" in script
    assert "SEARCH_ATTRIBUTES" in script


def test_search_attributes_match_the_workflow_code() -> None:
    """The compose one-shot registers exactly what workflows/search_attributes.py upserts."""
    from workflows.search_attributes import ALL

    in_code = {
        key.name: "".join(part.capitalize() for part in key.indexed_value_type.name.split("_")) for key in ALL
    }
    assert in_code == SEARCH_ATTRIBUTES


def test_app_environment_and_commands(compose_doc: dict[str, Any]) -> None:
    services = _services(compose_doc)
    for name in ("api", "worker", "migrate"):
        env = _environment(services[name])
        assert env["HOTLINE_ENVIRONMENT"] == "production", name
        assert env["HOTLINE_TEMPORAL_ADDRESS"] == "temporal:7233", name
        assert env["HOTLINE_DATABASE_URL"].startswith("postgresql+asyncpg://hotline:"), name
        assert env["HOTLINE_DATABASE_URL"].endswith("@postgresql:5432/hotline"), name
        assert env["HOTLINE_TOKEN_SECRET"] in {
            TEST_SECRET,
            "${HOTLINE_TOKEN_SECRET:?set HOTLINE_TOKEN_SECRET}",
        }, name
        for key in PAYLOAD_KEYS:  # both ends of Temporal encrypt and decrypt, with the same keys
            assert env[key].startswith(("${" + key + ":?", "{", "compose-test")), (name, key)
        assert services[name].get("build"), f"{name} must be built from the Dockerfile"
    # The one uvicorn configuration (config.py Settings.uvicorn_options), listening on the container's port.
    assert _command_text(services["api"]) == "python -m api.serve"
    api_env = _environment(services["api"])
    assert (api_env["HOTLINE_API_HOST"], str(api_env["HOTLINE_API_PORT"])) == ("0.0.0.0", "8000")
    assert _command_text(services["worker"]) == "python worker.py"
    assert _command_text(services["migrate"]) == "alembic upgrade head"


def test_postgres_init_script_is_mounted() -> None:
    postgres = _services(_raw_document())["postgresql"]
    assert postgres["image"].startswith("postgres:16")
    mounts = [str(volume) for volume in postgres.get("volumes", [])]
    assert any(m.startswith("./deploy/postgres-init:/docker-entrypoint-initdb.d") for m in mounts), mounts
    sql = INIT_SQL.read_text(encoding="utf-8")
    assert "CREATE ROLE hotline" in sql
    assert "CREATE DATABASE hotline OWNER hotline" in sql


# ------------------------------------------------------- registration script, for real

FAKE_TEMPORAL = """#!/bin/sh
# Fake `temporal` CLI: logs calls; HotlineStage already exists; FAIL_ON fails hard.
echo "$*" >> "$FAKE_LOG"
case "$*" in
  "operator namespace describe"*) exit 0 ;;
  "operator search-attribute create"*)
    name=$(printf '%s\\n' "$*" | sed -n 's/.*--name \\([^ ]*\\).*/\\1/p')
    if [ "$name" = "${FAIL_ON:-}" ]; then echo "Error: connection refused" >&2; exit 1; fi
    if [ "$name" = HotlineStage ]; then echo "Error: Search attribute HotlineStage already exists." >&2; exit 1; fi
    echo "$name" >> "$FAKE_STATE"; exit 0 ;;
  "operator search-attribute list"*)
    printf 'Name  Type\\nHotlineStage  Keyword\\n'; cat "$FAKE_STATE" 2>/dev/null; exit 0 ;;
esac
exit 2
"""


def _run_registration(
    tmp_path: Path, fail_on: str | None = None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    raw_script, service_env = _registration(_raw_document())
    # Compose turns "$$" into "$"; a single "$" would be interpolated by Compose instead.
    assert "$" not in raw_script.replace("$$", ""), "unescaped $ in the registration script"
    script = raw_script.replace("$$", "$")

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "temporal"
    fake.write_text(FAKE_TEMPORAL)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "FAKE_LOG": str(log),
        "FAKE_STATE": str(tmp_path / "state"),
        **service_env,
    }
    if fail_on:
        env["FAIL_ON"] = fail_on
    result = subprocess.run(
        ["/bin/sh", "-c", script], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    return result, log


def test_registration_script_is_idempotent(tmp_path: Path) -> None:
    result, log = _run_registration(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    created = {}
    for line in log.read_text().splitlines():
        words = line.split()
        if words[:3] == ["operator", "search-attribute", "create"]:
            created[words[words.index("--name") + 1]] = words[words.index("--type") + 1]
            assert words[words.index("--namespace") + 1] == "default"
            assert words[words.index("--address") + 1] == "temporal:7233"
    assert created == SEARCH_ATTRIBUTES


def test_registration_script_fails_on_other_errors(tmp_path: Path) -> None:
    result, _ = _run_registration(tmp_path, fail_on="HotlineDeadline")
    assert result.returncode != 0
    assert "connection refused" in result.stderr


# ------------------------------------------------------------------ Temporal UI access


def _published(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host ip, host port) of each published port, in the short syntax or the long one."""
    published = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            published.append((str(port.get("host_ip", "")), str(port.get("published", ""))))
            continue
        short = re.fullmatch(r"(?:(?P<ip>[\d.]+):)?(?P<host>.+):(?P<container>\d+)", str(port).split("/")[0])
        assert short, f"unreadable port {port}"
        published.append((short["ip"] or "", short["host"]))
    return published


def test_temporal_ui_is_published_on_loopback_only(compose_doc: dict[str, Any]) -> None:
    """The UI reads every history and has no login of its own: never on 0.0.0.0."""
    ui = _services(compose_doc)["temporal-ui"]
    published = _published(ui)
    assert published, "Temporal UI is not reachable at all"
    for host_ip, port in published:
        assert host_ip == "127.0.0.1", f"Temporal UI published on {host_ip or '0.0.0.0'}:{port}"


def test_only_the_api_is_published_on_every_interface(compose_doc: dict[str, Any]) -> None:
    for name, service in _services(compose_doc).items():
        for host_ip, port in _published(service):
            assert name == "api" or host_ip == "127.0.0.1", (
                f"{name} published on {host_ip or '0.0.0.0'}:{port}"
            )


def test_temporal_ui_decodes_through_the_codec_server(compose_doc: dict[str, Any]) -> None:
    env = _environment(_services(compose_doc)["temporal-ui"])
    assert env["TEMPORAL_CODEC_ENDPOINT"] in {
        "${HOTLINE_CODEC_ENDPOINT:-http://127.0.0.1:8000/codec}",
        "http://127.0.0.1:8000/codec",
    }
    # The codec sign-in cookie goes with the browser's decode requests; writes (terminate …) are off.
    assert env["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert env["TEMPORAL_DISABLE_WRITE_ACTIONS"] in {"${TEMPORAL_UI_DISABLE_WRITE_ACTIONS:-true}", "true"}
    assert env["TEMPORAL_AUTH_ENABLED"] in {"${TEMPORAL_UI_AUTH_ENABLED:-false}", "false"}
    for name in ("api", "worker"):
        origins = _environment(_services(compose_doc)[name])["HOTLINE_CODEC_CORS_ORIGINS"]
        assert "http://127.0.0.1:8233" in origins, name


def test_the_codec_routes_the_ui_is_pointed_at_exist() -> None:
    from api.routes.codec import router

    paths = {route.path for route in router.routes}  # type: ignore[attr-defined]
    assert {"/codec/decode", "/codec/encode", "/codec/sign-in"} <= paths
