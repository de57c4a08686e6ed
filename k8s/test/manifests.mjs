// Renders the overlays with the installed kubectl and checks what they produce: each check returns the
// violations it found (empty: none), so that the tests can also show that a broken manifest is caught.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const K8S_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_DIR = resolve(K8S_DIR, "..");
export const OVERLAYS = ["dev", "production"];

/** The objects `kubectl kustomize` renders from a kustomization directory. */
export function render(dir) {
  const kubectl = process.env.KUBECTL ?? "kubectl";
  let out;
  try {
    out = execFileSync(kubectl, ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    if (e.code === "ENOENT") {
      throw new Error(`${kubectl} not found: install kubectl (Debian: apt-get install kubernetes-client) or set KUBECTL`);
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr || e.message}`);
  }
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length) throw new Error(`unparsable output of kubectl kustomize ${dir}: ${doc.errors[0].message}`);
    return doc.toJS();
  }).filter((o) => o);
}

export const id = (o) => `${o.kind}/${o.metadata?.name}`;

// ---- what the application reads --------------------------------------------------------------------

function confFiles(dir = join(REPO_DIR, "modules")) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !["target", "node_modules", "test"].includes(entry.name)) files.push(...confFiles(path));
    else if (entry.isFile() && entry.name.endsWith(".conf") && path.includes(`${join("src", "main", "resources")}`)) files.push(path);
  }
  return files;
}

/**
 * The environment variables the node's configuration reads (`${?MODELPLANE_…}` in the modules' .conf
 * files), each with the default set on the line before it, when there is one (`port = 8080`).
 */
export function appSettings() {
  const settings = new Map();
  for (const file of confFiles()) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\$\{\?(MODELPLANE_[A-Z0-9_]+)\}/g)) {
        const key = line.match(/^\s*([\w.-]+)\s*=/)?.[1];
        const before = lines[i - 1]?.match(/^\s*([\w.-]+)\s*=\s*"?([^"$#]*?)"?\s*$/);
        const fallback = before && key && before[1] === key ? before[2] : undefined;
        if (!settings.has(m[1]) || settings.get(m[1]) === undefined) settings.set(m[1], fallback);
      }
    });
  }
  return settings;
}

/** The variables a worker-only node refuses to start with (Main's CONTROL_PLANE_CREDENTIALS). */
export function workerRefusedVariables() {
  const main = readFileSync(join(REPO_DIR, "modules/app/src/main/java/io/modelplane/app/Main.java"), "utf8");
  const block = main.match(/CONTROL_PLANE_CREDENTIALS\s*=([\s\S]*?)\);\n/);
  if (!block) throw new Error("Main.java no longer declares CONTROL_PLANE_CREDENTIALS: update this test");
  return [...block[1].matchAll(/"(MODELPLANE_[A-Z0-9_]+)"/g)].map((m) => m[1]);
}

/** Variables a node may be given that its .conf does not read: the JVM's, DJL's and the AWS SDK's. */
export const OTHER_VARIABLES = new Set([
  "JAVA_TOOL_OPTIONS", "DJL_CACHE_DIR", "DJL_OFFLINE",
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_PROFILE",
  "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CA_BUNDLE",
]);

/** The app's own ports, by the container port name the manifests give them. */
export const PORTS = { http: "MODELPLANE_HTTP_PORT", remoting: "MODELPLANE_CLUSTER_PORT", management: "MODELPLANE_MANAGEMENT_PORT" };

/** The ports only gateway nodes listen on (worker-only nodes do not serve the gRPC predict API). */
export const GATEWAY_PORTS = { grpc: "MODELPLANE_GRPC_PORT" };

// ---- reading the rendered objects -----------------------------------------------------------------

export const deployments = (objects) => objects.filter((o) => o.kind === "Deployment");

/** Each container of a Deployment with the environment it gets: literal, config map, secret or field. */
export function containers(objects) {
  const configMaps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((c) => [c.metadata.name, c.data ?? {}]));
  return deployments(objects).flatMap((d) => {
    const pod = d.spec.template.spec;
    return [...(pod.initContainers ?? []), ...pod.containers].map((c) => {
      const env = new Map();
      const problems = [];
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) {
          const data = configMaps.get(from.configMapRef.name);
          if (!data) problems.push(`envFrom names config map ${from.configMapRef.name}, which is not rendered`);
          for (const [k, v] of Object.entries(data ?? {})) env.set((from.prefix ?? "") + k, { value: v, from: `configmap ${from.configMapRef.name}` });
        } else {
          problems.push("envFrom of a Secret: the variables it sets cannot be checked; use secretKeyRef");
        }
      }
      for (const e of c.env ?? []) {
        env.set(e.name, e.valueFrom ? { from: Object.keys(e.valueFrom)[0], ref: e.valueFrom } : { value: e.value ?? "", from: "value" });
      }
      return { deployment: d, pod, container: c, env, problems, where: `${id(d)} container ${c.name}` };
    });
  });
}

const matches = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector?.matchExpressions ?? []).every((e) =>
    e.operator === "In" ? e.values.includes(labels?.[e.key]) :
    e.operator === "NotIn" ? !e.values.includes(labels?.[e.key]) :
    e.operator === "Exists" ? labels?.[e.key] !== undefined : labels?.[e.key] === undefined);

const podsSelectedBy = (objects, selector) =>
  deployments(objects).filter((d) => matches(selector, d.spec.template.metadata.labels));

/** Whether a container declares `port` (a number or a port name). */
const listens = (container, port) => (container.ports ?? []).some((p) => p.containerPort === port || p.name === port);

const rolesOf = (c) => (c.env.get("MODELPLANE_ROLES")?.value ?? "control,gateway,worker").split(",").map((r) => r.trim());

function portNumber(container, port) {
  if (typeof port === "number") return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** A Kubernetes quantity (500m, 2Gi, 4) as a number. */
export function quantity(q) {
  const m = String(q).match(/^([\d.]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/);
  return m ? Number(m[1]) * ({ m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] ?? 1) : NaN;
}

/** A HOCON size (8GiB, 10 GiB, 512 MiB, 1024) in bytes. */
export function bytes(size) {
  const m = String(size).trim().match(/^(\d+)\s*(KiB|MiB|GiB|TiB|K|M|G|T)?$/);
  if (!m) throw new Error(`not a size: ${size}`);
  return Number(m[1]) * ({ K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 }[m[2]] ?? 1);
}

/** A HOCON duration (60s, 2m, 500ms) in seconds. */
export function seconds(duration) {
  const m = String(duration).trim().match(/^(\d+)\s*(ms|s|m|h)?$/);
  if (!m) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "ms"];
}

// ---- the checks ---------------------------------------------------------------------------------

/** Liveness and startup on Akka Management's /alive, readiness on its /ready. */
export function checkProbes(objects) {
  const out = [];
  const settings = appSettings();
  const management = Number(settings.get("MODELPLANE_MANAGEMENT_PORT") ?? 8558);
  for (const { container, where } of containers(objects)) {
    for (const [probe, path] of [["startupProbe", "/alive"], ["livenessProbe", "/alive"], ["readinessProbe", "/ready"]]) {
      const get = container[probe]?.httpGet;
      if (!get) { out.push(`${where}: no ${probe} with httpGet`); continue; }
      if (get.path !== path) out.push(`${where}: ${probe} asks ${get.path}, not ${path}`);
      const port = portNumber(container, get.port);
      if (port !== management) out.push(`${where}: ${probe} asks port ${get.port} (${port}), not Akka Management's ${management}`);
    }
  }
  return out;
}

/** Requests and limits of CPU and memory on every container, requests no larger than limits. */
export function checkResources(objects) {
  const out = [];
  for (const { container, where } of containers(objects)) {
    const { requests = {}, limits = {} } = container.resources ?? {};
    for (const r of ["cpu", "memory"]) {
      if (requests[r] === undefined) out.push(`${where}: no ${r} request`);
      if (limits[r] === undefined) out.push(`${where}: no ${r} limit`);
    }
    for (const [r, v] of Object.entries(requests)) {
      if (limits[r] !== undefined && quantity(v) > quantity(limits[r])) out.push(`${where}: ${r} request ${v} above its limit ${limits[r]}`);
    }
  }
  return out;
}

/** Non-root, read-only root filesystem, no privilege escalation, no capabilities, seccomp RuntimeDefault. */
export function checkSecurity(objects) {
  const out = [];
  for (const { pod, container, where } of containers(objects)) {
    const podSc = pod.securityContext ?? {};
    const sc = container.securityContext ?? {};
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${where}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) out.push(`${where}: runs as uid 0`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${where}: readOnlyRootFilesystem is not true`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation is not false`);
    if (sc.privileged) out.push(`${where}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(`${where}: capabilities do not drop ALL`);
    if (sc.capabilities?.add?.length) out.push(`${where}: adds capabilities ${sc.capabilities.add}`);
    if ((sc.seccompProfile ?? podSc.seccompProfile)?.type !== "RuntimeDefault") out.push(`${where}: seccomp profile is not RuntimeDefault`);
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${where}: shares the host's namespaces`);
  }
  return out;
}

/** The directories the node writes to (data dir, DJL's cache, /tmp) are writable volumes. */
export function checkWritablePaths(objects) {
  const out = [];
  for (const { container, env, where } of containers(objects)) {
    const writable = (container.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => m.mountPath);
    const paths = [["/tmp", "the JVM's temporary files"],
      [env.get("MODELPLANE_DATA_DIR")?.value, "MODELPLANE_DATA_DIR"], [env.get("DJL_CACHE_DIR")?.value, "DJL_CACHE_DIR"]];
    for (const [path, what] of paths) {
      if (!path) { out.push(`${where}: ${what} is not set (the image's default is not on a volume)`); continue; }
      if (!writable.some((m) => path === m || path.startsWith(`${m}/`))) out.push(`${where}: ${what} (${path}) is on no writable volume`);
    }
  }
  return out;
}

/**
 * Every emptyDir has a size limit, the pod's ephemeral-storage limit holds them all, and the data volume
 * holds the artifact cache (plus, on workers, the unpacked models: up to the worker's byte budget).
 */
export function checkStorage(objects) {
  const out = [];
  const settings = appSettings();
  const setting = (env, name) => env.get(name)?.value ?? settings.get(name);
  for (const { pod, container, env, where } of containers(objects)) {
    const limits = pod.volumes?.filter((v) => v.emptyDir).map((v) => [v.name, v.emptyDir.sizeLimit]) ?? [];
    for (const [name, limit] of limits) if (!limit) out.push(`${where}: emptyDir ${name} has no sizeLimit`);
    const total = limits.reduce((sum, [, limit]) => sum + quantity(limit ?? 0), 0);
    const podLimit = pod.containers.reduce((sum, c) => sum + quantity(c.resources?.limits?.["ephemeral-storage"] ?? NaN), 0);
    if (!(total <= podLimit)) out.push(`${where}: emptyDirs of ${total / 2 ** 30} GiB exceed the ephemeral-storage limit (${podLimit / 2 ** 30} GiB)`);
    const dataDir = setting(env, "MODELPLANE_DATA_DIR");
    const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === dataDir);
    const data = pod.volumes?.find((v) => v.name === mount?.name)?.emptyDir?.sizeLimit;
    if (!data) continue;
    const needed = bytes(setting(env, "MODELPLANE_ARTIFACT_CACHE_BYTES")) +
      (rolesOf({ env }).includes("worker") ? bytes(setting(env, "MODELPLANE_WORKER_MEMORY_BYTES")) : 0);
    if (needed >= quantity(data)) out.push(`${where}: the data volume (${data}) cannot hold the artifact cache and unpacked models (${needed / 2 ** 30} GiB)`);
  }
  return out;
}

/** Every MODELPLANE_* variable is one the node reads; others are the JVM's, DJL's or the AWS SDK's. */
export function checkEnvironment(objects) {
  const out = [];
  const known = appSettings();
  for (const { env, problems, where } of containers(objects)) {
    out.push(...problems.map((p) => `${where}: ${p}`));
    for (const [name, { from }] of env) {
      if (name.startsWith("MODELPLANE_") ? !known.has(name) : !OTHER_VARIABLES.has(name)) {
        out.push(`${where}: ${name} (${from}) is not a variable ModelPlane reads`);
      }
    }
    for (const [name, e] of env) {
      if (/PASSWORD|SECRET|OPERATOR_KEY|ACCESS_KEY/.test(name) && e.from !== "secretKeyRef") {
        out.push(`${where}: ${name} comes from ${e.from}, not from a Secret`);
      }
    }
  }
  const secrets = objects.filter((o) => o.kind === "Secret").map(id);
  if (secrets.length) out.push(`Secrets are inlined in the manifests: ${secrets.join(", ")}`);
  return out;
}

/**
 * Container ports are the app's own (defaults from its .conf, or the values the pod sets); the gRPC port
 * is declared on gateway nodes, and only there.
 */
export function checkPorts(objects) {
  const out = [];
  const settings = appSettings();
  for (const c of containers(objects)) {
    const { container, env, where } = c;
    const gateway = rolesOf(c).includes("gateway");
    for (const [name, variable] of Object.entries({ ...PORTS, ...(gateway ? GATEWAY_PORTS : {}) })) {
      const port = container.ports?.find((p) => p.name === name);
      const expected = Number(env.get(variable)?.value ?? settings.get(variable));
      if (!port) out.push(`${where}: no container port named ${name}`);
      else if (port.containerPort !== expected) out.push(`${where}: port ${name} is ${port.containerPort}, the node listens on ${expected} (${variable})`);
    }
    if (!gateway) {
      for (const name of Object.keys(GATEWAY_PORTS)) {
        if (container.ports?.some((p) => p.name === name)) out.push(`${where}: declares port ${name}, which a node without the gateway role does not listen on`);
      }
    }
    // Cluster Bootstrap's Kubernetes API discovery finds the management port by this name
    if (env.get("MODELPLANE_DISCOVERY")?.value === "kubernetes-api" && !container.ports?.some((p) => p.name === "management")) {
      out.push(`${where}: Kubernetes API discovery needs a container port named management`);
    }
  }
  return out;
}

/** Services, PDBs, the HPA, network policies and the ingress all find the pods they mean. */
export function checkSelectors(objects) {
  const out = [];
  const ds = deployments(objects);
  for (const d of ds) {
    if (!matches(d.spec.selector, d.spec.template.metadata.labels)) out.push(`${id(d)}: its selector does not match its pods`);
    const overlapping = ds.filter((o) => o !== d && matches(d.spec.selector, o.spec.template.metadata.labels));
    if (overlapping.length) out.push(`${id(d)}: its selector also selects the pods of ${overlapping.map(id)}`);
  }
  for (const s of objects.filter((o) => o.kind === "Service" && o.spec.type !== "ExternalName")) {
    const selected = podsSelectedBy(objects, { matchLabels: s.spec.selector });
    if (!selected.length) { out.push(`${id(s)}: its selector matches no pods`); continue; }
    for (const p of s.spec.ports) {
      for (const d of selected) {
        if (!d.spec.template.spec.containers.some((c) => listens(c, p.targetPort ?? p.port))) {
          out.push(`${id(s)}: target port ${p.targetPort ?? p.port} is no container port of ${id(d)}`);
        }
      }
    }
  }
  for (const p of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
    if (podsSelectedBy(objects, p.spec.selector).length !== 1) out.push(`${id(p)}: selects the pods of ${podsSelectedBy(objects, p.spec.selector).length} Deployments, not 1`);
  }
  for (const n of objects.filter((o) => o.kind === "NetworkPolicy")) {
    const targets = podsSelectedBy(objects, n.spec.podSelector);
    if (!targets.length) out.push(`${id(n)}: selects no pods`);
    for (const rule of n.spec.ingress ?? []) {
      for (const from of rule.from ?? []) {
        if (from.podSelector && !from.namespaceSelector && !podsSelectedBy(objects, from.podSelector).length) out.push(`${id(n)}: allows traffic from pods that do not exist`);
      }
      for (const port of rule.ports ?? []) {
        const open = targets.every((d) => d.spec.template.spec.containers.some((c) => listens(c, port.port)));
        if (!open) out.push(`${id(n)}: lets in port ${port.port}, which the selected pods do not listen on`);
      }
    }
  }
  for (const h of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const target = ds.find((d) => d.metadata.name === h.spec.scaleTargetRef.name && h.spec.scaleTargetRef.kind === "Deployment");
    if (!target) { out.push(`${id(h)}: scales ${h.spec.scaleTargetRef.kind}/${h.spec.scaleTargetRef.name}, which is not rendered`); continue; }
    // kubectl apply would reset the replicas the autoscaler chose
    if (target.spec.replicas !== undefined) out.push(`${id(target)}: sets replicas although ${id(h)} scales it`);
    if ((h.spec.minReplicas ?? 1) < 3) out.push(`${id(h)}: minReplicas ${h.spec.minReplicas}: keep-majority needs 3 control nodes`);
    if (!objects.some((o) => o.kind === "PodDisruptionBudget" && matches(o.spec.selector, target.spec.template.metadata.labels))) out.push(`${id(target)}: no PodDisruptionBudget`);
  }
  for (const i of objects.filter((o) => o.kind === "Ingress")) {
    for (const path of (i.spec.rules ?? []).flatMap((r) => r.http?.paths ?? [])) {
      const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === path.backend.service?.name);
      const port = path.backend.service?.port;
      if (!svc) out.push(`${id(i)}: backend service ${path.backend.service?.name} is not rendered`);
      else if (!svc.spec.ports.some((p) => p.name === port.name || p.port === port.number)) out.push(`${id(i)}: ${id(svc)} has no port ${port.name ?? port.number}`);
    }
  }
  return out;
}

/** Worker-only pods get none of the credentials the node refuses, control-plane pods get what they need. */
export function checkWorkerCredentials(objects) {
  const out = [];
  const refused = workerRefusedVariables();
  for (const c of containers(objects)) {
    const roles = rolesOf(c);
    if (roles.includes("control") || roles.includes("gateway")) continue;
    for (const name of refused) if (c.env.has(name)) out.push(`${c.where}: a worker-only node is given ${name}, which it refuses`);
  }
  return out;
}

/** Kubernetes waits longer than the node's graceful leave before it kills the pod. */
export function checkGracePeriod(objects) {
  const out = [];
  const fallback = appSettings().get("MODELPLANE_SHUTDOWN_TIMEOUT") ?? "60s";
  for (const { pod, env, where } of containers(objects)) {
    const timeout = seconds(env.get("MODELPLANE_SHUTDOWN_TIMEOUT")?.value ?? fallback);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!(grace > timeout)) out.push(`${where}: terminationGracePeriodSeconds ${grace} is not longer than the shutdown timeout (${timeout}s)`);
  }
  return out;
}

/** What a cluster of pods needs to form: pod addresses, discovery's labels and permissions. */
export function checkClusterFormation(objects) {
  const out = [];
  const roles = objects.filter((o) => o.kind === "Role");
  const bindings = objects.filter((o) => o.kind === "RoleBinding");
  for (const c of containers(objects)) {
    const { env, pod, deployment, where } = c;
    for (const name of ["MODELPLANE_CLUSTER_HOST", "MODELPLANE_MANAGEMENT_HOST"]) {
      if (env.get(name)?.ref?.fieldRef?.fieldPath !== "status.podIP") out.push(`${where}: ${name} is not the pod's IP (downward API)`);
    }
    // a Service named modelplane would put MODELPLANE_PORT, MODELPLANE_SERVICE_HOST … into the environment
    if (pod.enableServiceLinks !== false) out.push(`${where}: enableServiceLinks is not false`);
    if (env.get("MODELPLANE_DISCOVERY")?.value !== "kubernetes-api") continue;
    const service = env.get("MODELPLANE_BOOTSTRAP_SERVICE_NAME")?.value ?? "modelplane";
    if (deployment.spec.template.metadata.labels?.["app.kubernetes.io/name"] !== service) out.push(`${where}: pods not labelled app.kubernetes.io/name=${service}: discovery would not find them`);
    if (pod.automountServiceAccountToken !== true) out.push(`${where}: no service account token to list pods with`);
    const account = pod.serviceAccountName ?? "default";
    const canList = bindings.some((b) => b.subjects?.some((s) => s.kind === "ServiceAccount" && s.name === account) &&
      roles.some((r) => r.metadata.name === b.roleRef.name && r.rules.some((rule) =>
        rule.apiGroups?.includes("") && rule.resources?.includes("pods") && ["get", "watch", "list"].every((v) => rule.verbs.includes(v)))));
    if (!canList) out.push(`${where}: service account ${account} may not get, watch and list pods`);
  }
  return out;
}

/** GPU pods ask for GPUs and may run where the GPUs are. */
export function checkGpu(objects) {
  const out = [];
  for (const { pod, container, where } of containers(objects)) {
    if (container.resources?.limits?.["nvidia.com/gpu"] === undefined) continue;
    if (!pod.nodeSelector || !Object.keys(pod.nodeSelector).length) out.push(`${where}: GPU pod without a node selector`);
    if (!(pod.tolerations ?? []).some((t) => t.key === "nvidia.com/gpu")) out.push(`${where}: GPU pod does not tolerate the nvidia.com/gpu taint`);
    if (!/modelplane-gpu/.test(container.image)) out.push(`${where}: GPU pod runs ${container.image}, not the CUDA image`);
  }
  return out;
}

export const CHECKS = {
  probes: checkProbes, resources: checkResources, storage: checkStorage, security: checkSecurity, writablePaths: checkWritablePaths,
  environment: checkEnvironment, ports: checkPorts, selectors: checkSelectors, workerCredentials: checkWorkerCredentials,
  gracePeriod: checkGracePeriod, clusterFormation: checkClusterFormation, gpu: checkGpu,
};
