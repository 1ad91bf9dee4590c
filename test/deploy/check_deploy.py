#!/usr/bin/python3
"""Renders every kustomization under deploy/ with `kubectl kustomize` (all of
them must build) and checks the multi-repo example: one Redis, and the
repo-daemon component used twice, each daemon in its own namespace with its
own git URL and channel, pointing at that Redis.

  check_deploy.py <repo root>
"""
import pathlib
import subprocess
import sys

import yaml


def render(path):
    out = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"kubectl kustomize {path} failed:\n{out.stderr}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def env_of(container, name):
    for e in container.get("env", []):
        if e["name"] == name:
            return e
    return None


def main():
    root = pathlib.Path(sys.argv[1])
    rendered = {}
    for k in sorted((root / "deploy").rglob("kustomization.yaml")):
        if yaml.safe_load(k.read_text()).get("kind") == "Component":
            continue
        rendered[k.parent.relative_to(root).as_posix()] = render(k.parent)
        print(f"ok {k.parent.relative_to(root)}: {len(rendered[k.parent.relative_to(root).as_posix()])} objects")
    assert "deploy" in rendered and "deploy/redis" in rendered, sorted(rendered)

    docs = rendered["deploy/multi-repo"]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    redis = [d for d in deployments if d["metadata"]["name"] == "redis"]
    daemons = [d for d in deployments if d["metadata"]["name"] == "tagflow"]
    assert len(redis) == 1, "one Redis"
    assert redis[0]["metadata"]["namespace"] == "tagflow-redis"
    assert any(d["kind"] == "Service" and d["metadata"]["name"] == "redis" for d in docs)
    assert len(daemons) == 2, "the component used twice"
    namespaces = {d["metadata"]["namespace"] for d in daemons}
    assert namespaces == {"tagflow-shop", "tagflow-payments"}, namespaces
    configmaps = {(d["metadata"]["namespace"], d["metadata"]["name"]): d["data"]
                  for d in docs if d["kind"] == "ConfigMap"}
    urls = set()
    for d in daemons:
        ns = d["metadata"]["namespace"]
        c = d["spec"]["template"]["spec"]["containers"][0]
        assert "--cache-url=redis://redis.tagflow-redis.svc:6379/0" in c["args"], c["args"]
        assert "--cache-password-file=/etc/tagflow/redis-password" in c["args"]
        ref = env_of(c, "TAGFLOW_GIT_URL")["valueFrom"]["configMapKeyRef"]
        data = configmaps[(ns, ref["name"])]  # the generated, hashed name resolves
        urls.add(data["git-url"])
        assert data["slack-channel"].startswith("#")
        assert d["spec"]["replicas"] == 2
    assert len(urls) == 2, urls
    print("ok multi-repo: 2 daemons (", ", ".join(sorted(urls)), ") and one Redis")


if __name__ == "__main__":
    main()
