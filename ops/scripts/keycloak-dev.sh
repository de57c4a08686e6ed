#!/usr/bin/env bash
# A local Keycloak for developing ModelPlane against: the same distribution and cache as the tests'
# KeycloakTestServer (Maven Central org.keycloak:keycloak-quarkus-dist, built once into
# ~/.cache/modelplane/keycloak-<version>), started on 127.0.0.1:18080 (management 19000).
#
#   ops/scripts/keycloak-dev.sh [start]   fetch/build if needed, start, wait until ready; then print on
#                                         stdout the export lines ModelPlane needs (progress goes to stderr):
#                                         eval "$(ops/scripts/keycloak-dev.sh)" sets them in your shell
#   ops/scripts/keycloak-dev.sh env       print those export lines again (Keycloak running or not)
#   ops/scripts/keycloak-dev.sh stop      stop the server this script started (pid file)
#   ops/scripts/keycloak-dev.sh status
#
# Settings (environment), named like the node's own where they are the same thing:
#   MODELPLANE_KEYCLOAK_ADMIN_USER        Keycloak's bootstrap admin (admin)
#   MODELPLANE_KEYCLOAK_ADMIN_PASSWORD    its password (generated on first start, kept in the dev home)
#   MODELPLANE_KEYCLOAK_REALM             the platform realm the node will create (modelplane)
#   MODELPLANE_KEYCLOAK_DEV_PORT          HTTP port on 127.0.0.1 (18080)
#   MODELPLANE_KEYCLOAK_DEV_MANAGEMENT_PORT  health port on 127.0.0.1 (19000)
#   MODELPLANE_KEYCLOAK_DEV_HOME          this server's data, log, pid file and admin password
#                                         (~/.cache/modelplane/keycloak-dev)
#   MODELPLANE_KEYCLOAK_CACHE             the built distribution (~/.cache/modelplane/keycloak-<version>)
#   MAVEN_REPO_LOCAL                      your local Maven repository (~/.m2/repository)
# Needs only a JDK 17+ and Maven (for the one-time download); no jq, no unzip (the JDK's jar unpacks).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
KC_VERSION="$(sed -n 's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$ROOT/pom.xml" | head -1)"
[ -n "$KC_VERSION" ] || { echo "keycloak.version not found in $ROOT/pom.xml" >&2; exit 1; }
CACHE="${MODELPLANE_KEYCLOAK_CACHE:-$HOME/.cache/modelplane/keycloak-$KC_VERSION}"
DEV_HOME="${MODELPLANE_KEYCLOAK_DEV_HOME:-$HOME/.cache/modelplane/keycloak-dev}"
M2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
ZIP="$M2/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/keycloak-quarkus-dist-$KC_VERSION.zip"
HTTP_PORT="${MODELPLANE_KEYCLOAK_DEV_PORT:-18080}"
MGMT_PORT="${MODELPLANE_KEYCLOAK_DEV_MANAGEMENT_PORT:-19000}"
ADMIN_USER="${MODELPLANE_KEYCLOAK_ADMIN_USER:-admin}"
REALM="${MODELPLANE_KEYCLOAK_REALM:-modelplane}"
PID_FILE="$DEV_HOME/keycloak.pid"
LOG_FILE="$DEV_HOME/keycloak.log"
# Must match KeycloakDistribution.BUILD_OPTIONS and its marker, so tests and this script share one build.
BUILD_OPTIONS=(--db=dev-file --health-enabled=true)
MARKER_CONTENT="keycloak $KC_VERSION built with ${BUILD_OPTIONS[*]}"

if [ -n "${JAVA_HOME:-}" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="$(command -v java || true)"; fi
[ -n "$JAVA" ] || { echo "no java on PATH and JAVA_HOME unset: Keycloak $KC_VERSION needs JDK 17 or 21" >&2; exit 1; }

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# 0 when GET /health/ready on the management port answers 200; bash's /dev/tcp, so no curl needed.
ready() {
  local status
  status="$( { exec 3<>"/dev/tcp/127.0.0.1/$MGMT_PORT" \
      && printf 'GET /health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 \
      && IFS= read -r -t 5 line <&3 && printf '%s' "$line"; } 2>/dev/null || true)"
  [[ "$status" == *" 200"* ]]
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

fetch() {
  [ -f "$ZIP" ] && return 0
  echo >&2 "Downloading org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip (176 MB) from Maven Central…"
  # transitive=false: the dist's POM lists the whole Quarkus server build, which is not wanted here
  mvn -B -q -N -f "$ROOT/pom.xml" ${MAVEN_REPO_LOCAL:+-Dmaven.repo.local="$MAVEN_REPO_LOCAL"} \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -Dtransitive=false >&2
  [ -f "$ZIP" ] || { echo "downloaded, but not at $ZIP: set MAVEN_REPO_LOCAL to your local repository" >&2; exit 1; }
}

is_built() {
  [ -f "$CACHE/.modelplane-built" ] && [ "$(cat "$CACHE/.modelplane-built")" = "$MARKER_CONTENT" ]
}

# Same protocol as KeycloakDistribution: build in a staging dir, rename it into place when complete.
prepare() {
  is_built && return 0
  fetch
  mkdir -p "$(dirname "$CACHE")"
  exec 9>"$CACHE.lock"
  if command -v flock >/dev/null; then flock 9; fi # serialises runs of this script; a test JVM is kept safe by the rename below
  if ! is_built; then
    [ -e "$CACHE" ] && rm -rf "$CACHE.old" && mv "$CACHE" "$CACHE.old" && rm -rf "$CACHE.old"
    local staging="$CACHE.staging-$$"
    rm -rf "$staging"; mkdir -p "$staging"
    trap 'rm -rf "$staging"' EXIT
    echo >&2 "Unpacking Keycloak $KC_VERSION into $CACHE…"
    if command -v unzip >/dev/null; then unzip -q "$ZIP" -d "$staging"; else (cd "$staging" && jar xf "$ZIP"); fi
    chmod +x "$staging/keycloak-$KC_VERSION"/bin/*.sh
    echo >&2 "Building it once (kc.sh build ${BUILD_OPTIONS[*]}, ~30–45 s)…"
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")" \
      "$staging/keycloak-$KC_VERSION/bin/kc.sh" build "${BUILD_OPTIONS[@]}" > "$staging/build.log" 2>&1 \
      || { tail -n 30 "$staging/build.log" >&2; exit 1; }
    printf '%s\n' "$MARKER_CONTENT" > "$staging/keycloak-$KC_VERSION/.modelplane-built"
    mv -T "$staging/keycloak-$KC_VERSION" "$CACHE" 2>/dev/null || is_built \
      || { echo "could not move the build into $CACHE" >&2; exit 1; }
    rm -rf "$staging"; trap - EXIT
  fi
  exec 9>&-
}

# A home of its own (like KeycloakTestServer's): kc.sh copied, the rest linked, data/ persistent here.
make_home() {
  mkdir -p "$DEV_HOME/bin" "$DEV_HOME/data"
  cp "$CACHE/bin/kc.sh" "$DEV_HOME/bin/kc.sh"
  for d in lib conf providers themes; do ln -sfn "$CACHE/$d" "$DEV_HOME/$d"; done
}

# The bootstrap admin exists from the first start on: later starts, and the node, must use its password.
admin_password() {
  if [ -f "$DEV_HOME/admin-password" ]; then
    local kept; kept="$(cat "$DEV_HOME/admin-password")"
    if [ -n "${MODELPLANE_KEYCLOAK_ADMIN_PASSWORD:-}" ] && [ "$MODELPLANE_KEYCLOAK_ADMIN_PASSWORD" != "$kept" ]; then
      echo "note: $DEV_HOME already has an admin created with another password; using that one" >&2
    fi
    printf '%s' "$kept"
  elif [ "${1:-}" = create ]; then
    local password="${MODELPLANE_KEYCLOAK_ADMIN_PASSWORD:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}"
    mkdir -p "$DEV_HOME"
    (umask 077; printf '%s\n' "$password" > "$DEV_HOME/admin-password")
    printf '%s' "$password"
  else
    echo "no Keycloak admin yet in $DEV_HOME: run $0 start first" >&2; return 1
  fi
}

# stdout: exactly what the node needs, ready for eval; everything else goes to stderr
print_env() {
  local password; password="$(admin_password)" || exit 1
  printf 'export MODELPLANE_KEYCLOAK_URL=%q\n' "http://127.0.0.1:$HTTP_PORT"
  printf 'export MODELPLANE_KEYCLOAK_REALM=%q\n' "$REALM"
  printf 'export MODELPLANE_KEYCLOAK_ADMIN_USER=%q\n' "$ADMIN_USER"
  printf 'export MODELPLANE_KEYCLOAK_ADMIN_PASSWORD=%q\n' "$password"
}

announce() {
  {
    echo
    echo "Keycloak $KC_VERSION is ready: http://127.0.0.1:$HTTP_PORT (admin console /admin, user $ADMIN_USER); log $LOG_FILE"
    echo "Set these in the shell that starts ModelPlane (or run: eval \"\$($0 env)\"), then start it."
    echo "Stop Keycloak with: $0 stop"
    echo
  } >&2
  print_env
}

start() {
  local pid password
  mkdir -p "$DEV_HOME"
  password="$(admin_password create)"
  if pid="$(running_pid)"; then
    echo "Keycloak already running (PID $pid)." >&2
    announce
    return 0
  fi
  for port in "$HTTP_PORT" "$MGMT_PORT"; do
    if port_in_use "$port"; then echo "port $port on 127.0.0.1 is in use" >&2; exit 1; fi
  done
  prepare
  make_home
  echo "Starting Keycloak on 127.0.0.1:$HTTP_PORT…" >&2
  local began=$SECONDS
  echo "=== start $(date -Is) ===" >> "$LOG_FILE"
  (
    cd "$DEV_HOME"
    unset JAVA_OPTS JAVA_OPTS_APPEND JAVA_OPTS_KC_HEAP DEBUG
    for v in $(env | sed -n 's/^\(KC_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
    export JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")"
    export KC_BOOTSTRAP_ADMIN_USERNAME="$ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$password"
    exec nohup "$DEV_HOME/bin/kc.sh" start --optimized --cache=local --http-enabled=true \
      --http-host=127.0.0.1 --http-port="$HTTP_PORT" \
      --http-management-host=127.0.0.1 --http-management-port="$MGMT_PORT" --hostname-strict=false \
      < /dev/null >> "$LOG_FILE" 2>&1
  ) &
  pid=$!
  echo "$pid" > "$PID_FILE"
  until ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "Keycloak exited before it was ready; $LOG_FILE ends with:" >&2; tail -n 30 "$LOG_FILE" >&2
      rm -f "$PID_FILE"; exit 1
    fi
    if (( SECONDS - began > 180 )); then
      echo "Keycloak not ready after 180 s; stopping it. $LOG_FILE ends with:" >&2; tail -n 30 "$LOG_FILE" >&2
      stop; exit 1
    fi
    sleep 1
  done
  echo "Ready in $((SECONDS - began)) s (PID $pid)." >&2
  announce
}

stop() {
  local pid children
  if ! pid="$(running_pid)"; then
    echo "Keycloak is not running (no live PID in $PID_FILE)."; rm -f "$PID_FILE"; return 0
  fi
  # kc.sh forwards SIGTERM to its java child and waits for it; the child is also remembered for SIGKILL
  children="$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)"
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  for p in $pid $children; do
    if kill -0 "$p" 2>/dev/null; then echo "PID $p did not stop on SIGTERM: killing it" >&2; kill -KILL "$p" || true; fi
  done
  rm -f "$PID_FILE"
  echo "Keycloak stopped (PID $pid)."
}

case "${1:-start}" in
  start) start ;;
  env) print_env ;;
  stop) stop ;;
  status) if pid="$(running_pid)"; then echo "running (PID $pid), ready: $(ready && echo yes || echo no)"; else echo "not running"; fi ;;
  *) echo "usage: $0 [start|env|stop|status]" >&2; exit 2 ;;
esac
