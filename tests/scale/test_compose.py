"""docker-compose.yml holds the scale-out rules: several web nodes behind the proxy, workers
that can be scaled, exactly one beat, everything restarted when it stops, health checks, and
the shared state (PostgreSQL, Redis, MinIO) outside the nodes. And docker-compose accepts it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"

yaml = pytest.importorskip("yaml")


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load(COMPOSE.read_text())  # merges the x-portal / x-web anchors
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def command(service: dict[str, Any]) -> list[str]:
    value = service.get("command") or []
    return value.split() if isinstance(value, str) else [str(part) for part in value]


def of_kind(services: dict[str, dict[str, Any]], *words: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items()
            if command(s)[: len(words)] == list(words)}


def web_nodes(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if command(s)[:1] == ["gunicorn"]}


def portal_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("build")}


def test_two_web_nodes_behind_the_proxy_which_alone_is_exposed(services):
    nodes = web_nodes(services)
    assert len(nodes) >= 2
    for name, node in nodes.items():
        assert "ports" not in node, name
        assert node.get("restart") == "unless-stopped", name
        probe = " ".join(node["healthcheck"]["test"])
        assert "/healthz" in probe and "urllib" in probe, name
    proxy = services["proxy"]
    assert proxy["image"].startswith("caddy")
    assert [str(p) for p in proxy["ports"]] == ["8000:8000"]
    assert proxy.get("restart") == "unless-stopped"
    mounted = {v.split(":")[0]: v.split(":")[1] for v in proxy["volumes"]}
    assert mounted["./deploy/Caddyfile"] == "/etc/caddy/Caddyfile"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    upstreams = re.search(r"reverse_proxy ([^{\n]+)\{", caddyfile)
    assert upstreams is not None
    assert set(upstreams.group(1).split()) == {f"{name}:8000" for name in nodes}
    assert "health_uri" in caddyfile
    # Nobody but the proxy publishes the portal's port.
    assert [n for n, s in services.items() if "8000:8000" in map(str, s.get("ports", []))] == [
        "proxy"]


def test_exactly_one_beat_and_workers_that_can_be_scaled(services):
    beats = of_kind(services, "celery", "-A", "portal", "beat")
    assert list(beats) == ["beat"]
    beat = beats["beat"]
    assert beat.get("restart") == "unless-stopped"
    assert "deploy" not in beat and "scale" not in beat
    workers = of_kind(services, "celery", "-A", "portal", "worker")
    assert list(workers) == ["worker"]
    worker = workers["worker"]
    assert worker.get("restart") == "unless-stopped"
    # `--scale worker=3` needs no fixed name and no published port.
    assert "container_name" not in worker and "ports" not in worker


def test_the_shared_state_lives_outside_the_nodes_with_health_checks(services):
    for name in ("postgres", "redis", "minio"):
        assert services[name].get("healthcheck", {}).get("test"), name
    assert services["minio"]["image"].startswith("minio/minio")
    bucket_maker = " ".join(command(services["createbucket"]))
    for name, service in portal_services(services).items():
        env = service["environment"]
        assert env["REDIS_URL"].startswith("redis://redis:"), name
        assert env["DATABASE_URL"].startswith("postgres://"), name
        assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert f"mc mb --ignore-existing local/{env['AWS_STORAGE_BUCKET_NAME']}" in bucket_maker
        # No local volume: attachments are in the bucket, nothing is a node's own.
        assert not service.get("volumes"), name
    for name in [*web_nodes(services), "worker", "beat"]:
        assert services[name]["depends_on"]["createbucket"]["condition"] == (
            "service_completed_successfully")
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")


def test_the_portal_knows_it_is_behind_the_proxy(services):
    for name, node in web_nodes(services).items():
        env = node["environment"]
        hosts = env["ALLOWED_HOSTS"].split(",")
        assert urlsplit(env["PORTAL_BASE_URL"]).hostname in hosts, name
        # The proxy's health checks ask each node by its service name.
        assert set(web_nodes(services)) <= set(hosts), name
        assert env["CLIENT_IP_HEADER"] == "X-Forwarded-For"
        assert str(env["TRUSTED_PROXY_COUNT"]) == "1"


def test_the_image_holds_every_package_the_project_installs():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for pattern in include:
        package = pattern.rstrip("*")
        assert f"COPY {package} ./{package}" in dockerfile, package


def test_docker_compose_accepts_the_file(tmp_path):
    tool = shutil.which("docker-compose")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is missing: .ci/run installs it")
        pytest.skip("docker-compose is not installed here")
    # An empty env file: a local .env next to the compose file must not decide the outcome.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    validate = [tool, "-f", str(COMPOSE), "--env-file", str(empty), "config", "-q"]
    env = {**os.environ, "SECRET_KEY": "compose-validation-only"}
    done = subprocess.run(validate, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # And refuses it without the one variable it cannot do without.
    env.pop("SECRET_KEY")
    refused = subprocess.run(validate, cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
