#!/usr/bin/env python3
"""Validates the rendered overlays of deploy/kubernetes; run by deploy/check-kubernetes.sh.

    validate.py --kubernetes-version 1.30.0 --repo ROOT RENDERED/<overlay>.yaml...

Each file is one overlay's `kubectl kustomize` output. Every problem is reported; the exit code is 1 if there was
any. Three kinds of checks:

1. Schema: every object against the Kubernetes JSON schemas that kubernetes-validate bundles, in strict mode
   (unknown fields are errors). A kind without a schema is an error too (kubernetes-validate only warns), and so
   is a fallback to an older schema than the version asked for. Duplicate YAML keys are errors.
2. Wiring and hardening: one namespace per overlay, every ConfigMap, Secret, PVC and ServiceAccount a pod uses is
   rendered too (except the operator-made TLS Secrets), Services select a pod and name its ports, a default-deny
   NetworkPolicy, non-root read-only containers with no capabilities, RuntimeDefault seccomp, resources, probes.
3. Configuration: the TOML in the ConfigMaps parses; each node's config names its overlay's region, listens on its
   container's ports and finds its files where the pod mounts them; the registry has the same regions as
   deploy/registry.toml (only the endpoints differ) and points at each region's Service.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tomllib
from pathlib import Path, PurePosixPath

import yaml
from kubernetes_validate import utils as kv

# Made by the operator from the PKI (deploy/kubernetes/README.md), never rendered.
OPERATOR_SECRETS = {"expertnet-node-tls", "expertnet-gateway-tls", "expertnet-gateway-statistics"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}

errors: list[str] = []


def error(where: str, message: str) -> None:
    errors.append(f"{where}: {message}")


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys."""


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

# kubernetes-validate reads the definitions file (megabytes of JSON) for every object: read each file once.
kv.schema_contents = functools.lru_cache(maxsize=None)(kv.schema_contents)


def name_of(obj: dict) -> str:
    return f"{obj.get('kind', '?')}/{obj.get('metadata', {}).get('name', '?')}"


def check_schema(where: str, obj: dict, version: str) -> None:
    wanted = kv.major_minor(version)
    try:
        used = kv.validate(obj, version, strict=True)
    except kv.ValidationError as e:
        path = ".".join(str(p) for p in e.path) or "(top)"
        error(where, f"schema {e.version}: {path}: {e.message}")
        return
    except kv.SchemaNotFoundError as e:
        error(where, f"no schema: {e.message}")
        return
    except Exception as e:  # noqa: BLE001 - every failure of the validator is a failure of the check
        error(where, f"cannot validate: {type(e).__name__}: {e}")
        return
    if used != wanted:
        error(where, f"validated against Kubernetes {used} schemas, not {wanted}")


def port_number(spec: dict) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in spec.get("ports", []) if "name" in p}


def listen_port(where: str, key: str, value: str) -> int | None:
    try:
        return int(value.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        error(where, f"{key}: '{value}' is not host:port")
        return None


def under(path: str, mount: str | None) -> bool:
    return mount is not None and PurePosixPath(mount) in PurePosixPath(path).parents


def check_pod(where: str, pod: dict, found: dict[str, set[str]]) -> None:
    if pod.get("automountServiceAccountToken") is not False:
        error(where, "automountServiceAccountToken must be false")
    account = pod.get("serviceAccountName")
    if account and account not in found["ServiceAccount"]:
        error(where, f"serviceAccountName {account} is not rendered")
    context = pod.get("securityContext", {})
    if context.get("runAsNonRoot") is not True:
        error(where, "pod securityContext.runAsNonRoot must be true")
    if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        error(where, "pod securityContext.seccompProfile.type must be RuntimeDefault")
    for volume in pod.get("volumes", []):
        if "configMap" in volume and volume["configMap"]["name"] not in found["ConfigMap"]:
            error(where, f"volume {volume['name']}: ConfigMap {volume['configMap']['name']} is not rendered")
        if "secret" in volume:
            secret = volume["secret"]["secretName"]
            if secret not in found["Secret"] and secret not in OPERATOR_SECRETS:
                error(where, f"volume {volume['name']}: Secret {secret} is neither rendered nor operator-made")
        claim = volume.get("persistentVolumeClaim", {}).get("claimName")
        if claim and claim not in found["PersistentVolumeClaim"]:
            error(where, f"volume {volume['name']}: PersistentVolumeClaim {claim} is not rendered")
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        at = f"{where}: container {container['name']}"
        sc = container.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            error(at, "securityContext.allowPrivilegeEscalation must be false")
        if sc.get("readOnlyRootFilesystem") is not True:
            error(at, "securityContext.readOnlyRootFilesystem must be true")
        if sc.get("privileged"):
            error(at, "must not be privileged")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []) or sc.get("capabilities", {}).get("add"):
            error(at, "securityContext.capabilities must drop ALL and add none")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    error(at, f"resources.{kind}.{resource} is missing")
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in container:
                error(at, f"{probe} is missing")
        image = container.get("image", "")
        if ":" not in image.rsplit("/", 1)[-1] and "@" not in image or image.endswith(":latest"):
            error(at, f"image '{image}' needs a fixed tag or digest")
        mounts = {m["name"] for m in container.get("volumeMounts", [])}
        for volume in pod.get("volumes", []):
            if volume["name"] not in mounts:
                error(at, f"volume {volume['name']} is not mounted")


def mount_of(pod: dict, container: dict, kind: str, name: str) -> str | None:
    """Where `container` mounts the volume made from the `kind` (configMap, secret, …) called `name`."""
    field = {"configMap": "name", "secret": "secretName", "persistentVolumeClaim": "claimName"}[kind]
    for volume in pod.get("volumes", []):
        if volume.get(kind, {}).get(field) == name:
            for mount in container.get("volumeMounts", []):
                if mount["name"] == volume["name"]:
                    return mount["mountPath"]
    return None


def config_data(objs: list[dict], prefix: str, key: str) -> tuple[str | None, dict | None]:
    """The ConfigMap generated as `prefix` (name with kustomize's hash) and its TOML file `key`, parsed."""
    for obj in objs:
        name = obj["metadata"]["name"]
        if obj["kind"] == "ConfigMap" and (name == prefix or name.startswith(prefix + "-")):
            text = obj.get("data", {}).get(key)
            if text is None:
                error(name_of(obj), f"has no key {key}")
                return name, None
            return name, tomllib.loads(text)
    return None, None


def check_overlay(path: Path, version: str) -> dict:
    overlay = path.stem
    with path.open() as f:
        try:
            objs = [o for o in yaml.load_all(f, Loader=StrictLoader) if o]
        except yaml.YAMLError as e:
            error(overlay, f"YAML: {e}")
            return {}
    if not objs:
        error(overlay, "renders nothing")
        return {}
    for obj in objs:
        check_schema(f"{overlay}: {name_of(obj)}", obj, version)

    namespaces = [o["metadata"]["name"] for o in objs if o.get("kind") == "Namespace"]
    if len(namespaces) != 1:
        error(overlay, f"must render exactly one Namespace, found {namespaces}")
        return {}
    namespace = namespaces[0]
    ns_obj = next(o for o in objs if o.get("kind") == "Namespace")
    labels = ns_obj["metadata"].get("labels", {})
    if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
        error(f"{overlay}: Namespace/{namespace}", "must enforce Pod Security 'restricted'")
    found: dict[str, set[str]] = {}
    for obj in objs:
        found.setdefault(obj["kind"], set()).add(obj["metadata"]["name"])
        if obj["kind"] not in CLUSTER_SCOPED and obj["metadata"].get("namespace") != namespace:
            error(f"{overlay}: {name_of(obj)}", f"must be in namespace {namespace}")
    for kind in ("ConfigMap", "Secret", "PersistentVolumeClaim", "ServiceAccount"):
        found.setdefault(kind, set())

    # A node runs as a Deployment; the gateway's replicas as a StatefulSet, each with a name the nodes list.
    deployments = [o for o in objs if o["kind"] in ("Deployment", "StatefulSet")]
    if len(deployments) != 1:
        error(overlay, f"must render exactly one Deployment or StatefulSet, found {len(deployments)}")
        return {}
    deployment = deployments[0]
    where = f"{overlay}: {name_of(deployment)}"
    pod = deployment["spec"]["template"]["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"].get("labels", {})
    check_pod(where, pod, found)
    container = pod["containers"][0]
    ports = port_number(container)

    policies = [o for o in objs if o["kind"] == "NetworkPolicy"]
    if not any(p["spec"].get("podSelector") == {} and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
               and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
        error(overlay, "needs a default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")
    if not any(p["spec"].get("podSelector", {}).get("matchLabels")
               and p["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items() for p in policies):
        error(overlay, "no NetworkPolicy selects the Deployment's pods")

    services = {}
    for service in (o for o in objs if o["kind"] == "Service"):
        at = f"{overlay}: {name_of(service)}"
        if service["spec"].get("type", "ClusterIP") != "ClusterIP":
            error(at, "must be ClusterIP")
        selector = service["spec"].get("selector", {})
        if not selector or not selector.items() <= pod_labels.items():
            error(at, f"selector {selector} does not select the Deployment's pods")
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if isinstance(target, str) and target not in ports or isinstance(target, int) and target not in ports.values():
                error(at, f"port {port.get('name')}: targetPort {target} is not a container port")
        services[service["metadata"]["name"]] = {p["name"]: p["port"] for p in service["spec"]["ports"]}

    result = {"overlay": overlay, "namespace": namespace, "services": services}
    registry_map, registry = config_data(objs, "expertnet-registry", "registry.toml")
    if registry is None:
        error(overlay, "renders no ConfigMap expertnet-registry with registry.toml")
    else:
        result["registry"] = registry
        registry_mount = mount_of(pod, container, "configMap", registry_map)
    tls_secret = next((v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v), None)
    tls_mount = mount_of(pod, container, "secret", tls_secret) if tls_secret else None

    if deployment["metadata"]["name"] == "expertnet-node":
        at = f"{overlay}: node.toml"
        if deployment["spec"].get("replicas") != 1 or deployment["spec"].get("strategy", {}).get("type") != "Recreate":
            error(where, "a node runs one replica with strategy Recreate (SQLite has one writer)")
        config_map, config = config_data(objs, "expertnet-node-config", "node.toml")
        if config is None:
            error(overlay, "renders no ConfigMap expertnet-node-config with node.toml")
            return result
        config_mount = mount_of(pod, container, "configMap", config_map)
        args = container.get("args", [])
        if config_mount is None or f"{config_mount}/node.toml" not in args:
            error(where, f"args {args} do not load the mounted node.toml")
        if config.get("region") != overlay or namespace != f"expertnet-{overlay}":
            error(at, f"region '{config.get('region')}' must be the overlay's ({overlay}), in namespace expertnet-{overlay}")
        if listen_port(at, "server.listen", config["server"]["listen"]) != ports.get("team"):
            error(at, f"server.listen must use the container's port team ({ports.get('team')})")
        federation = config.get("federation")
        if not federation:
            error(at, "has no [federation] section")
            return result
        if listen_port(at, "federation.listen", federation["listen"]) != ports.get("inbox"):
            error(at, f"federation.listen must use the container's port inbox ({ports.get('inbox')})")
        board = config.get("web", {}).get("listen", "127.0.0.1:8051")
        if board:
            if listen_port(at, "web.listen", board) != ports.get("board"):
                error(at, f"web.listen must use the container's port board ({ports.get('board')})")
            if not config["server"].get("tls"):
                error(at, "the web board is served off loopback only over TLS: [server.tls] is missing")
            if not any(rule.get("ports") and any(p.get("port") in (ports.get("board"), "board") for p in rule["ports"])
                       for p_ in policies for rule in p_["spec"].get("ingress", [])):
                error(overlay, "no NetworkPolicy admits the web board's port")
        url = config["database"]["url"]
        if url.startswith("sqlite:"):
            data_mount = mount_of(pod, container, "persistentVolumeClaim", "expertnet-node-data")
            if not under(url.removeprefix("sqlite://"), data_mount):
                error(at, f"database.url {url} is not on the data volume ({data_mount})")
        if registry is not None and not under(federation["registry"], registry_mount):
            error(at, f"federation.registry is not where the registry is mounted ({registry_mount})")
        for key in ("ca", "cert", "key"):
            if not under(federation["tls"][key], tls_mount):
                error(at, f"federation.tls.{key} is not where Secret {tls_secret} is mounted ({tls_mount})")
        result["node"] = config
    elif deployment["metadata"]["name"] == "expertnet-gateway":
        at = f"{overlay}: gateway.toml"
        config_map, config = config_data(objs, "expertnet-gateway-config", "gateway.toml")
        if config is None:
            error(overlay, "renders no ConfigMap expertnet-gateway-config with gateway.toml")
            return result
        config_mount = mount_of(pod, container, "configMap", config_map)
        if config_mount is None or f"{config_mount}/gateway.toml" not in container.get("args", []):
            error(where, "args do not load the mounted gateway.toml")
        if any(e.get("name") == "EXPERTNET_GATEWAY_CONFIG" for e in container.get("env", [])):
            error(where, "EXPERTNET_GATEWAY_CONFIG would compete with --config: pass the mounted file once")
        replicas = deployment["spec"].get("replicas", 1)
        if deployment["kind"] != "StatefulSet" or replicas < 2:
            error(where, "the gateway runs as a StatefulSet of two or more replicas, each named for the nodes")
        headless = deployment["spec"].get("serviceName")
        headless_spec = next((o["spec"] for o in objs if o["kind"] == "Service" and o["metadata"]["name"] == headless),
                             None)
        if headless_spec is None or headless_spec.get("clusterIP") != "None":
            error(where, f"serviceName {headless} must be a rendered headless Service (clusterIP: None)")
        database = next((e for e in container.get("env", []) if e.get("name") == "EXPERTNET_GATEWAY_STATISTICS_DATABASE"),
                        None)
        secret = (database or {}).get("valueFrom", {}).get("secretKeyRef", {}).get("name")
        if secret not in OPERATOR_SECRETS:
            error(where, "the replicas' shared statistics store (EXPERTNET_GATEWAY_STATISTICS_DATABASE) must come "
                         "from the operator's Secret")
        if str(config.get("statistics_database", "")).startswith("sqlite:"):
            error(at, "statistics_database: replicas share one store; an SQLite file is one pod's")
        if not any(o["kind"] == "PodDisruptionBudget" for o in objs):
            error(overlay, "no PodDisruptionBudget keeps a gateway replica up through a drain")
        result["replicas"] = replicas
        result["headless"] = headless
        if listen_port(at, "listen", config["listen"]) != ports.get("federation"):
            error(at, f"listen must use the container's port federation ({ports.get('federation')})")
        if registry is not None and not under(config["registry"], registry_mount):
            error(at, f"registry is not where the registry is mounted ({registry_mount})")
        for key in ("ca", "cert", "key"):
            if not under(config["tls"][key], tls_mount):
                error(at, f"tls.{key} is not where Secret {tls_secret} is mounted ({tls_mount})")
        result["gateway"] = config
    else:
        error(where, "is neither expertnet-node nor expertnet-gateway")
    return result


def check_federation(results: list[dict], repo: Path) -> None:
    """The overlays together: one registry, one gateway, a region overlay per registry region."""
    dev = tomllib.loads((repo / "deploy/registry.toml").read_text())
    strip = lambda registry: [{k: v for k, v in r.items() if k != "endpoint"} for r in registry["regions"]]
    registries = [r["registry"] for r in results if "registry" in r]
    for r in results:
        if "registry" in r and r["registry"] != registries[0]:
            error(r["overlay"], "renders a registry different from the other overlays'")
    gateways = [r for r in results if "gateway" in r]
    nodes = {r["overlay"]: r for r in results if "node" in r}
    if len(gateways) != 1:
        error("overlays", f"need exactly one gateway overlay, found {len(gateways)}")
    if not registries:
        return
    registry = registries[0]
    if strip(registry) != strip(dev):
        error("components/shared/registry.toml", "regions differ from deploy/registry.toml (beyond the endpoints)")
    ids = [r["id"] for r in registry["regions"]]
    if sorted(ids) != sorted(nodes):
        error("overlays", f"region overlays {sorted(nodes)} differ from the registry's regions {sorted(ids)}")
    for region in registry["regions"]:
        node = nodes.get(region["id"])
        if node is None:
            continue
        port = node["services"].get("expertnet-node", {}).get("inbox")
        want = f"https://expertnet-node.{node['namespace']}.svc:{port}"
        if region["endpoint"] != want:
            error("components/shared/registry.toml", f"{region['id']}: endpoint {region['endpoint']} is not {want}")
    if len(gateways) == 1 and "headless" in gateways[0]:
        gateway = gateways[0]
        headless = gateway["headless"]
        port = gateway["services"].get(headless, {}).get("federation")
        want = [f"https://expertnet-gateway-{n}.{headless}.{gateway['namespace']}.svc:{port}"
                for n in range(gateway["replicas"])]
        for name, node in nodes.items():
            if node["node"]["federation"]["gateway"] != want:
                error(f"{name}: node.toml", f"federation.gateway must list every gateway replica: {want}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubernetes-version", required=True)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    results = [check_overlay(f, args.kubernetes_version) for f in args.files]
    check_federation([r for r in results if r], args.repo)
    objects = sum(1 for f in args.files for o in yaml.safe_load_all(f.read_text()) if o)
    for line in errors:
        print(f"ERROR {line}", file=sys.stderr)
    verdict = "FAILED" if errors else "ok"
    print(f"kubernetes: {len(args.files)} overlays, {objects} objects, Kubernetes {args.kubernetes_version} "
          f"schemas (strict) and deployment checks: {verdict}, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
