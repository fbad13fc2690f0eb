"""``deploy/k8s/reembed-job.yaml``: valid Kubernetes, and each pod's command is a valid run.

The objects validate against the Kubernetes schemas (strict); the Job is Indexed with one
completion per shard; each pod's arguments, once Kubernetes has expanded
``$(JOB_COMPLETION_INDEX)``, parse as a ``reembed`` command for its own shard, with outputs on
the volume and the key from the Secret; the merge Job lists every shard's output.
"""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from calibrator.reembed.options import options_from_args
from calibrator.reembed.shard import Shard
from proxy.cli import build_parser

JOB_FILE = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "reembed-job.yaml"
VERSIONS = ("1.30.0", "1.37.0")


@pytest.fixture(scope="module")
def objects():
    """The documents of the file, by kind and name."""
    docs = list(yaml.safe_load_all(JOB_FILE.read_text()))
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def expand(text, env):
    """What the kubelet does to $(VAR) references in args."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m[1], m[0]), text)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_is_valid_kubernetes(objects, version):
    """Strict schema validation: no unknown or misspelt field."""
    for obj in objects.values():
        kubernetes_validate.validate(obj, version, strict=True)


def test_each_index_runs_its_own_shard_on_the_volume(objects, monkeypatch):
    """Pod k runs shard k/completions, writing part-k under the volume, key from the Secret."""
    job = objects[("Job", "embedshift-reembed")]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    )
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert ("PersistentVolumeClaim", claim) in objects
    mount = container["volumeMounts"][0]["mountPath"]
    key_env = env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]
    assert key_env == {"name": "embedshift-embeddings", "key": "api-key"}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    outputs = set()
    for index in range(spec["completions"]):
        argv = container["command"][1:] + [
            expand(a, {"JOB_COMPLETION_INDEX": str(index)}) for a in container["args"]
        ]
        options = options_from_args(build_parser().parse_args(argv))
        assert options.shard == Shard(index, spec["completions"])
        assert options.api_key == "sk-test"
        for path in (options.output, options.checkpoint, options.source):
            assert str(path).startswith(mount + "/")
        outputs.add(options.output)
    assert len(outputs) == spec["completions"]

    merge = objects[("Job", "embedshift-reembed-merge")]
    assert merge["spec"]["suspend"] is True
    (merger,) = merge["spec"]["template"]["spec"]["containers"]
    merge_args = build_parser().parse_args(merger["command"][1:] + merger["args"])
    assert set(merge_args.parts) == outputs


def test_per_pod_rate_limits_share_the_keys_limits(objects):
    """Each pod gets the same slice of the provider's limits (noted in the file's header)."""
    job = objects[("Job", "embedshift-reembed")]
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    rpm = next(float(a.split("=")[1]) for a in args if a.startswith("--max-rpm="))
    assert rpm * job["spec"]["parallelism"] == 3000
