# Sourced by scripts/test: makes sure the local backing services answer on
# their standard loopback ports, starting them when they are installed but
# stopped. With Docker, `docker compose up -d postgres redis rabbitmq mongo`
# provides the same services instead.

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    port_open "$2" && return 0
    sleep 0.25
  done
  echo "error: $1 did not come up on 127.0.0.1:$2 within $3s" >&2
  return 1
}

ensure_postgres() {
  port_open 5432 && return 0
  if command -v pg_ctlcluster >/dev/null; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    echo "error: PostgreSQL is not running on 5432 and pg_ctlcluster is not installed" >&2
    return 1
  fi
  wait_for_port PostgreSQL 5432 30
}

ensure_redis() {
  port_open 6379 && return 0
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  else
    echo "error: Redis is not running on 6379 and redis-server is not installed" >&2
    return 1
  fi
  wait_for_port Redis 6379 15
}

ensure_rabbitmq() {
  if ! port_open 5672; then
    if command -v rabbitmq-server >/dev/null; then
      echo "starting RabbitMQ"
      start_rabbitmq
    else
      echo "error: RabbitMQ is not running on 5672 and rabbitmq-server is not installed" >&2
      return 1
    fi
  fi
  wait_for_port RabbitMQ 5672 120
  if command -v rabbitmqctl >/dev/null; then
    # Its complaints are not the verdict: the AMQP check below is.
    rabbitmqctl await_startup --timeout 120 >/dev/null 2>&1 || true
  fi
  if ! amqp_answers 20; then
    if ! command -v rabbitmq-server >/dev/null; then
      echo "error: RabbitMQ on 5672 accepts connections but does not answer AMQP" >&2
      return 1
    fi
    echo "RabbitMQ accepts connections but does not answer AMQP" >&2
    restart_rabbitmq_empty
  fi
  expire_test_queues
}

start_rabbitmq() {
  # As many open files as this shell may have: every connection and every
  # quorum queue segment holds one, and the tests open many of both. Debian's
  # wrapper switches to the rabbitmq user through su, whose PAM session
  # resets the limit to 1,024; setpriv switches without it.
  if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    (ulimit -Sn "$(ulimit -Hn)" && cd /var/lib/rabbitmq \
      && HOME=/var/lib/rabbitmq setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
        rabbitmq-server -detached)
  else
    rabbitmq-server -detached
  fi
}

# Whether RabbitMQ answers the AMQP protocol header with connection.start (a
# method frame, type 1). A broker can accept TCP and never answer: this was
# seen on a long-lived local broker after a few full test runs, and a client
# then waits for it (lapin has no handshake timeout of its own).
amqp_answers() { # seconds [port]
  timeout "$1" bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "AMQP\0\0\11\1" >&3
    [ "$(head -c 1 <&3 | od -An -tx1 | tr -d " ")" = 01 ]' "${2:-5672}" 2>/dev/null
}

# A local test broker that no longer answers is stopped, its data (only ever
# test queues and exchanges) is removed, and it starts again empty.
restart_rabbitmq_empty() {
  local data=/var/lib/rabbitmq/mnesia i
  echo "restarting RabbitMQ with an empty $data" >&2
  timeout 60 rabbitmqctl stop >/dev/null 2>&1 || true
  for ((i = 0; i < 40; i++)); do
    pgrep -f 'beam.*rabbit' >/dev/null || break
    ((i == 20)) && pkill -KILL -f 'beam.*rabbit'
    sleep 0.5
  done
  rm -rf "${data:?}"/*
  start_rabbitmq
  wait_for_port RabbitMQ 5672 120
  rabbitmqctl await_startup --timeout 120 >/dev/null
  amqp_answers 20 || { echo "error: RabbitMQ still does not answer AMQP" >&2; return 1; }
}

# Tests name their queues test.<unique>...; once unused for five minutes
# the broker deletes them, so test runs do not pile up thousands of quorum
# queues on a long-lived local broker.
expire_test_queues() {
  command -v rabbitmqctl >/dev/null || return 0
  rabbitmqctl set_policy --apply-to queues shopgraph-test-queues '^test\.' \
    '{"expires": 300000}' >/dev/null
}

# MongoDB: a real one if it is running, otherwise SecantusDB (a MongoDB
# wire-protocol server from PyPI) in memory.
ensure_mongo() {
  port_open 27017 && return 0
  if ! python3 -c "import secantus" 2>/dev/null; then
    echo "installing SecantusDB"
    python3 -m pip install --quiet --disable-pip-version-check SecantusDB
  fi
  echo "starting SecantusDB"
  mkdir -p target
  nohup python3 -m secantus --port 27017 --storage-path :memory: >target/secantus.log 2>&1 &
  wait_for_port SecantusDB 27017 30
}

ensure_services() {
  ensure_postgres
  ensure_redis
  ensure_rabbitmq
  ensure_mongo
}
