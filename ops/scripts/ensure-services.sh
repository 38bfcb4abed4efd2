#!/usr/bin/env bash
# Makes sure the services the test suites talk to are up on loopback, starting them with
# the machine's own start commands when they are down, and enables the RabbitMQ plugins the
# hub and its tests use. Idempotent. With CI=true a service that cannot be brought up is
# fatal; otherwise it is reported and the tests that need it will say so.
set -uo pipefail

mandatory="${CI:-false}"
failed=0

wait_for() { # name, check command..., up to ~60 s
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then echo "$name: up"; return 0; fi
    sleep 1
  done
  echo "$name: DOWN" >&2
  return 1
}

# RabbitMQ on 127.0.0.1:5672 (guest/guest).
if command -v rabbitmqctl >/dev/null 2>&1; then
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    echo "RabbitMQ is not running; starting it"
    rabbitmq-server -detached || true
  fi
  if wait_for rabbitmq rabbitmqctl -q await_startup; then
    # Management API for ops tooling and fault-injection tests; consistent-hash exchange
    # for sharding by case id. No node restart is needed to enable plugins.
    rabbitmq-plugins -q enable rabbitmq_management rabbitmq_consistent_hash_exchange >/dev/null \
      || { echo "could not enable RabbitMQ plugins" >&2; failed=1; }
  else
    failed=1
  fi
else
  echo "rabbitmq-server is not installed" >&2
  if [ "$mandatory" = true ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server \
      && rabbitmq-server -detached && wait_for rabbitmq rabbitmqctl -q await_startup || failed=1
  fi
fi

# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
if command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "PostgreSQL is not running; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_for postgresql pg_isready -q -h 127.0.0.1 -p 5432 || failed=1
else
  echo "PostgreSQL is not installed" >&2
  failed=1
fi

if [ "$failed" -ne 0 ]; then
  if [ "$mandatory" = true ]; then
    echo "CI=true: required services are unavailable" >&2
    exit 1
  fi
  echo "warning: some services are unavailable; tests that need them will fail or report it" >&2
fi
exit 0
