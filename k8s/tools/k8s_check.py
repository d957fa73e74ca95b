#!/usr/bin/env python3
"""Offline validation of GridLedger's Kubernetes manifests (k8s/).

Renders every overlay with kustomize (twice: the output must be the same),
then checks each object:

  schema   built-in kinds against Kubernetes' published OpenAPI schemas as
           the kubernetes-validate package ships them (strict: an unknown
           field is an error); custom resources (Strimzi, cert-manager,
           Prometheus operator) against the openAPIV3Schema of their CRDs
           as the projects publish them, with every object closed (unknown
           fields are errors) unless it says x-kubernetes-preserve-unknown-
           fields. CEL rules (x-kubernetes-validations) are not evaluated.
  policy   probes, requests and limits, restricted Pod Security fields,
           image tags, references (Secrets, ConfigMaps, ServiceAccounts,
           PVCs, volumes, Services, issuers, Kafka clusters) that resolve in
           the render, selectors that match, and GridLedger's own rules
           (topic partitions agree with the store URIs, metric names the
           binary exports).

Secrets made by operators count as present when the render holds what makes
them: a cert-manager Certificate (spec.secretName), a Strimzi KafkaUser (a
Secret of its name) or Kafka cluster (<name>-cluster-ca-cert, ...).

Usage (scripts/k8s-check runs it from the venv it installs):
  k8s_check.py --kustomize BIN --crds DIR --source K8S_DIR check [OVERLAY ...]
  k8s_check.py --kustomize BIN --crds DIR --source K8S_DIR self-test
  k8s_check.py --kustomize BIN --crds DIR --source K8S_DIR render OVERLAY

The overlays' secretGenerators read files kept out of git; the checker works
on a copy of K8S_DIR in which every secrets/ file is a placeholder (real ones
are not copied).
"""

import argparse
import copy
import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import referencing
import yaml

KUBERNETES_VERSION = "1.33"  # the schemas built-in kinds are held to

# Kinds without a namespace (the ones the render may hold).
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "ClusterIssuer", "PersistentVolume", "StorageClass", "PriorityClass",
}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
WORKLOADS = LONG_RUNNING | {"Job", "CronJob", "Pod"}

# What the binary exports on /metrics (the deployment contract); dashboards
# and alerts may name only these, Prometheus' own `up` and kube-state-metrics.
KNOWN_METRICS = {
    "gridledger_grpc_requests_total",
    "gridledger_grpc_request_duration_seconds_bucket",
    "gridledger_append_duration_seconds_bucket",
    "gridledger_group_commit_events_bucket",
    "gridledger_append_failures_total",
    "gridledger_kafka_transaction_duration_seconds_bucket",
    "gridledger_kafka_fences_total",
    "gridledger_kafka_owned_partitions",
    "gridledger_view_applied_events_total",
    "gridledger_view_lag_events",
    "gridledger_view_applied_offset",
    "gridledger_view_generation",
    "gridledger_view_rebuilding",
    "gridledger_view_failed",
    "gridledger_subscribers",
    "gridledger_store_writable",
    "gridledger_rocksdb_live_sst_bytes",
    "gridledger_rocksdb_write_stopped",
    "gridledger_rocksdb_delayed_write_rate_bytes",
    "gridledger_build_info",
}

DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = {"$ref": DEFINITIONS_ID + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}

CERT_KEYS = {"tls.crt", "tls.key", "ca.crt"}
KAFKA_USER_TLS_KEYS = {"user.crt", "user.key", "ca.crt", "user.p12", "user.password"}
KAFKA_USER_SCRAM_KEYS = {"password", "sasl.jaas.config"}
KAFKA_CA_CERT_KEYS = {"ca.crt", "ca.p12", "ca.password"}


def name_of(obj):
    return f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"


# ---------------------------------------------------------------- schemas


def _open_crd_schema(node, structural=True):
    """An openAPIV3Schema node as JSON Schema 2020-12, objects closed."""
    if not isinstance(node, dict):
        return node
    out = {}
    nullable = node.get("nullable", False)
    if node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}] + ([{"type": "null"}] if nullable else [])
    elif "type" in node:
        out["type"] = [node["type"], "null"] if nullable else node["type"]
    if "properties" in node:
        out["properties"] = {k: _open_crd_schema(v) for k, v in node["properties"].items()}
    if "items" in node:
        out["items"] = _open_crd_schema(node["items"])
    if "additionalProperties" in node:
        extra = node["additionalProperties"]
        out["additionalProperties"] = _open_crd_schema(extra) if isinstance(extra, dict) else extra
    elif structural and node.get("type") == "object" and not node.get("x-kubernetes-preserve-unknown-fields"):
        # The API server would drop an unknown field (and kubectl warn);
        # here it is an error: it is always a typo or a wrong version.
        out["additionalProperties"] = False
    for key in ("required", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength",
                "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "multipleOf"):
        if key in node:
            out[key] = node[key]
    # OpenAPI 3.0's boolean exclusive bounds are 2020-12's numeric ones.
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if node.get(exclusive) is True and bound in node:
            out[exclusive] = out.pop(bound)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            out[key] = [_open_crd_schema(branch, structural=False) for branch in node[key]]
    if "not" in node:
        out["not"] = _open_crd_schema(node["not"], structural=False)
    return out


class Schemas:
    """Validators for built-in kinds (kubernetes-validate's strict schemas)
    and for the CRDs found under crd_dir, each made once."""

    def __init__(self, crd_dir):
        package = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
        self.k8s_dir = Path(str(package)) / f"v{KUBERNETES_VERSION}.0-local-strict"
        if not self.k8s_dir.is_dir():
            raise SystemExit(f"k8s-check: kubernetes-validate has no schemas for {KUBERNETES_VERSION}")
        definitions = json.loads((self.k8s_dir / "_definitions.json").read_text())
        definitions.setdefault("$id", DEFINITIONS_ID)
        self.registry = referencing.Registry().with_resource(
            definitions["$id"], referencing.Resource.from_contents(definitions))
        self.validators = {}
        self.crds = {}  # (group, version, kind) -> openAPIV3Schema
        self.crd_groups = set()
        for path in sorted(Path(crd_dir).rglob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                self.crd_groups.add(spec["group"])
                for version in spec["versions"]:
                    if version.get("served", True) and "schema" in version:
                        key = (spec["group"], version["name"], spec["names"]["kind"])
                        self.crds[key] = version["schema"]["openAPIV3Schema"]
        if not self.crds:
            raise SystemExit(f"k8s-check: no CustomResourceDefinition under {crd_dir}")

    def validator(self, obj):
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        group, _, version = api_version.rpartition("/")
        key = (api_version, kind)
        if key in self.validators:
            return self.validators[key]
        schema = None
        if group in self.crd_groups:
            crd = self.crds.get((group, version, kind))
            if crd is not None:
                schema = _open_crd_schema(crd)
                schema.setdefault("properties", {})["metadata"] = OBJECT_META
        else:
            # kubernetes-validate's file names: kind-<group's first label>-version.
            api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            path = self.k8s_dir / f"{kind.lower()}-{api}.json"
            if path.is_file():
                schema = json.loads(path.read_text())
        validator = None
        if schema is not None:
            validator = jsonschema.Draft202012Validator(schema, registry=self.registry)
        self.validators[key] = validator
        return validator

    def check(self, obj):
        validator = self.validator(obj)
        if validator is None:
            return [f"{name_of(obj)}: schema: no schema for apiVersion {obj.get('apiVersion')} "
                    f"kind {obj.get('kind')} (Kubernetes {KUBERNETES_VERSION} or the pinned CRDs)"]
        errors = []
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            where = ".".join(str(p) for p in error.absolute_path) or "(top)"
            errors.append(f"{name_of(obj)}: schema: {where}: {error.message}")
        return errors[:8]


# ----------------------------------------------------------------- policy


def pod_spec_of(obj):
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def pod_labels_of(obj):
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return (obj.get("metadata") or {}).get("labels") or {}
    if kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    else:
        template = spec.get("template") or {}
    return (template.get("metadata") or {}).get("labels") or {}


def selector_matches(selector, labels, service=False):
    """A LabelSelector (or, with service=True, a Service's plain map)
    against a set of labels. An empty selector matches nothing here."""
    if not selector:
        return False
    if service:
        match_labels, expressions = selector, []
    else:
        match_labels = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in expressions:
        key, op, values = expression["key"], expression["operator"], expression.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and labels.get(key) in values) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


class Render:
    """The objects of one render, indexed for the reference checks."""

    def __init__(self, objects):
        self.objects = objects
        self.by_kind = {}
        for obj in objects:
            self.by_kind.setdefault(obj.get("kind"), []).append(obj)
        self.secret_keys = {}  # (namespace, name) -> set of keys, or None when unknown
        self.secret_makers = {}  # (namespace, name) -> what makes it
        for obj in self.kind("Secret"):
            keys = set((obj.get("data") or {}).keys()) | set((obj.get("stringData") or {}).keys())
            self._secret(obj, obj["metadata"]["name"], keys, "the render")
        for cert in self.kind("Certificate"):
            self._secret(cert, (cert.get("spec") or {}).get("secretName"), CERT_KEYS, name_of(cert))
        for user in self.kind("KafkaUser"):
            auth = ((user.get("spec") or {}).get("authentication") or {}).get("type")
            keys = KAFKA_USER_SCRAM_KEYS if auth == "scram-sha-512" else KAFKA_USER_TLS_KEYS
            self._secret(user, user["metadata"]["name"], keys, name_of(user))
        for kafka in self.kind("Kafka"):
            cluster = kafka["metadata"]["name"]
            for suffix, keys in (("-cluster-ca-cert", KAFKA_CA_CERT_KEYS), ("-clients-ca-cert", KAFKA_CA_CERT_KEYS),
                                 ("-cluster-ca", {"ca.key"}), ("-clients-ca", {"ca.key"})):
                self._secret(kafka, cluster + suffix, keys, name_of(kafka))
        self.config_keys = {}
        for obj in self.kind("ConfigMap"):
            keys = set((obj.get("data") or {}).keys()) | set((obj.get("binaryData") or {}).keys())
            self.config_keys[(self.ns(obj), obj["metadata"]["name"])] = keys

    def _secret(self, obj, name, keys, maker):
        if name:
            self.secret_keys[(self.ns(obj), name)] = keys
            self.secret_makers[(self.ns(obj), name)] = maker

    def kind(self, kind):
        return self.by_kind.get(kind, [])

    @staticmethod
    def ns(obj):
        return (obj.get("metadata") or {}).get("namespace")

    def names(self, kind, namespace):
        return {o["metadata"]["name"] for o in self.kind(kind) if self.ns(o) == namespace}


def check_refs(render, obj, spec, errors):
    """Secrets, ConfigMaps, PVCs and volumes a pod spec names exist."""
    ns, who = Render.ns(obj), name_of(obj)

    def secret(name, key, where):
        if (ns, name) not in render.secret_keys:
            errors.append(f"{who}: {where}: Secret {name} is neither in the render nor made by "
                          f"a Certificate, KafkaUser or Kafka in it")
        elif key is not None and key not in render.secret_keys[(ns, name)]:
            errors.append(f"{who}: {where}: Secret {name} ({render.secret_makers[(ns, name)]}) "
                          f"has no key {key}")

    def config_map(name, key, where):
        if (ns, name) not in render.config_keys:
            errors.append(f"{who}: {where}: ConfigMap {name} is not in the render")
        elif key is not None and key not in render.config_keys[(ns, name)]:
            errors.append(f"{who}: {where}: ConfigMap {name} has no key {key}")

    volumes = set()
    for volume in spec.get("volumes") or []:
        volumes.add(volume["name"])
        where = f"volume {volume['name']}"
        if "secret" in volume:
            items = volume["secret"].get("items") or [{}]
            for item in items:
                secret(volume["secret"].get("secretName"), item.get("key"), where)
        if "configMap" in volume:
            for item in volume["configMap"].get("items") or [{}]:
                config_map(volume["configMap"].get("name"), item.get("key"), where)
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "secret" in source:
                for item in source["secret"].get("items") or [{}]:
                    secret(source["secret"].get("name"), item.get("key"), where)
            if "configMap" in source:
                for item in source["configMap"].get("items") or [{}]:
                    config_map(source["configMap"].get("name"), item.get("key"), where)
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"].get("claimName")
            if claim not in render.names("PersistentVolumeClaim", ns):
                errors.append(f"{who}: {where}: PersistentVolumeClaim {claim} is not in the render")
        if "hostPath" in volume:
            errors.append(f"{who}: {where}: hostPath volumes break the restricted Pod Security Standard")
    if obj.get("kind") == "StatefulSet":
        for template in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:
            volumes.add(template["metadata"]["name"])
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        where = f"container {container.get('name')}"
        for mount in container.get("volumeMounts") or []:
            if mount["name"] not in volumes:
                errors.append(f"{who}: {where}: volumeMount {mount['name']} names no volume "
                              f"or volumeClaimTemplate")
        for env in container.get("env") or []:
            source = env.get("valueFrom") or {}
            if "secretKeyRef" in source and not source["secretKeyRef"].get("optional"):
                secret(source["secretKeyRef"]["name"], source["secretKeyRef"]["key"], f"{where} env {env['name']}")
            if "configMapKeyRef" in source and not source["configMapKeyRef"].get("optional"):
                config_map(source["configMapKeyRef"]["name"], source["configMapKeyRef"]["key"],
                           f"{where} env {env['name']}")
        for source in container.get("envFrom") or []:
            if "secretRef" in source and not source["secretRef"].get("optional"):
                secret(source["secretRef"]["name"], None, f"{where} envFrom")
            if "configMapRef" in source and not source["configMapRef"].get("optional"):
                config_map(source["configMapRef"]["name"], None, f"{where} envFrom")


def check_image(who, container, errors):
    image = container.get("image") or ""
    if "@sha256:" in image:
        return
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        errors.append(f"{who}: container {container.get('name')}: image {image!r} has no tag "
                      f"(a fixed version, never latest)")
    elif last.rsplit(":", 1)[1] == "latest":
        errors.append(f"{who}: container {container.get('name')}: image {image!r} uses the latest tag")


def check_workload(render, obj, errors):
    who, ns, kind = name_of(obj), Render.ns(obj), obj.get("kind")
    spec = pod_spec_of(obj)
    pod_security = spec.get("securityContext") or {}
    if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
        errors.append(f"{who}: host namespaces break the restricted Pod Security Standard")
    account = spec.get("serviceAccountName")
    if not account:
        errors.append(f"{who}: no serviceAccountName (the namespace's default account would be used)")
    elif account not in render.names("ServiceAccount", ns):
        errors.append(f"{who}: ServiceAccount {account} is not in the render")
    else:
        sa = next(o for o in render.kind("ServiceAccount") if Render.ns(o) == ns and o["metadata"]["name"] == account)
        if spec.get("automountServiceAccountToken") is not False and sa.get("automountServiceAccountToken") is not False:
            errors.append(f"{who}: the ServiceAccount token is mounted (automountServiceAccountToken: false)")
    check_refs(render, obj, spec, errors)
    containers = [(c, False) for c in spec.get("containers") or []] + \
                 [(c, True) for c in spec.get("initContainers") or []]
    for container, is_init in containers:
        where = f"{who}: container {container.get('name')}"
        check_image(who, container, errors)
        if kind in LONG_RUNNING and not is_init:
            for probe in ("livenessProbe", "readinessProbe"):
                if not container.get(probe):
                    errors.append(f"{where}: no {probe}")
        resources = container.get("resources") or {}
        for part in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(part) or {}):
                    errors.append(f"{where}: no resources.{part}.{resource}")
        security = container.get("securityContext") or {}
        if security.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{where}: securityContext.allowPrivilegeEscalation is not false")
        if security.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{where}: securityContext.readOnlyRootFilesystem is not true")
        if security.get("privileged"):
            errors.append(f"{where}: securityContext.privileged")
        if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
            errors.append(f"{where}: securityContext.capabilities.drop does not hold ALL")
        if security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is not True:
            errors.append(f"{where}: runAsNonRoot is not true (container or pod securityContext)")
        if security.get("runAsUser", pod_security.get("runAsUser")) == 0:
            errors.append(f"{where}: runs as user 0")
        seccomp = (security.get("seccompProfile") or pod_security.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            errors.append(f"{where}: seccompProfile is not RuntimeDefault (container or pod securityContext)")


def workloads_in(render, namespace):
    return [o for o in render.objects if o.get("kind") in WORKLOADS and Render.ns(o) == namespace]


def check_selectors(render, errors):
    for service in render.kind("Service"):
        ns, selector = Render.ns(service), (service.get("spec") or {}).get("selector")
        if not selector:
            continue  # a Service without a selector has its endpoints made by hand
        matched = [w for w in workloads_in(render, ns) if selector_matches(selector, pod_labels_of(w), service=True)]
        if not matched:
            errors.append(f"{name_of(service)}: selector {selector} matches no workload's pods")
            continue
        port_names = {p.get("name") for w in matched for c in pod_spec_of(w).get("containers") or []
                      for p in c.get("ports") or []}
        for port in (service.get("spec") or {}).get("ports") or []:
            target = port.get("targetPort")
            if isinstance(target, str) and target not in port_names:
                errors.append(f"{name_of(service)}: targetPort {target} is no container port of "
                              f"{', '.join(name_of(w) for w in matched)}")
    for pdb in render.kind("PodDisruptionBudget"):
        selector = (pdb.get("spec") or {}).get("selector")
        if not any(selector_matches(selector, pod_labels_of(w)) for w in workloads_in(render, Render.ns(pdb))):
            errors.append(f"{name_of(pdb)}: selector matches no workload's pods")
    for sts in render.kind("StatefulSet"):
        service = (sts.get("spec") or {}).get("serviceName")
        services = {s["metadata"]["name"]: s for s in render.kind("Service") if Render.ns(s) == Render.ns(sts)}
        if service and service not in services:
            errors.append(f"{name_of(sts)}: serviceName {service} is not a Service in the render")
        elif service and (services[service].get("spec") or {}).get("clusterIP") != "None":
            errors.append(f"{name_of(sts)}: serviceName {service} is not headless (clusterIP: None)")
    for monitor in render.kind("ServiceMonitor"):
        spec = monitor.get("spec") or {}
        namespaces = (spec.get("namespaceSelector") or {}).get("matchNames") or [Render.ns(monitor)]
        matched = [s for s in render.kind("Service") if Render.ns(s) in namespaces
                   and selector_matches(spec.get("selector"), (s.get("metadata") or {}).get("labels") or {})]
        if not matched:
            errors.append(f"{name_of(monitor)}: selector matches no Service")
        for endpoint in spec.get("endpoints") or []:
            for service in matched:
                if endpoint.get("port") not in {p.get("name") for p in service["spec"].get("ports") or []}:
                    errors.append(f"{name_of(monitor)}: {name_of(service)} has no port named {endpoint.get('port')}")


def check_namespaces(render, errors):
    namespaces = {o["metadata"]["name"]: o for o in render.kind("Namespace")}
    for obj in render.objects:
        kind, ns = obj.get("kind"), Render.ns(obj)
        if kind in CLUSTER_SCOPED:
            continue
        if not ns:
            errors.append(f"{name_of(obj)}: no namespace (it would land in the namespace kubectl uses)")
        elif ns not in namespaces:
            errors.append(f"{name_of(obj)}: namespace {ns} is not in the render")
    for name, namespace in namespaces.items():
        if workloads_in(render, name):
            labels = namespace["metadata"].get("labels") or {}
            if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
                errors.append(f"Namespace/{name}: pod-security.kubernetes.io/enforce is not restricted")


def check_operators(render, errors):
    for cert in render.kind("Certificate"):
        ref = (cert.get("spec") or {}).get("issuerRef") or {}
        kind = ref.get("kind", "Issuer")
        names = render.names(kind, Render.ns(cert) if kind == "Issuer" else None)
        if ref.get("name") not in names:
            errors.append(f"{name_of(cert)}: issuerRef {kind}/{ref.get('name')} is not in the render")
    for issuer in render.kind("Issuer") + render.kind("ClusterIssuer"):
        ca = ((issuer.get("spec") or {}).get("ca") or {}).get("secretName")
        if ca and (Render.ns(issuer), ca) not in render.secret_keys:
            errors.append(f"{name_of(issuer)}: ca.secretName {ca} is neither in the render nor a Certificate's")
    clusters = {(Render.ns(k), k["metadata"]["name"]) for k in render.kind("Kafka")}
    for kind in ("KafkaNodePool", "KafkaTopic", "KafkaUser"):
        for obj in render.kind(kind):
            cluster = ((obj.get("metadata") or {}).get("labels") or {}).get("strimzi.io/cluster")
            if (Render.ns(obj), cluster) not in clusters:
                errors.append(f"{name_of(obj)}: label strimzi.io/cluster={cluster} names no Kafka in the render")


def check_gridledger(render, errors):
    """The deployment's own rules: what the binary would refuse at start."""
    brokers = {}
    for pool in render.kind("KafkaNodePool"):
        cluster = pool["metadata"].get("labels", {}).get("strimzi.io/cluster")
        if "broker" in (pool.get("spec") or {}).get("roles") or []:
            brokers[cluster] = brokers.get(cluster, 0) + (pool.get("spec") or {}).get("replicas", 0)
    unit_partitions = {}
    for topic in render.kind("KafkaTopic"):
        spec, labels = topic.get("spec") or {}, topic["metadata"].get("labels") or {}
        cluster, replicas = labels.get("strimzi.io/cluster"), spec.get("replicas", 0)
        if replicas > brokers.get(cluster, 0):
            errors.append(f"{name_of(topic)}: {replicas} replicas but {brokers.get(cluster, 0)} brokers")
        min_isr = (spec.get("config") or {}).get("min.insync.replicas")
        if min_isr is not None and int(min_isr) > replicas:
            errors.append(f"{name_of(topic)}: min.insync.replicas {min_isr} > replicas {replicas}")
        if labels.get("gridledger.io/unit-topic") == "true":
            unit_partitions[spec.get("topicName", topic["metadata"]["name"])] = spec.get("partitions")
    # Every store URI's partitions= must be every unit topic's count
    # (a cluster instance refuses to start otherwise).
    for config in render.kind("ConfigMap"):
        for key, value in (config.get("data") or {}).items():
            for uri in re.findall(r"kafka://[^\s\"']+", value):
                stated = re.search(r"[?&]partitions=(\d+)", uri)
                for topic, count in sorted(unit_partitions.items()):
                    if stated and int(stated.group(1)) != count:
                        errors.append(f"{name_of(config)}: {key}: partitions={stated.group(1)} but "
                                      f"KafkaTopic {topic} has {count}")
                if not stated and unit_partitions:
                    errors.append(f"{name_of(config)}: {key}: the store URI states no partitions=")
    # Dashboards and alerts name only metrics the binary exports.
    expressions = []
    for rule in render.kind("PrometheusRule"):
        for group in (rule.get("spec") or {}).get("groups") or []:
            for item in group.get("rules") or []:
                expressions.append((name_of(rule), str(item.get("expr", ""))))
    for config in render.kind("ConfigMap"):
        for key, value in (config.get("data") or {}).items():
            if key.endswith(".json"):
                try:
                    dashboard = json.loads(value)
                except ValueError as error:
                    errors.append(f"{name_of(config)}: {key}: not JSON: {error}")
                    continue
                for panel in dashboard.get("panels") or []:
                    for target in panel.get("targets") or []:
                        expressions.append((f"{name_of(config)}: {key}: panel {panel.get('title')!r}",
                                            target.get("expr", "")))
    for where, expr in expressions:
        for metric in sorted(set(re.findall(r"\b(gridledger_[a-z0-9_]+)", expr))):
            if metric not in KNOWN_METRICS:
                errors.append(f"{where}: metric {metric} is not one the binary exports")


def check_render(schemas, objects):
    render = Render(objects)
    errors = []
    for obj in objects:
        errors.extend(schemas.check(obj))
    for obj in objects:
        if obj.get("kind") in WORKLOADS:
            check_workload(render, obj, errors)
    check_selectors(render, errors)
    check_namespaces(render, errors)
    check_operators(render, errors)
    check_gridledger(render, errors)
    return errors


# ------------------------------------------------------------- rendering


def _skip_secrets(directory, names):
    """copytree's filter: no real secret file (secrets/*) leaves its place."""
    if Path(directory).name == "secrets":
        return [n for n in names if n != "README.md"]
    return [n for n in names if n == "__pycache__"]


def prepare_copy(source, into):
    """A copy of k8s/ in which every file a secretGenerator reads from a
    secrets/ directory is a placeholder: real secret files, where an operator
    made them, are neither copied nor read."""
    shutil.copytree(source, into, ignore=_skip_secrets)
    made = []
    for kustomization in sorted(Path(into).rglob("kustomization.yaml")):
        doc = yaml.safe_load(kustomization.read_text()) or {}
        for generator in doc.get("secretGenerator") or []:
            for entry in generator.get("files") or []:
                path = kustomization.parent / entry.split("=", 1)[-1]
                if "secrets" in path.relative_to(kustomization.parent).parts and not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text("PLACEHOLDER written by scripts/k8s-check: not a secret\n")
                    made.append(path)
    return made


def kustomize_build(kustomize, directory):
    result = subprocess.run([kustomize, "build", str(directory)], capture_output=True, text=True)
    if result.returncode != 0:
        return None, result.stderr.strip()
    return result.stdout, None


def check_overlay(kustomize, schemas, directory):
    """Errors of one kustomization: build, determinism, schema, policy."""
    first, error = kustomize_build(kustomize, directory)
    if error:
        return [f"kustomize build failed: {error}"], 0
    second, error = kustomize_build(kustomize, directory)
    if error or second != first:
        return ["kustomize build is not deterministic: two builds differ"], 0
    objects = [o for o in yaml.safe_load_all(first) if o]
    return check_render(schemas, copy.deepcopy(objects)), len(objects)


def overlays_of(root):
    return sorted(p.parent for p in (root / "overlays").glob("*/kustomization.yaml"))


def run_check(args, schemas, root):
    names = args.overlays or [p.name for p in overlays_of(root)]
    failed = 0
    for name in names:
        directory = root / "overlays" / name
        errors, count = check_overlay(args.kustomize, schemas, directory)
        if errors:
            failed += 1
            print(f"FAIL overlays/{name}: {len(errors)} problem(s)")
            for error in errors:
                print(f"  {error}")
        else:
            print(f"ok   overlays/{name}: {count} objects, deterministic, schemas and policy hold")
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


def run_self_test(args, schemas, root):
    """The real overlays pass; every fixture under tests/broken fails, for
    the reason its `expect` file names: each of its lines occurs in an
    error, and every error holds one of its lines."""
    passed = failed = 0
    for directory in overlays_of(root):
        errors, count = check_overlay(args.kustomize, schemas, directory)
        if errors:
            failed += 1
            print(f"FAIL overlays/{directory.name} should pass:")
            for error in errors:
                print(f"  {error}")
        else:
            passed += 1
            print(f"ok   overlays/{directory.name} passes ({count} objects)")
    cases = sorted(p.parent for p in (root / "tests" / "broken").glob("*/kustomization.yaml"))
    if not cases:
        print("FAIL no fixtures under tests/broken")
        failed += 1
    for case in cases:
        expected = [line.strip() for line in (case / "expect").read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
        errors, _ = check_overlay(args.kustomize, schemas, case)
        missing = [e for e in expected if not any(e in error for error in errors)]
        # Each fixture breaks one thing: an error none of its lines explains
        # means it fails for a reason it does not claim.
        unexplained = [error for error in errors if not any(e in error for e in expected)]
        if errors and expected and not missing and not unexplained:
            passed += 1
            hit = next(error for error in errors if expected[0] in error)
            print(f"ok   broken/{case.name} fails as it should: {hit}")
        else:
            failed += 1
            print(f"FAIL broken/{case.name}: expected errors containing {expected}, each explained "
                  f"by one of them; missing {missing}; got:")
            for error in errors or ["(no error)"]:
                print(f"  {error}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kustomize", required=True)
    parser.add_argument("--crds", required=True, help="directory of the pinned CRD YAML files")
    parser.add_argument("--source", required=True, help="the k8s/ directory")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="render and check overlays (default: all)")
    check.add_argument("overlays", nargs="*")
    sub.add_parser("self-test", help="the overlays pass and every tests/broken fixture fails as expected")
    render = sub.add_parser("render", help="print an overlay's render (placeholder secrets)")
    render.add_argument("overlay")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="k8s-check-") as scratch:
        root = Path(scratch) / "k8s"
        prepare_copy(args.source, root)
        if args.command == "render":
            output, error = kustomize_build(args.kustomize, root / "overlays" / args.overlay)
            if error:
                print(error, file=sys.stderr)
                return 1
            sys.stdout.write(output)
            return 0
        schemas = Schemas(args.crds)
        if args.command == "check":
            return run_check(args, schemas, root)
        return run_self_test(args, schemas, root)


if __name__ == "__main__":
    sys.exit(main())
