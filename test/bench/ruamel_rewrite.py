#!/usr/bin/python3
"""The image rewrite done the Flux v1 way: a ruamel.yaml round trip.

Usage: ruamel_rewrite.py REPO EDITS.json

EDITS.json is a list of {"file", "name", "container", "image"}: in REPO/file,
the object named `name` (a document or an item of a List) gets `image` for
its container `container` (pod template, job template or pod spec). Each
file is loaded with ruamel.yaml's round-trip loader (quotes preserved, no
line wrapping) and dumped back, as kubeyaml did for fluxctl. Prints
"seconds=<time spent on the rewrite>" and "edits=<count>".
"""
import json
import sys
import time

from ruamel.yaml import YAML


def pod_spec(obj):
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def objects(docs):
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if str(doc.get("kind", "")).endswith("List"):
            for item in doc.get("items") or []:
                yield item
        else:
            yield doc


def set_image(docs, name, container, image):
    for obj in objects(docs):
        if (obj.get("metadata") or {}).get("name") != name:
            continue
        spec = pod_spec(obj)
        for key in ("initContainers", "containers"):
            for c in spec.get(key) or []:
                if c.get("name") == container:
                    c["image"] = image
                    return True
    return False


def main():
    repo, edits_path = sys.argv[1], sys.argv[2]
    with open(edits_path) as f:
        edits = json.load(f)
    by_file = {}
    for e in edits:
        by_file.setdefault(e["file"], []).append(e)

    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 1 << 20
    start = time.perf_counter()
    done = 0
    for file, file_edits in by_file.items():
        path = f"{repo}/{file}"
        with open(path, "rb") as f:
            docs = list(yaml.load_all(f))
        for e in file_edits:
            if set_image(docs, e["name"], e["container"], e["image"]):
                done += 1
        with open(path, "w") as f:
            yaml.dump_all(docs, f)
    elapsed = time.perf_counter() - start
    print(f"seconds={elapsed:.6f}")
    print(f"edits={done}")
    return 0 if done == len(edits) else 1


if __name__ == "__main__":
    sys.exit(main())
