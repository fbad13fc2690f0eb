"""The Kubernetes manifests render with kustomize and validate against the Kubernetes schemas.

``kubectl kustomize`` (kustomize v5 built into kubectl) renders the base and each overlay; each
object is validated offline by ``kubernetes-validate`` (the published OpenAPI-derived schemas,
strict: unknown fields are errors) for the oldest and newest Kubernetes versions we support.
The PodMonitor (a Prometheus Operator CRD, not in those schemas) is checked against the subset
of its CRD schema that we use. Then the sidecar contract: the Service reaches the sidecar, the
probes, the resources, the config from a ConfigMap that the sidecar accepts, every secret the
config names comes from a Secret, and the NetworkPolicy leaves the admin port closed.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from proxy.config import parse_config
from proxy.config.schema import parse_listen
from tests.deploy.artifacts import DEPLOY
from tests.support.components import component

K8S = DEPLOY / "k8s"
TARGETS = ("base", "overlays/shadow", "overlays/canary")
VERSIONS = ("1.30.0", "1.37.0")  # preStop `sleep` needs 1.30; 1.37 is the newest schema bundled

POD_MONITOR_SCHEMA: dict[str, Any] = {
    # from the monitoring.coreos.com/v1 PodMonitor CRD, restricted to the fields used here
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PodMonitor"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["selector", "podMetricsEndpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "podTargetLabels": {"type": "array", "items": {"type": "string"}},
                "podMetricsEndpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["port"],
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string"},
                            "interval": {"type": "string", "pattern": "^(0|([0-9]+(ms|s|m|h))+)$"},
                            "scrapeTimeout": {
                                "type": "string",
                                "pattern": "^(0|([0-9]+(ms|s|m|h))+)$",
                            },
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def kubectl() -> str:
    """The kubectl binary (it renders kustomizations offline)."""
    found = shutil.which("kubectl") or ""
    if found:
        return found
    return component("EMBEDSHIFT_TEST_KUBECTL_BIN", "kubectl", "apt-get install kubectl")


def render(kubectl: str, directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIR``, parsed."""
    done = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def validate(objects: list[dict[str, Any]]) -> None:
    """Each object against the Kubernetes schemas (the PodMonitor: its subset); raises on one."""
    for obj in objects:
        if obj["kind"] == "PodMonitor":
            jsonschema.validate(obj, POD_MONITOR_SCHEMA)
            continue
        for version in VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The objects of one kind."""
    return [o for o in objects if o["kind"] == kind]


def container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    """One container of a Deployment's pod template."""
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    found = [c for c in containers if c["name"] == name]
    assert len(found) == 1, f"{deployment['metadata']['name']}: no container {name!r}"
    return found[0]


def secret_env(each: dict[str, Any]) -> set[str]:
    """The container's environment variables that come from Secrets."""
    return {e["name"] for e in each.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}


def mounted_config(objects: list[dict[str, Any]], deployment: dict[str, Any]) -> str:
    """The config.toml of the ConfigMap that the deployment mounts for its sidecar."""
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    (config_volume,) = [v for v in volumes if v["name"] == "config"]
    name = config_volume["configMap"]["name"]
    (config_map,) = [c for c in by_kind(objects, "ConfigMap") if c["metadata"]["name"] == name]
    text: str = config_map["data"]["config.toml"]
    return text


@pytest.mark.parametrize("target", TARGETS)
def test_manifests_render_and_validate(kubectl, target: str) -> None:
    """The base and each overlay render, and every object is valid for Kubernetes 1.30 to 1.37."""
    objects = render(kubectl, K8S / target)
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "ConfigMap", "NetworkPolicy"} <= kinds
    if target != "base":
        assert "PodMonitor" in kinds
    validate(objects)


def test_a_broken_manifest_fails_validation(kubectl, tmp_path: Path) -> None:
    """Validation is not a rubber stamp: a misspelled probe field and a bad port are caught."""
    objects = render(kubectl, K8S / "base")
    (deployment,) = by_kind(objects, "Deployment")
    sidecar = container(deployment, "embedshift")
    sidecar["readinessProbes"] = sidecar.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        validate([deployment])
    (service,) = by_kind(objects, "Service")
    service["spec"]["ports"][0]["port"] = "six-three-three-three"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate([service])
    monitor = yaml.safe_load((K8S / "components/monitoring/podmonitor.yaml").read_text())
    monitor["spec"]["podMetricsEndpoints"][0]["intervall"] = "15s"
    with pytest.raises(jsonschema.ValidationError):
        validate([monitor])


@pytest.mark.parametrize("target", TARGETS)
def test_sidecar_contract(kubectl, target: str) -> None:
    """Service to sidecar, probes, resources, config and secrets hold for every workload."""
    objects = render(kubectl, K8S / target)
    (service,) = by_kind(objects, "Service")
    for deployment in by_kind(objects, "Deployment"):
        sidecar = container(deployment, "embedshift")
        ports = {p["name"]: p["containerPort"] for p in sidecar["ports"]}
        config = parse_config(mounted_config(objects, deployment), "config.toml")
        # the Service sends clients to the sidecar's proxy listener
        assert service["spec"]["ports"][0]["targetPort"] == "embedshift"
        assert ports["embedshift"] == parse_listen(config.proxy.listen)[1]
        assert ports["metrics"] == parse_listen(config.metrics.listen)[1]
        assert parse_listen(config.proxy.listen)[0] == "0.0.0.0"  # noqa: S104 (reached by the Service)
        # the admin API listens on loopback and is not a declared port
        admin_host, admin_port = parse_listen(config.admin.listen)
        assert admin_host == "127.0.0.1"
        assert admin_port not in ports.values()
        # probes on the metrics listener
        assert sidecar["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert sidecar["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
        # every container has requests and limits
        for each in deployment["spec"]["template"]["spec"]["containers"]:
            assert {"cpu", "memory"} <= each["resources"]["requests"].keys(), each["name"]
            assert {"cpu", "memory"} <= each["resources"]["limits"].keys(), each["name"]
        # every environment variable the config names comes from a Secret
        named = {config.admin.token_env} | {
            env for up in config.upstreams.values() for env in up.headers_env.values()
        }
        if config.embedding is not None and config.embedding.api_key_env:
            named.add(config.embedding.api_key_env)
            calibrator = container(deployment, "calibrator")
            assert config.embedding.api_key_env in secret_env(calibrator)
        assert named <= secret_env(sidecar), named - secret_env(sidecar)
        # the drain fits in the grace period, after the preStop pause
        grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        pause = sidecar["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pause + config.proxy.drain_timeout_s < grace


def test_calibrator_shares_the_thresholds_folder(kubectl) -> None:
    """The calibrator container writes where the sidecar reads thresholds: one shared emptyDir."""
    objects = render(kubectl, K8S / "base")
    (deployment,) = by_kind(objects, "Deployment")
    config = parse_config(mounted_config(objects, deployment), "config.toml")
    assert config.thresholds.path is not None
    folder = str(Path(config.thresholds.path).parent)
    mounts = {
        name: {m["mountPath"]: m["name"] for m in container(deployment, name)["volumeMounts"]}
        for name in ("embedshift", "calibrator")
    }
    assert mounts["embedshift"][folder] == mounts["calibrator"][folder]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts["embedshift"][folder]]
    calibrator = container(deployment, "calibrator")
    assert calibrator["command"][:3] == ["python", "-m", "calibrator"]
    # its inputs are mounted, its state is on the shared writable volume
    assert config.calibrator is not None
    inputs = [*config.calibrator.eval, config.calibrator.chunks or config.calibrator.vectors]
    state = [config.calibrator.status_path, config.calibrator.cache_dir]
    for path in [*inputs, *state]:
        assert path is not None
        assert any(path.startswith(m + "/") for m in mounts["calibrator"]), path
    for path in state:
        assert path.startswith(folder + "/"), path


def test_network_policy_opens_only_proxy_and_metrics(kubectl) -> None:
    """Ingress is allowed to the proxy and metrics ports only: admin and search ports stay shut."""
    objects = render(kubectl, K8S / "base")
    (policy,) = by_kind(objects, "NetworkPolicy")
    (deployment,) = by_kind(objects, "Deployment")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert (
        policy["spec"]["podSelector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )
    opened = {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]}
    assert opened == {"embedshift", "metrics"}
    config = parse_config(mounted_config(objects, deployment), "config.toml")
    admin_port = parse_listen(config.admin.listen)[1]
    declared = {
        p["name"]: p["containerPort"]
        for c in deployment["spec"]["template"]["spec"]["containers"]
        for p in c.get("ports", [])
    }
    assert admin_port not in {declared[name] for name in opened}


def test_canary_overlay_splits_stable_and_canary(kubectl) -> None:
    """The canary pods have their own selector and a config with the upstreams swapped."""
    objects = render(kubectl, K8S / "overlays/canary")
    deployments = {d["metadata"]["name"]: d for d in by_kind(objects, "Deployment")}
    assert set(deployments) == {"search", "search-canary"}
    selectors = {
        name: d["spec"]["selector"]["matchLabels"]["embedshift.io/track"]
        for name, d in deployments.items()
    }
    assert selectors == {"search": "stable", "search-canary": "canary"}
    (service,) = by_kind(objects, "Service")
    for deployment in deployments.values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
    stable = tomllib.loads(mounted_config(objects, deployments["search"]))
    canary = tomllib.loads(mounted_config(objects, deployments["search-canary"]))
    assert canary["upstreams"]["old"]["url"] == stable["upstreams"]["new"]["url"]
    assert canary["upstreams"]["new"]["url"] == stable["upstreams"]["old"]["url"]
