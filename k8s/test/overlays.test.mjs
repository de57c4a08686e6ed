import { describe, expect, it } from "vitest";
import { CHECKS, K8S_DIR, OVERLAYS, containers, deployments, id, render } from "./manifests.mjs";
import { schemaErrors } from "./schema.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(join(K8S_DIR, "overlays", o))]));

describe.each(OVERLAYS)("overlay %s", (overlay) => {
  const objects = rendered[overlay];

  it("renders with kubectl kustomize", () => {
    expect(objects.length).toBeGreaterThan(5);
  });

  it("every object is valid against the Kubernetes schemas", async () => {
    const errors = [];
    for (const o of objects) errors.push(...(await schemaErrors(o)).map((e) => `${id(o)}: ${e}`));
    expect(errors).toEqual([]);
  });

  it.each(Object.keys(CHECKS))("%s", (check) => {
    expect(CHECKS[check](objects)).toEqual([]);
  });

  it("serves the gRPC predict API on the gateway pods: port 8081 named grpc in the Service, let in like HTTP", () => {
    const gateways = containers(objects).filter((c) => c.deployment.metadata.labels["app.kubernetes.io/component"] === "gateway");
    expect(gateways.length).toBe(1);
    for (const c of gateways) {
      expect(c.container.ports.find((p) => p.name === "grpc")?.containerPort, c.where).toBe(8081);
      expect(c.env.get("MODELPLANE_GRPC_PORT")?.value, c.where).toBe("8081");
      // the probes stay on Akka Management: gRPC says nothing about the node's health to Kubernetes
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) expect(c.container[probe].httpGet.port, probe).toBe("management");
    }
    const service = objects.find((o) => o.kind === "Service" && o.metadata.name === "modelplane");
    expect(service.spec.ports.find((p) => p.name === "grpc")).toEqual({ name: "grpc", port: 8081, targetPort: "grpc" });
    const gatewayLabels = gateways[0].deployment.spec.template.metadata.labels;
    const letIn = objects.filter((o) => o.kind === "NetworkPolicy"
      && Object.entries(o.spec.podSelector.matchLabels ?? {}).every(([k, v]) => gatewayLabels[k] === v))
      .flatMap((p) => p.spec.ingress ?? []).flatMap((r) => (r.ports ?? []).map((x) => x.port));
    expect(letIn).toEqual(expect.arrayContaining([8080, 8081]));
  });

  it("every namespaced object is in the overlay's namespace", () => {
    const namespace = objects.find((o) => o.kind === "Namespace").metadata.name;
    const outside = objects.filter((o) => o.kind !== "Namespace" && o.metadata.namespace !== namespace).map(id);
    expect(outside).toEqual([]);
  });
});

describe("overlay dev", () => {
  const objects = rendered.dev;

  it("serves plain HTTP without cluster TLS (no certificates to make for a try-out)", () => {
    for (const c of containers(rendered.dev)) {
      for (const name of ["MODELPLANE_TLS_CERT", "MODELPLANE_TLS_KEYSTORE", "MODELPLANE_CLUSTER_TLS_CERT"]) expect(c.env.has(name), name).toBe(false);
    }
  });

  it("is one pod with every role, the H2 journal and the demo tenant", () => {
    const [node, ...others] = deployments(objects);
    expect(others).toEqual([]);
    expect(node.spec.replicas).toBe(1);
    expect(node.spec.strategy.type).toBe("Recreate");
    const [c] = containers(objects);
    expect(c.env.get("MODELPLANE_ROLES").value).toBe("control,gateway,worker");
    expect(c.env.get("MODELPLANE_DEMO").value).toBe("true");
    expect(c.env.has("MODELPLANE_DB_URL")).toBe(false);
    expect(c.env.has("MODELPLANE_SEED_NODES")).toBe(false);
    expect(node.spec.template.spec.volumes.find((v) => v.name === "data").emptyDir).toBeDefined();
  });
});

describe("overlay production", () => {
  const objects = rendered.production;
  const byName = (name) => containers(objects).find((c) => c.deployment.metadata.name === name);

  it("has control+gateway nodes scaled from 3, CPU and GPU workers, an ingress and budgets", () => {
    expect(deployments(objects).map((d) => d.metadata.name).sort()).toEqual(["modelplane", "modelplane-worker-cpu", "modelplane-worker-gpu"]);
    const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef.name).toBe("modelplane");
    expect(hpa.spec.minReplicas).toBe(3);
    expect(objects.filter((o) => o.kind === "PodDisruptionBudget")).toHaveLength(3);
    expect(objects.filter((o) => o.kind === "Ingress").map((i) => i.metadata.name).sort()).toEqual(["modelplane", "modelplane-grpc"]);
    expect(byName("modelplane").env.get("MODELPLANE_ROLES").value).toBe("control,gateway");
    expect(byName("modelplane-worker-cpu").env.get("MODELPLANE_ROLES").value).toBe("worker");
    expect(byName("modelplane-worker-gpu").container.resources.limits["nvidia.com/gpu"]).toBe(1);
  });

  it("forms the cluster through the Kubernetes API with keep-majority, artifacts in S3, the journal in PostgreSQL", () => {
    for (const c of containers(objects)) {
      expect(c.env.get("MODELPLANE_DISCOVERY").value, c.where).toBe("kubernetes-api");
      expect(c.env.get("MODELPLANE_DOWNING").value, c.where).toBe("keep-majority");
      expect(c.env.get("MODELPLANE_ARTIFACT_STORE").value, c.where).toBe("s3");
      expect(c.env.get("MODELPLANE_S3_BUCKET").value, c.where).not.toBe("");
      expect(c.env.get("AWS_ACCESS_KEY_ID").from, c.where).toBe("secretKeyRef");
    }
    const control = byName("modelplane").env;
    expect(control.get("MODELPLANE_DB_URL").value).toMatch(/^jdbc:postgresql:\/\//);
    expect(control.get("MODELPLANE_DEMO").value).toBe("false");
    expect(control.get("MODELPLANE_DB_CREATE_SCHEMA").value).toBe("false");
    for (const name of ["MODELPLANE_DB_PASSWORD", "MODELPLANE_OPERATOR_KEY", "MODELPLANE_KEYCLOAK_ADMIN_PASSWORD"]) {
      expect(control.get(name).from, name).toBe("secretKeyRef");
    }
  });

  it("network policies select every pod for both directions, and workers may reach neither PostgreSQL nor Keycloak", () => {
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    for (const d of deployments(objects)) {
      const labels = d.spec.template.metadata.labels;
      const applying = policies.filter((p) => Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
      expect(applying.flatMap((p) => p.spec.policyTypes), id(d)).toEqual(expect.arrayContaining(["Ingress", "Egress"]));
      const egressPorts = applying.flatMap((p) => p.spec.egress ?? []).flatMap((r) => (r.ports ?? []).map((x) => x.port));
      if (labels["app.kubernetes.io/component"] === "worker") {
        expect(egressPorts, id(d)).not.toContain(5432);
        const letIn = applying.flatMap((p) => p.spec.ingress ?? []).flatMap((r) => r.ports.map((x) => x.port));
        expect(letIn, id(d)).not.toContain(8080);
        expect(letIn, id(d)).not.toContain(8081);
      } else {
        expect(egressPorts, id(d)).toContain(5432);
      }
      for (const rule of applying.flatMap((p) => p.spec.egress ?? [])) {
        expect(rule.to?.length, `${id(d)}: an egress rule to anywhere`).toBeGreaterThan(0);
      }
    }
  });

  it("refers to Secrets that docs/kubernetes.md tells how to create, key by key", () => {
    const doc = readFileSync(join(K8S_DIR, "..", "docs", "kubernetes.md"), "utf8");
    const refs = containers(objects).flatMap((c) => [...c.env.values()].map((e) => e.ref?.secretKeyRef).filter(Boolean));
    expect(refs.length).toBeGreaterThan(5);
    for (const { name, key } of refs) {
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `a row for Secret ${name}`).toBeDefined();
      expect(row, `Secret ${name}'s row`).toContain(`\`${key}\``);
    }
    for (const ingress of objects.filter((o) => o.kind === "Ingress")) {
      expect(doc, ingress.metadata.name).toContain(`| \`${ingress.spec.tls[0].secretName}\` |`);
    }
  });

  it("serves HTTPS and joins the cluster over mutual TLS, the certificates mounted from Secrets", () => {
    // the Secret whose mounted volume holds a file at path, in this container
    const secretAt = (c, path) => {
      const mount = (c.container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
      const volume = mount && c.pod.volumes.find((v) => v.name === mount.name);
      return volume?.secret?.secretName;
    };
    for (const c of containers(objects)) {
      for (const name of ["MODELPLANE_CLUSTER_TLS_CERT", "MODELPLANE_CLUSTER_TLS_KEY", "MODELPLANE_CLUSTER_TLS_CA"]) {
        expect(secretAt(c, c.env.get(name)?.value ?? ""), `${c.where} ${name}`).toBe("modelplane-cluster-tls");
      }
    }
    const control = byName("modelplane");
    for (const name of ["MODELPLANE_TLS_CERT", "MODELPLANE_TLS_KEY"]) {
      expect(secretAt(control, control.env.get(name)?.value ?? ""), name).toBe("modelplane-server-tls");
    }
    for (const v of control.pod.volumes.filter((v) => v.secret)) expect(v.secret.defaultMode, v.name).toBe(0o440);
    const ingress = (name) => objects.find((o) => o.kind === "Ingress" && o.metadata.name === name);
    const annotations = ingress("modelplane").metadata.annotations;
    expect(annotations["nginx.ingress.kubernetes.io/backend-protocol"]).toBe("HTTPS");
    expect(annotations["nginx.ingress.kubernetes.io/proxy-ssl-verify"]).toBe("on");
    // gRPC: TLS to the pods too, to the Service's grpc port
    const grpc = ingress("modelplane-grpc");
    expect(grpc.metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"]).toBe("GRPCS");
    expect(grpc.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "modelplane", port: { name: "grpc" } });
    const doc = readFileSync(join(K8S_DIR, "..", "docs", "kubernetes.md"), "utf8");
    for (const secret of ["modelplane-server-tls", "modelplane-cluster-tls"]) expect(doc).toContain(`| \`${secret}\` |`);
  });

  it("names a pinned image for every container", () => {
    for (const c of containers(objects)) expect(c.container.image, c.where).toMatch(/^[\w.\/-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
    for (const c of containers(objects)) expect(c.container.image, c.where).not.toMatch(/:latest$/);
  });
});
