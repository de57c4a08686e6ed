#!/usr/bin/env bash
# Three ModelPlane nodes on this machine from the built jar, as one cluster: every node has every role
# (control, gateway, worker), they share one PostgreSQL database and one S3 artifact store.
#
#   ops/scripts/cluster.sh up [NODE...]     start the nodes not running (default: 1 2 3), wait until ready
#   ops/scripts/cluster.sh status           each node's process, readiness and the cluster's members
#   ops/scripts/cluster.sh down [NODE...]   SIGTERM to the nodes (default: all), wait until they have left
#   ops/scripts/cluster.sh kill NODE...     SIGKILL to the nodes: a crash, to watch the others take over
#
# Needs MODELPLANE_DB_URL (jdbc:postgresql://…), MODELPLANE_DB_USER, MODELPLANE_DB_PASSWORD,
# MODELPLANE_S3_BUCKET (and MODELPLANE_S3_ENDPOINT, MODELPLANE_S3_REGION, MODELPLANE_S3_PATH_STYLE for a
# store other than AWS) and S3 credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE).
# Optional, with their defaults:
#   CLUSTER_DIR=./cluster-data        node N: data in CLUSTER_DIR/node-N, output in node-N.log, PID in node-N.pid
#   CLUSTER_JAR=<repo>/modules/app/target/modelplane.jar
#   CLUSTER_HTTP_PORT=8080            node N serves HTTP on CLUSTER_HTTP_PORT+N-1 (8080, 8081, 8082)
#   CLUSTER_REMOTING_PORT=25520       Akka remoting on 25520, 25521, 25522
#   CLUSTER_MANAGEMENT_PORT=8558      Akka Management (/ready, /cluster/members) on 8558, 8559, 8560
#   CLUSTER_GRPC_PORT=9081            the gRPC predict API on 9081, 9082, 9083
#   (each names the first of three ports; up refuses ranges that overlap)
#   CLUSTER_JAVA_OPTS=-Xmx1g          options of each node's JVM
#   GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483648
#                                     glibc's malloc keeps libtorch's freed memory in the process
#                                     (docs/operations.md, "Memory allocator"), as the images do
#   CLUSTER_START_TIMEOUT=180         seconds a node may take to become ready
#   CLUSTER_STOP_TIMEOUT=90           seconds a node may take to leave after SIGTERM; then SIGKILL
# MODELPLANE_OPERATOR_KEY, if set, is the operator key of every node; otherwise one is generated once
# into CLUSTER_DIR/operator-key. Other MODELPLANE_* variables (MODELPLANE_DEMO, …) pass on to the nodes.
set -euo pipefail
umask 077 # node logs hold the keys printed at first start

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER_DIR=${CLUSTER_DIR:-./cluster-data}
JAR=${CLUSTER_JAR:-$REPO_DIR/modules/app/target/modelplane.jar}
HTTP_PORT=${CLUSTER_HTTP_PORT:-8080}
REMOTING_PORT=${CLUSTER_REMOTING_PORT:-25520}
MANAGEMENT_PORT=${CLUSTER_MANAGEMENT_PORT:-8558}
GRPC_PORT=${CLUSTER_GRPC_PORT:-9081}
JAVA_OPTS=${CLUSTER_JAVA_OPTS:--Xmx1g}
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483648}
START_TIMEOUT=${CLUSTER_START_TIMEOUT:-180}
STOP_TIMEOUT=${CLUSTER_STOP_TIMEOUT:-90}
ALL_NODES=(1 2 3)
HOST=127.0.0.1

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

fail() {
  echo "cluster.sh: $*" >&2
  exit 1
}

require_number() {
  [[ $2 =~ ^[0-9]+$ ]] || fail "$1 must be a number, not '$2'"
}

require_disjoint_ports() {
  local names=(CLUSTER_HTTP_PORT CLUSTER_REMOTING_PORT CLUSTER_MANAGEMENT_PORT CLUSTER_GRPC_PORT)
  local bases=("$HTTP_PORT" "$REMOTING_PORT" "$MANAGEMENT_PORT" "$GRPC_PORT")
  local count=${#ALL_NODES[@]} i j
  for i in "${!bases[@]}"; do
    ((bases[i] >= 1 && bases[i] + count - 1 <= 65535)) || fail "${names[i]}=${bases[i]}: ports ${bases[i]}..$((bases[i] + count - 1)) are not all valid"
    for ((j = i + 1; j < ${#bases[@]}; j++)); do
      ((bases[i] + count <= bases[j] || bases[j] + count <= bases[i])) \
        || fail "${names[i]}=${bases[i]} and ${names[j]}=${bases[j]} overlap: each names the first of $count ports"
    done
  done
}

http_port() { echo $((HTTP_PORT + $1 - 1)); }
remoting_port() { echo $((REMOTING_PORT + $1 - 1)); }
management_port() { echo $((MANAGEMENT_PORT + $1 - 1)); }
grpc_port() { echo $((GRPC_PORT + $1 - 1)); }
pid_file() { echo "$CLUSTER_DIR/node-$1.pid"; }
started_file() { echo "$CLUSTER_DIR/node-$1.started"; }
log_file() { echo "$CLUSTER_DIR/node-$1.log"; }

# The PID recorded for node $1 if that process still runs: same PID and same start time as recorded.
node_pid() {
  local pid started
  [[ -f $(pid_file "$1") && -f $(started_file "$1") ]] || return 0
  pid=$(<"$(pid_file "$1")")
  started=$(<"$(started_file "$1")")
  [[ $pid =~ ^[0-9]+$ && -n $started && $(process_start "$pid") == "$started" ]] || return 0
  echo "$pid"
}

# The process's start time as ps shows it, empty when it has ended (a zombie has ended too).
process_start() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [[ -n $state && $state != Z* ]] || return 0
  ps -o lstart= -p "$1" 2>/dev/null | tr -s ' ' || true
}

nodes_from_args() {
  local n
  if (($# == 0)); then
    echo "${ALL_NODES[@]}"
    return
  fi
  for n in "$@"; do
    [[ $n =~ ^[123]$ ]] || fail "no node '$n': the nodes are 1, 2 and 3"
  done
  echo "$@"
}

check_environment() {
  local missing=()
  command -v java >/dev/null || missing+=("java (JDK 17) on the PATH")
  command -v curl >/dev/null || missing+=("curl on the PATH")
  [[ -f $JAR ]] || missing+=("the jar $JAR: build it with mvn -B package -DskipTests")
  if [[ -z ${MODELPLANE_DB_URL:-} ]]; then
    missing+=("MODELPLANE_DB_URL: the nodes' shared PostgreSQL, e.g. jdbc:postgresql://127.0.0.1:5432/modelplane")
  elif [[ $MODELPLANE_DB_URL != jdbc:postgresql:* ]]; then
    missing+=("MODELPLANE_DB_URL as a jdbc:postgresql:// URL (the nodes share one database; an H2 file is one node's)")
  fi
  [[ -n ${MODELPLANE_DB_USER:-} ]] || missing+=("MODELPLANE_DB_USER: the database user")
  [[ -n ${MODELPLANE_DB_PASSWORD+set} ]] || missing+=("MODELPLANE_DB_PASSWORD: the database user's password")
  [[ -n ${MODELPLANE_S3_BUCKET:-} ]] || missing+=("MODELPLANE_S3_BUCKET: the bucket every node keeps model artifacts in")
  if [[ -n ${AWS_ACCESS_KEY_ID:-} || -n ${AWS_SECRET_ACCESS_KEY:-} ]]; then
    [[ -n ${AWS_ACCESS_KEY_ID:-} ]] || missing+=("AWS_ACCESS_KEY_ID (AWS_SECRET_ACCESS_KEY is set)")
    [[ -n ${AWS_SECRET_ACCESS_KEY:-} ]] || missing+=("AWS_SECRET_ACCESS_KEY (AWS_ACCESS_KEY_ID is set)")
  elif [[ -z ${AWS_PROFILE:-} && -z ${AWS_WEB_IDENTITY_TOKEN_FILE:-} && ! -f ${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials} ]]; then
    missing+=("S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)")
  fi
  if ((${#missing[@]} > 0)); then
    echo "cluster.sh: cannot start the cluster; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

# The operator key every node accepts: MODELPLANE_OPERATOR_KEY if set, else the one kept in CLUSTER_DIR.
operator_key() {
  local file="$CLUSTER_DIR/operator-key"
  if [[ -n ${MODELPLANE_OPERATOR_KEY:-} ]]; then
    echo "$MODELPLANE_OPERATOR_KEY"
    return
  fi
  if [[ ! -s $file ]]; then
    # the jar's own form: mp_operator_ and 32 random bytes in hex
    echo "mp_operator_$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >"$file"
  fi
  cat "$file"
}

# The key-encryption key every node shares: MODELPLANE_KEK_FILE or MODELPLANE_KEK when given, else a key
# file made once in the cluster's directory (owner-only). Prints the file to use, or nothing.
kek_file() {
  local file="$CLUSTER_DIR/kek.keys"
  if [[ -n ${MODELPLANE_KEK_FILE:-} ]]; then
    echo "$MODELPLANE_KEK_FILE"
    return
  fi
  [[ -n ${MODELPLANE_KEK:-} ]] && return
  if [[ ! -s $file ]]; then
    (umask 077 && echo "cluster-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n') $(head -c 32 /dev/urandom | base64 -w0)" >"$file")
  fi
  echo "$file"
}

start_node() {
  local n=$1 key=$2 seeds=$3 create_schema=$4 data log java_opts launcher pid
  data="$CLUSTER_DIR/node-$n"
  log=$(log_file "$n")
  mkdir -p "$data"
  read -r -a java_opts <<<"$JAVA_OPTS"
  echo "=== $(date -u +%FT%TZ) cluster.sh starts node $n" >>"$log"
  # its own session (setsid): a Ctrl-C here or a closed terminal does not reach the node
  launcher=(nohup)
  command -v setsid >/dev/null && launcher=(setsid)
  env MODELPLANE_DATA_DIR="$data" \
    MODELPLANE_HTTP_HOST="$HOST" MODELPLANE_HTTP_PORT="$(http_port "$n")" \
    MODELPLANE_CLUSTER_HOST="$HOST" MODELPLANE_CLUSTER_PORT="$(remoting_port "$n")" \
    MODELPLANE_MANAGEMENT_HOST="$HOST" MODELPLANE_MANAGEMENT_PORT="$(management_port "$n")" \
    MODELPLANE_GRPC_PORT="$(grpc_port "$n")" \
    MODELPLANE_DISCOVERY=seeds MODELPLANE_SEED_NODES="$seeds" MODELPLANE_DOWNING=keep-majority \
    MODELPLANE_ROLES=control,gateway,worker MODELPLANE_DB_CREATE_SCHEMA="$create_schema" \
    MODELPLANE_ARTIFACT_STORE=s3 MODELPLANE_OPERATOR_KEY="$key" MODELPLANE_KEK_FILE="$(kek_file)" \
    "${launcher[@]}" java "${java_opts[@]}" -jar "$JAR" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$(pid_file "$n")"
  process_start "$pid" >"$(started_file "$n")"
}

# Waits until node $1's /ready answers 200; on failure shows the end of its log.
await_ready() {
  local n=$1 pid=$2 url log deadline
  url="http://$HOST:$(management_port "$n")/ready"
  log=$(log_file "$n")
  deadline=$((SECONDS + START_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if [[ -z $(process_start "$pid") ]]; then
      echo "cluster.sh: node $n (pid $pid) ended before it was ready; the end of $log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "cluster.sh: node $n (pid $pid) not ready within ${START_TIMEOUT}s ($url); the end of $log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 1
  done
}

# Waits until node $1 logs that it serves: by then a first node has also created the demo tenant.
await_serving() {
  local n=$1 log deadline
  log=$(log_file "$n")
  deadline=$((SECONDS + START_TIMEOUT))
  until tail -n 200 "$log" | grep -q 'ModelPlane is up on'; do
    ((SECONDS < deadline)) || return 1
    sleep 1
  done
}

# Keeps the demo tenant's key (printed once, by the node that created the tenant) in CLUSTER_DIR/demo-key.
keep_demo_key() {
  local file="$CLUSTER_DIR/demo-key" n key
  [[ -s $file ]] && return 0
  for n in "${ALL_NODES[@]}"; do
    [[ -f $(log_file "$n") ]] || continue
    key=$(grep -E -o -m1 '^mp_demo\.[0-9a-f]+_[0-9a-f]{64}$' "$(log_file "$n")" || true)
    if [[ -n $key ]]; then
      echo "$key" >"$file"
      return 0
    fi
  done
}

print_nodes() {
  local n pid
  for n in "${ALL_NODES[@]}"; do
    pid=$(node_pid "$n")
    printf 'node %s  %-13s http://%s:%s  management http://%s:%s  data %s  log %s\n' "$n" \
      "$([[ -n $pid ]] && echo "pid $pid" || echo "not running")" "$HOST" "$(http_port "$n")" "$HOST" "$(management_port "$n")" \
      "$CLUSTER_DIR/node-$n" "$(log_file "$n")"
  done
}

cmd_up() {
  local nodes key seeds n pid running=() starting=() started=()
  read -r -a nodes <<<"$(nodes_from_args "$@")"
  check_environment
  mkdir -p "$CLUSTER_DIR"
  key=$(operator_key)
  for n in "${ALL_NODES[@]}"; do
    [[ -n $(node_pid "$n") ]] && running+=("$n")
  done
  if ((${#running[@]} == 0)); then
    seeds="$HOST:$(remoting_port 1),$HOST:$(remoting_port 2)"
  else
    # a node (re)started next to running ones joins them: as the first seed it would form a cluster of its
    # own if they did not answer within Akka's seed-node-timeout (5 s), as on a loaded machine
    seeds=""
    for n in "${running[@]}"; do
      seeds+="${seeds:+,}$HOST:$(remoting_port "$n")"
    done
  fi
  for n in "${nodes[@]}"; do
    if [[ -n $(node_pid "$n") ]]; then
      echo "node $n runs already (pid $(node_pid "$n"))"
    else
      starting+=("$n")
    fi
  done
  if ((${#running[@]} == 0 && ${#starting[@]} > 0)); then
    # a new cluster: the first node alone creates the schema (and, first time, the demo tenant), then the others join
    n=${starting[0]}
    echo "starting node $n …"
    start_node "$n" "$key" "$seeds" true
    pid=$(node_pid "$n")
    await_ready "$n" "$pid"
    await_serving "$n" || true
    starting=("${starting[@]:1}")
  fi
  for n in "${starting[@]}"; do
    echo "starting node $n …"
    start_node "$n" "$key" "$seeds" false
    started+=("$n")
  done
  for n in "${started[@]}"; do
    await_ready "$n" "$(node_pid "$n")"
  done
  keep_demo_key
  echo
  print_nodes
  echo
  if [[ -n ${MODELPLANE_OPERATOR_KEY:-} ]]; then
    echo "operator key:    the MODELPLANE_OPERATOR_KEY you set"
  else
    echo "operator key:    export OP=\$(cat $CLUSTER_DIR/operator-key)"
  fi
  if [[ -s $CLUSTER_DIR/demo-key ]]; then
    echo "demo tenant key: export KEY=\$(cat $CLUSTER_DIR/demo-key)"
  fi
}

# Says so and fails when CLUSTER_DIR holds no cluster (a different CLUSTER_DIR than up's, say).
require_cluster_dir() {
  compgen -G "$CLUSTER_DIR/node-[123].pid" >/dev/null \
    || fail "no node recorded in $CLUSTER_DIR (set CLUSTER_DIR as it was for up)"
}

cmd_status() {
  local n pid ready members="" all_ready=0 port
  (($# == 0)) || usage
  require_cluster_dir
  for n in "${ALL_NODES[@]}"; do
    pid=$(node_pid "$n")
    port=$(management_port "$n")
    if [[ -z $pid ]]; then
      echo "node $n  not running"
      all_ready=1
      continue
    fi
    if curl -fsS -o /dev/null --max-time 2 "http://$HOST:$port/ready" 2>/dev/null; then
      ready=ready
      [[ -n $members ]] || members=$(curl -fsS --max-time 2 "http://$HOST:$port/cluster/members" 2>/dev/null || true)
    else
      ready="not ready"
      all_ready=1
    fi
    echo "node $n  pid $pid  $ready  http://$HOST:$(http_port "$n")  gRPC $HOST:$(grpc_port "$n")"
  done
  if [[ -n $members ]]; then
    echo "members (address status):"
    # {"node":"akka://modelplane@127.0.0.1:25520","nodeUid":"…","roles":[…],"status":"Up"}
    grep -o '"node":"[^"]*"[^}]*"status":"[^"]*"' <<<"$members" \
      | sed -E 's/^"node":"akka:\/\/[^@]*@([^"]*)".*"status":"([^"]*)"$/  \1 \2/' || true
    grep -o '"unreachable":\[[^]]*\]' <<<"$members" | grep -q '"node"' && echo "  (some members are unreachable)"
  fi
  return "$all_ready"
}

cmd_down() {
  local nodes n pid entry signalled=() deadline
  read -r -a nodes <<<"$(nodes_from_args "$@")"
  require_cluster_dir
  for n in "${nodes[@]}"; do
    pid=$(node_pid "$n")
    if [[ -z $pid ]]; then
      echo "node $n is not running"
      rm -f "$(pid_file "$n")" "$(started_file "$n")"
      continue
    fi
    echo "stopping node $n (pid $pid) …"
    kill -TERM "$pid"
    signalled+=("$n:$pid")
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for entry in "${signalled[@]}"; do
    n=${entry%%:*}
    pid=${entry#*:}
    while [[ -n $(node_pid "$n") ]] && ((SECONDS < deadline)); do
      sleep 1
    done
    if [[ -n $(node_pid "$n") ]]; then
      echo "node $n (pid $pid) still runs after ${STOP_TIMEOUT}s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      while [[ -n $(node_pid "$n") ]]; do sleep 1; done
    fi
    rm -f "$(pid_file "$n")" "$(started_file "$n")"
    echo "node $n stopped"
  done
}

# SIGKILL, by the recorded PID and start time only: a PID reused by another process is never signalled.
cmd_kill() {
  local nodes n pid
  (($# > 0)) || usage
  read -r -a nodes <<<"$(nodes_from_args "$@")"
  require_cluster_dir
  for n in "${nodes[@]}"; do
    pid=$(node_pid "$n")
    if [[ -z $pid ]]; then
      echo "node $n is not running"
      continue
    fi
    kill -KILL "$pid"
    echo "node $n (pid $pid) killed"
  done
}

require_number CLUSTER_HTTP_PORT "$HTTP_PORT"
require_number CLUSTER_REMOTING_PORT "$REMOTING_PORT"
require_number CLUSTER_MANAGEMENT_PORT "$MANAGEMENT_PORT"
require_number CLUSTER_GRPC_PORT "$GRPC_PORT"
require_disjoint_ports
require_number CLUSTER_START_TIMEOUT "$START_TIMEOUT"
require_number CLUSTER_STOP_TIMEOUT "$STOP_TIMEOUT"
(($# > 0)) || usage
command=$1
shift
case $command in
  up) cmd_up "$@" ;;
  status) cmd_status "$@" ;;
  down) cmd_down "$@" ;;
  kill) cmd_kill "$@" ;;
  *) usage ;;
esac
