// The Dockerfiles cannot be built here (no container engine): these checks keep them consistent with
// the manifests that run them.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { K8S_DIR, REPO_DIR, containers, render } from "./manifests.mjs";

const dockerfile = (name) => readFileSync(join(K8S_DIR, "images", name, "Dockerfile"), "utf8");
const production = render(join(K8S_DIR, "overlays", "production"));

describe.each(["cpu", "gpu"])("image %s", (name) => {
  const text = dockerfile(name);
  const args = Object.fromEntries([...text.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  const bases = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1].replace(/^\$\{(\w+)\}$/, (_, a) => args[a] ?? a));

  it("starts from bases pinned to an exact version or digest", () => {
    const external = bases.filter((b) => b.includes(":") || b.includes("@"));
    expect(external.length).toBeGreaterThan(0);
    for (const base of external) expect(base).toMatch(/:(\d+\.\d+\.\d+[\w.-]*)$|@sha256:[0-9a-f]{64}$/);
  });

  it("runs as the non-root user the pods run as", () => {
    const user = text.match(/^USER (\d+):(\d+)$/m);
    expect(user).not.toBeNull();
    for (const c of containers(production)) {
      const sc = c.pod.securityContext;
      expect([sc.runAsUser, sc.runAsGroup]).toEqual([Number(user[1]), Number(user[2])]);
    }
  });

  it("keeps libtorch's freed memory in the process, as the scripts that start nodes do", () => {
    const tunables = text.match(/^\s+GLIBC_TUNABLES=(\S+?)( \\)?$/m)?.[1];
    expect(tunables).toMatch(/glibc\.malloc\.arena_max=1\b/);
    expect(tunables).toMatch(/glibc\.malloc\.mmap_threshold=\d+/);
    expect(tunables).toMatch(/glibc\.malloc\.trim_threshold=\d+/);
    for (const script of ["ops/scripts/cluster.sh", "modules/bench/run.sh"]) {
      expect(readFileSync(join(REPO_DIR, script), "utf8")).toContain(`GLIBC_TUNABLES=\${GLIBC_TUNABLES:-${tunables}}`);
    }
  });

  it("runs the jar Maven built, exposing the node's ports", () => {
    expect(text).toMatch(/^COPY modelplane\.jar \/opt\/modelplane\/modelplane\.jar$/m);
    expect(text).toMatch(/^ENTRYPOINT \["java", "-jar", "\/opt\/modelplane\/modelplane\.jar"\]$/m);
    // every port a node may listen on: the gateway's (it has them all)
    const gateway = containers(production).find((c) => c.deployment.metadata.name === "modelplane").container;
    const exposed = text.match(/^EXPOSE ([\d ]+)$/m)?.[1].split(" ").map(Number).sort();
    expect(exposed).toEqual(gateway.ports.map((p) => p.containerPort).sort());
    expect(exposed).toContain(8081);
  });
});

describe("GPU image", () => {
  const text = dockerfile("gpu");

  it("points DJL at a CUDA libtorch whose JNI flavor the jar carries, and stays offline", () => {
    expect(text).toMatch(/PYTORCH_LIBRARY_PATH=\/opt\/libtorch\/lib/);
    expect(text).toMatch(/PYTORCH_FLAVOR=cu128/);
    expect(text).toMatch(/libtorch\/cu128\/libtorch-cxx11-abi-shared-with-deps-2\.7\.1%2Bcu128\.zip/);
    expect(text).toMatch(/DJL_OFFLINE=true/);
    // the download is checked against the reviewed checksum
    expect(text).toMatch(/ADD --checksum=sha256:\$\{LIBTORCH_SHA256\}/);
  });

  it("brings the libtorch version the build's DJL was built for", () => {
    const pom = readFileSync(join(REPO_DIR, "pom.xml"), "utf8");
    const version = pom.match(/<pytorch\.version>([^<]+)<\/pytorch\.version>/)[1];
    expect(text).toMatch(new RegExp(`PYTORCH_VERSION=${version.replaceAll(".", "\\.")}\\b`));
    expect(text).toContain(`shared-with-deps-${version}%2Bcu128.zip`);
  });

  it("is the image of the GPU worker Deployment", () => {
    const gpu = containers(production).find((c) => c.deployment.metadata.name === "modelplane-worker-gpu");
    expect(gpu.container.image).toMatch(/\/modelplane-gpu:/);
  });
});
