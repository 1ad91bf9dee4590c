#!/usr/bin/python3
"""Cross-checks the golden files with another YAML parser (PyYAML).

For every corpus/<file>.golden: both files parse, have the same number of
documents, and differ only in image values (keys image, tag, version, full
as used by the corpus; repository of Flux `:name` markers; newTag, digest of
kustomization images) and in
metadata.annotations. Exits non-zero and
names the file and path of any other difference.
"""
import pathlib
import sys

import yaml

IMAGE_KEYS = {"image", "tag", "version", "full", "newTag", "digest", "repository"}


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            diff(a.get(k), b.get(k), path + [str(k)], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, path + [str(i)], out)
    elif a != b:
        out.append(path)


def allowed(path):
    joined = ".".join(path)
    return ".metadata.annotations" in "." + joined or (path and path[-1] in IMAGE_KEYS)


def main():
    corpus = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus")
    goldens = sorted(corpus.rglob("*.golden"))
    failures = 0
    for golden in goldens:
        original = golden.with_suffix("")
        before = list(yaml.safe_load_all(original.read_bytes()))
        after = list(yaml.safe_load_all(golden.read_bytes()))
        if len(before) != len(after):
            print(f"{golden}: {len(before)} documents became {len(after)}")
            failures += 1
            continue
        changed = []
        for i, (a, b) in enumerate(zip(before, after)):
            diff(a, b, [f"doc{i}"], changed)
        bad = [p for p in changed if not allowed(p[1:])]
        if not changed:
            print(f"{golden}: no semantic change")
            failures += 1
        for p in bad:
            print(f"{golden}: unexpected change at {'.'.join(p)}")
            failures += 1
    print(f"checked {len(goldens)} golden files with PyYAML, {failures} failure(s)")
    return 1 if failures or not goldens else 0


if __name__ == "__main__":
    sys.exit(main())
