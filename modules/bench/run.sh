#!/usr/bin/env bash
# Builds ModelPlane, makes the ResNet-18 TorchScript if it is missing, and runs the inference benchmark
# (raw DJL forwards vs the full HTTP path of a child server; loopback only, every phase bounded).
# Usage, from anywhere:  modules/bench/run.sh [options of InferenceBenchmark, e.g. --model digits --seconds 10]
#   modules/bench/run.sh readside|deployment|regression|coldstart [options]   the other benchmarks (--help lists options)
#   modules/bench/run.sh tls [--seconds 15 --concurrency 8]          HTTPS vs plain HTTP for the digits model
#   modules/bench/run.sh grpc [--seconds 10 --concurrency 8]         gRPC vs REST for the digits model
#   modules/bench/run.sh grpc --model resnet18                       ResNet-18: gRPC raw tensors vs REST binary vs raw DJL
#   modules/bench/run.sh density [--tenants 10 --versions 100]       1,000 small models resident on one worker
#   modules/bench/run.sh defaults [--seconds 10 --rounds 2]           ResNet-18: chosen engine threads vs engineThreads 0 vs raw
#   modules/bench/run.sh warmup [--starts 1 --concurrency 64]        a fresh node's first 10 s vs warm, digits
#   modules/bench/run.sh tracing [--seconds 3 --rounds 10]           tracing off vs on at 100 % and 1 % sampling
#   modules/bench/run.sh artifact-load [repetitions]                 ResNet-18 load time, plaintext vs encrypted
#   BENCH_SKIP_BUILD=1   reuse the last build
#   BENCH_JAVA_OPTS      extra JVM options of the benchmark JVM (raw phase and load generator)
#   GLIBC_TUNABLES       of the benchmark JVM and the servers it starts alike; by default the images' setting,
#                        under which libtorch's freed memory stays in the process (docs/operations.md)
set -euo pipefail
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483648}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
command="modules/bench/run.sh${*:+ $*}"

main=io.modelplane.bench.InferenceBenchmark
model=both
case "${1:-}" in
  readside) main=io.modelplane.bench.ReadSideBenchmark; model=none; shift ;;
  deployment) main=io.modelplane.bench.DeploymentLatencyBenchmark; model=none; shift ;;
  regression) main=io.modelplane.bench.RegressionBenchmark; shift ;;
  coldstart) main=io.modelplane.bench.ColdStartBenchmark; shift ;;
  tls) main=io.modelplane.bench.TlsBenchmark; model=none; shift ;;
  grpc) main=io.modelplane.bench.GrpcBenchmark; model=none; shift ;;
  density) main=io.modelplane.bench.DensityBenchmark; model=none; shift ;;
  defaults) main=io.modelplane.bench.DefaultsBenchmark; model=resnet18; shift ;;
  warmup) main=io.modelplane.bench.WarmupBenchmark; model=none; shift ;;
  tracing) main=io.modelplane.bench.TracingBenchmark; model=none; shift ;;
  artifact-load) main=io.modelplane.bench.ArtifactLoadBenchmark; model=resnet18; shift ;;
esac
resnet18=modules/bench/target/models/resnet18.pt
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --model) model="${args[i+1]:-both}" ;;
    --resnet18-artifact) resnet18="${args[i+1]:-$resnet18}" ;;
  esac
done

classpath_file=modules/bench/target/bench.classpath
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 || ! -f "$classpath_file" ]]; then
  echo "building: mvn -B -q -o package -DskipTests" >&2
  # one reactor build: the bench classpath then names this build's module jars, not older installed ones
  mvn -B -q -o package -DskipTests dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime
fi

if [[ "$model" != digits && "$model" != none && ! -f "$resnet18" ]]; then
  echo "making $resnet18 (random-weight ResNet-18, plain torch)" >&2
  /usr/bin/python3 ops/scripts/make-demo-models.py --resnet18 "$resnet18"
fi

if [[ "$main" == io.modelplane.bench.ArtifactLoadBenchmark ]]; then
  set -- "$resnet18" "$@"
fi

export BENCH_COMMAND="$command"
# shellcheck disable=SC2086
exec java -Dai.djl.offline=true ${BENCH_JAVA_OPTS:-} \
  -cp "modules/bench/target/classes:$(cat "$classpath_file")" \
  "$main" "$@"
