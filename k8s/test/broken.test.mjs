// The checks catch a broken manifest: each case renders the production overlay with one mistake
// patched in (a kustomization in a temporary directory on top of it) and expects that mistake reported.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { CHECKS, K8S_DIR, id, render } from "./manifests.mjs";
import { schemaErrors } from "./schema.mjs";

const dirs = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const GROUP_VERSIONS = { Deployment: ["apps", "v1"], NetworkPolicy: ["networking.k8s.io", "v1"], Role: ["rbac.authorization.k8s.io", "v1"], Service: ["", "v1"] };

/**
 * The production overlay with `patches` and `resources` (objects) added. The kustomization uses only
 * fields that every kustomize reads (kubectl 1.20's v2.0 too): bases, patchesStrategicMerge, patchesJson6902.
 */
function renderBroken({ patches = [], resources = [] }) {
  const dir = mkdtempSync(join(tmpdir(), "modelplane-k8s-"));
  dirs.push(dir);
  const file = (name, content) => {
    writeFileSync(join(dir, name), content);
    return name;
  };
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    // kustomize takes no absolute paths
    bases: [relative(dir, join(K8S_DIR, "overlays", "production"))],
    resources: resources.map((r, i) => file(`resource-${i}.yaml`, stringify(r))),
    patchesStrategicMerge: patches.filter((p) => p.smp).map((p, i) => file(`smp-${i}.yaml`, stringify(p.smp))),
    patchesJson6902: patches.filter((p) => p.json).map((p, i) => {
      const [group, version] = GROUP_VERSIONS[p.json.kind];
      return { target: { group, version, kind: p.json.kind, name: p.json.name }, path: file(`json-${i}.yaml`, stringify(p.json.ops)) };
    }),
  };
  file("kustomization.yaml", stringify(kustomization));
  return render(dir);
}

const deployment = (name, spec) => ({ smp: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name }, spec } });
const container = (name, fields) => deployment(name, { template: { spec: { containers: [{ name: "modelplane", ...fields }] } } });
const json = (kind, name, ops) => ({ json: { kind, name, ops } });

const cases = [
  ["probes", "readiness on the HTTP port's health route", [container("modelplane", { readinessProbe: { httpGet: { path: "/v2/health/ready", port: "http" } } })],
    /readinessProbe asks \/v2\/health\/ready, not \/ready.*|readinessProbe asks port http \(8080\)/],
  ["probes", "no liveness probe", [json("Deployment", "modelplane-worker-cpu", [{ op: "remove", path: "/spec/template/spec/containers/0/livenessProbe" }])],
    /worker-cpu container modelplane: no livenessProbe/],
  ["resources", "no CPU limit", [container("modelplane-worker-gpu", { resources: { limits: { cpu: null } } })],
    /worker-gpu container modelplane: no cpu limit/],
  ["resources", "a request above its limit", [container("modelplane", { resources: { requests: { memory: "8Gi" } } })],
    /memory request 8Gi above its limit 4Gi/],
  ["storage", "an artifact cache larger than the data volume", [container("modelplane", { env: [{ name: "MODELPLANE_ARTIFACT_CACHE_BYTES", value: "20GiB" }] })],
    /Deployment\/modelplane container modelplane: the data volume \(16Gi\) cannot hold the artifact cache/],
  ["storage", "volumes larger than the pod's ephemeral storage", [json("Deployment", "modelplane-worker-cpu", [{ op: "replace", path: "/spec/template/spec/volumes/0/emptyDir/sizeLimit", value: "40Gi" }])],
    /worker-cpu container modelplane: emptyDirs of 42 GiB exceed the ephemeral-storage limit \(28 GiB\)/],
  ["security", "a writable root filesystem", [container("modelplane-worker-cpu", { securityContext: { readOnlyRootFilesystem: false } })],
    /worker-cpu container modelplane: readOnlyRootFilesystem is not true/],
  ["security", "root", [deployment("modelplane", { template: { spec: { securityContext: { runAsNonRoot: false, runAsUser: 0 } } } }),
    container("modelplane", { securityContext: { runAsNonRoot: null } })], /Deployment\/modelplane container modelplane: runAsNonRoot is not true/],
  ["writablePaths", "/tmp not mounted", [json("Deployment", "modelplane", [{ op: "remove", path: "/spec/template/spec/containers/0/volumeMounts/2" }])],
    /the JVM's temporary files \(\/tmp\) is on no writable volume/],
  ["environment", "a misspelt variable", [container("modelplane", { env: [{ name: "MODELPLANE_SEED_NODE", value: "10.0.0.1:25520" }] })],
    /MODELPLANE_SEED_NODE \(value\) is not a variable ModelPlane reads/],
  ["environment", "a password written into the manifest", [container("modelplane", { env: [{ name: "MODELPLANE_DB_PASSWORD", value: "hunter2", valueFrom: null }] })],
    /MODELPLANE_DB_PASSWORD comes from value, not from a Secret/],
  ["ports", "remoting on another port than the node's", [json("Deployment", "modelplane-worker-cpu", [{ op: "replace", path: "/spec/template/spec/containers/0/ports/1/containerPort", value: 2552 }])],
    /port remoting is 2552, the node listens on 25520/],
  ["ports", "gRPC on another port than the node's", [json("Deployment", "modelplane", [{ op: "replace", path: "/spec/template/spec/containers/0/ports/1/containerPort", value: 9090 }])],
    /Deployment\/modelplane container modelplane: port grpc is 9090, the node listens on 8081 \(MODELPLANE_GRPC_PORT\)/],
  ["ports", "no gRPC port on a gateway", [json("Deployment", "modelplane", [{ op: "remove", path: "/spec/template/spec/containers/0/ports/1" }])],
    /Deployment\/modelplane container modelplane: no container port named grpc/],
  ["ports", "a gRPC port on a worker", [json("Deployment", "modelplane-worker-cpu", [{ op: "add", path: "/spec/template/spec/containers/0/ports/-", value: { name: "grpc", containerPort: 8081 } }])],
    /worker-cpu container modelplane: declares port grpc, which a node without the gateway role does not listen on/],
  ["selectors", "a Service selecting no pods", [{ smp: { apiVersion: "v1", kind: "Service", metadata: { name: "modelplane" }, spec: { selector: { "app.kubernetes.io/component": "gatway" } } } }],
    /Service\/modelplane: its selector matches no pods/],
  ["selectors", "an autoscaled Deployment with replicas", [deployment("modelplane", { replicas: 3 })],
    /Deployment\/modelplane: sets replicas although HorizontalPodAutoscaler\/modelplane scales it/],
  ["selectors", "a gRPC Service port whose target the pods lack", [json("Deployment", "modelplane", [{ op: "replace", path: "/spec/template/spec/containers/0/ports/1/name", value: "h2c" }])],
    /Service\/modelplane: target port grpc is no container port of Deployment\/modelplane/],
  ["selectors", "a network policy letting in a port nobody listens on", [json("NetworkPolicy", "modelplane-http", [{ op: "replace", path: "/spec/ingress/0/ports/0/port", value: 80 }])],
    /NetworkPolicy\/modelplane-http: lets in port 80/],
  ["workerCredentials", "the database password on a worker", [container("modelplane-worker-cpu", { env: [{ name: "MODELPLANE_DB_PASSWORD", valueFrom: { secretKeyRef: { name: "modelplane-db", key: "password" } } }] })],
    /worker-cpu container modelplane: a worker-only node is given MODELPLANE_DB_PASSWORD/],
  ["workerCredentials", "the control nodes' settings on a worker", [json("Deployment", "modelplane-worker-gpu", [{ op: "add", path: "/spec/template/spec/containers/0/envFrom/-", value: { configMapRef: { name: "modelplane-control-config" } } }])],
    /worker-gpu container modelplane: a worker-only node is given MODELPLANE_DB_URL/],
  ["gracePeriod", "a grace period shorter than the graceful leave", [deployment("modelplane-worker-gpu", { template: { spec: { terminationGracePeriodSeconds: 30 } } })],
    /worker-gpu container modelplane: terminationGracePeriodSeconds 30 is not longer than the shutdown timeout \(60s\)/],
  ["clusterFormation", "a fixed cluster address", [container("modelplane", { env: [{ name: "MODELPLANE_CLUSTER_HOST", value: "127.0.0.1", valueFrom: null }] })],
    /MODELPLANE_CLUSTER_HOST is not the pod's IP/],
  ["clusterFormation", "no token to list pods with", [deployment("modelplane-worker-cpu", { template: { spec: { automountServiceAccountToken: false } } })],
    /worker-cpu container modelplane: no service account token/],
  ["clusterFormation", "a Role that may not list pods", [json("Role", "modelplane-pod-reader", [{ op: "replace", path: "/rules/0/verbs", value: ["get"] }])],
    /service account modelplane may not get, watch and list pods/],
  ["gpu", "GPU pods that cannot go to GPU nodes", [json("Deployment", "modelplane-worker-gpu", [{ op: "remove", path: "/spec/template/spec/tolerations" }])],
    /GPU pod does not tolerate the nvidia.com\/gpu taint/],
];

describe("a broken manifest is caught", () => {
  it.each(cases)("%s: %s", (check, _what, patches, expected) => {
    const found = CHECKS[check](renderBroken({ patches }));
    expect(found.some((v) => expected.test(v)), `expected ${expected} among ${JSON.stringify(found, null, 1)}`).toBe(true);
  });

  it("environment: a Secret inlined in the manifests", () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "modelplane-db" }, stringData: { password: "hunter2" } };
    expect(CHECKS.environment(renderBroken({ resources: [secret] }))).toContain("Secrets are inlined in the manifests: Secret/modelplane-db");
  });

  it("schema: a misspelt field and a port given as a name", async () => {
    const objects = renderBroken({ patches: [json("Deployment", "modelplane", [
      { op: "add", path: "/spec/template/spec/containers/0/livenesProbe", value: undefined },
      { op: "add", path: "/spec/template/spec/containers/0/readinesProbe", value: { httpGet: { path: "/ready", port: "management" } } },
      { op: "replace", path: "/spec/template/spec/containers/0/ports/0/containerPort", value: "http" },
    ].filter((op) => op.value !== undefined))] });
    const node = objects.find((o) => id(o) === "Deployment/modelplane");
    const errors = await schemaErrors(node);
    expect(errors).toContain("/spec/template/spec/containers/0/readinesProbe: unknown field");
    expect(errors.some((e) => /containers\/0\/ports\/0\/containerPort must be integer/.test(e)), JSON.stringify(errors)).toBe(true);
  });
});
