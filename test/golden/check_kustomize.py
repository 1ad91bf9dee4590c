#!/usr/bin/python3
"""Renders each edited kustomization overlay of the corpus with `kubectl
kustomize` before and after its golden edit: only `image:` lines may differ,
and at least one must. Skips (exit 0, says so) when kubectl is not installed.
"""
import difflib
import pathlib
import shutil
import subprocess
import sys
import tempfile

NAMES = {"kustomization.yaml", "kustomization.yml", "Kustomization"}


def render(directory):
    return subprocess.run(["kubectl", "kustomize", str(directory)], check=True, timeout=120,
                          capture_output=True, text=True).stdout.splitlines()


def main():
    if shutil.which("kubectl") is None:
        print("kubectl is not installed: kustomize rendering not checked")
        return 0
    corpus = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus")
    failures = checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "corpus"
        shutil.copytree(corpus, copy)
        for golden in sorted(copy.rglob("*.golden")):
            original = golden.with_suffix("")
            if original.name not in NAMES:
                continue
            before = render(original.parent)
            shutil.copyfile(golden, original)
            after = render(original.parent)
            changed = [l for l in difflib.unified_diff(before, after, lineterm="", n=0)
                       if l[:1] in "+-" and not l.startswith(("+++", "---"))]
            bad = [l for l in changed if not l[1:].lstrip(" -").startswith("image:")]
            checked += 1
            if not changed or bad:
                print(f"{original.relative_to(copy)}: {'no change' if not changed else bad}")
                failures += 1
    print(f"rendered {checked} kustomization(s) with kubectl kustomize, {failures} failure(s)")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
