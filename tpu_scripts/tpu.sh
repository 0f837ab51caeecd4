#!/usr/bin/env bash
# Cloud TPU scripts for gajax: create a TPU VM slice, set up every worker, launch a gajax command on every worker,
# watch it, copy logs and checkpoints back, stop the job and delete the slice.
#
# Usage: tpu_scripts/tpu.sh [--env FILE] [--dry-run] VERB [ARGS]   (tpu_scripts/tpu.sh help lists the verbs)
# Settings come from tpu_scripts/env.sh (copy env.example.sh), or --env FILE, or TPU_ENV=FILE.
# DRY_RUN=1 or --dry-run prints every gcloud command (and local side effect) instead of running it.
# Sourcing this file only defines the tpu_* functions.
set -euo pipefail

TPU_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPACITY_ERRORS='RESOURCE_EXHAUSTED|ZONE_RESOURCE_POOL_EXHAUSTED|no more capacity|insufficient capacity|stockout'
CAPACITY_ERRORS+='|not enough resources|currently unavailable'

tpu_die() {  # tpu_die MESSAGE: print to stderr and exit 1
  echo "tpu.sh: $*" >&2
  exit 1
}

tpu_show() {  # tpu_show CMD...: print a command, shell-quoted, to stderr
  printf '+' >&2
  printf ' %q' "$@" >&2
  printf '\n' >&2
}

tpu_run() {  # tpu_run CMD...: run a command, or only print it (to stdout) under DRY_RUN=1
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    printf '[dry-run]'
    printf ' %q' "$@"
    printf '\n'
  else
    tpu_show "$@"
    "$@"
  fi
}

tpu_load_env() {  # tpu_load_env [FILE]: source the settings and check the required ones
  local file=${1:-${TPU_ENV:-$TPU_SCRIPTS_DIR/env.sh}}
  [[ -f "$file" ]] || tpu_die "no settings file $file (copy $TPU_SCRIPTS_DIR/env.example.sh there, or pass --env FILE)"
  # shellcheck source-path=SCRIPTDIR source=env.example.sh
  source "$file"
  local name
  for name in GCP_PROJECT GCP_ZONE TPU_NAME TPU_ACCELERATOR_TYPE TPU_RUNTIME_VERSION; do
    [[ -n "${!name:-}" ]] || tpu_die "$file: $name is not set"
  done
  TPU_QUEUED=${TPU_QUEUED:-0}
  TPU_SPOT=${TPU_SPOT:-0}
  TPU_QUEUED_RESOURCE_ID=${TPU_QUEUED_RESOURCE_ID:-$TPU_NAME-qr}
  REPO_BRANCH=${REPO_BRANCH:-main}
  REPO_DIR=${REPO_DIR:-gajax}
  REMOTE_LOG_DIR=${REMOTE_LOG_DIR:-gajax-logs}
  TPU_CREATE_ATTEMPTS=${TPU_CREATE_ATTEMPTS:-20}
  TPU_CREATE_BACKOFF_S=${TPU_CREATE_BACKOFF_S:-60}
  TPU_CREATE_BACKOFF_MAX_S=${TPU_CREATE_BACKOFF_MAX_S:-900}
  TPU_POLL_S=${TPU_POLL_S:-60}
  GAJAX_INIT_TIMEOUT=${GAJAX_INIT_TIMEOUT:-300}
}

tpu_slice_shape() {  # tpu_slice_shape: print "WORKERS DEVICES" of TPU_ACCELERATOR_TYPE (TPU_NUM_* override)
  local family=${TPU_ACCELERATOR_TYPE%-*} size=${TPU_ACCELERATOR_TYPE##*-} workers devices
  [[ "$size" =~ ^[0-9]+$ ]] || size=0
  case "$family" in
    v5litepod | v5e | v6e)  # one TensorCore per chip; up to 8 chips on one host, 4 per host beyond
      devices=$size
      if ((size <= 8)); then workers=1; else workers=$((size / 4)); fi ;;
    v4 | v5p)  # the size counts TensorCores: 2 per chip, one JAX device per chip, 4 chips per host
      devices=$((size / 2))
      workers=$(((devices + 3) / 4)) ;;
    v2 | v3)  # the size counts TensorCores, one JAX device each, 8 per host
      devices=$size
      workers=$(((size + 7) / 8)) ;;
    *) devices=0 workers=0 ;;
  esac
  workers=${TPU_NUM_WORKERS:-$workers}
  devices=${TPU_NUM_DEVICES:-$devices}
  ((workers > 0 && devices > 0)) ||
    tpu_die "unknown accelerator type $TPU_ACCELERATOR_TYPE: set TPU_NUM_WORKERS and TPU_NUM_DEVICES in the env file"
  echo "$workers $devices"
}

tpu_gcloud_tpu() {  # tpu_gcloud_tpu ARGS...: gcloud compute tpus ARGS with the project and zone
  tpu_run gcloud compute tpus "$@" --project="$GCP_PROJECT" --zone="$GCP_ZONE"
}

tpu_ssh_all() {  # tpu_ssh_all REMOTE_COMMAND: run a shell command on every worker of the slice
  tpu_gcloud_tpu tpu-vm ssh "$TPU_NAME" --worker=all --command="$1"
}

tpu_retry_capacity() {  # tpu_retry_capacity CMD...: run CMD, retrying with backoff while capacity is short
  if [[ "${DRY_RUN:-0}" == 1 ]]; then
    tpu_run "$@"
    return
  fi
  local attempt=1 delay=$TPU_CREATE_BACKOFF_S output status
  output=$(mktemp)
  while true; do
    tpu_show "$@"
    set +e
    "$@" 2>&1 | tee "$output" >&2
    status=${PIPESTATUS[0]}
    set -e
    if ((status == 0)); then
      rm -f "$output"
      return 0
    fi
    if ! grep -qiE "$CAPACITY_ERRORS" "$output"; then
      rm -f "$output"
      tpu_die "$1 failed (exit $status), not for lack of capacity: not retrying"
    fi
    if ((attempt >= TPU_CREATE_ATTEMPTS)); then
      rm -f "$output"
      tpu_die "no capacity after $attempt attempts; try another zone, --spot, or --queued"
    fi
    echo "tpu.sh: no capacity (attempt $attempt of $TPU_CREATE_ATTEMPTS); retrying in ${delay}s" >&2
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > TPU_CREATE_BACKOFF_MAX_S ? TPU_CREATE_BACKOFF_MAX_S : delay * 2))
  done
}

tpu_wait_queued() {  # tpu_wait_queued: poll the queued resource until it is ACTIVE (fails on FAILED/SUSPENDED)
  local state
  while true; do
    if [[ "${DRY_RUN:-0}" == 1 ]]; then
      tpu_gcloud_tpu queued-resources describe "$TPU_QUEUED_RESOURCE_ID" --format='value(state.state)'
      return
    fi
    state=$(tpu_gcloud_tpu queued-resources describe "$TPU_QUEUED_RESOURCE_ID" --format='value(state.state)')
    echo "tpu.sh: queued resource $TPU_QUEUED_RESOURCE_ID is ${state:-UNKNOWN}" >&2
    case "$state" in
      ACTIVE) return 0 ;;
      FAILED | SUSPENDED) tpu_die "queued resource $TPU_QUEUED_RESOURCE_ID is $state" ;;
    esac
    sleep "$TPU_POLL_S"
  done
}

tpu_create() {  # tpu_create [--queued] [--spot] [--no-wait]: create the slice
  local wait=1 spot=()
  while (($#)); do
    case "$1" in
      --queued) TPU_QUEUED=1 ;;
      --spot) TPU_SPOT=1 ;;
      --no-wait) wait=0 ;;
      *) tpu_die "create: unknown option $1" ;;
    esac
    shift
  done
  [[ "$TPU_SPOT" == 1 ]] && spot=(--spot)
  if [[ "$TPU_QUEUED" == 1 ]]; then
    tpu_retry_capacity gcloud compute tpus queued-resources create "$TPU_QUEUED_RESOURCE_ID" \
      --node-id="$TPU_NAME" --project="$GCP_PROJECT" --zone="$GCP_ZONE" \
      --accelerator-type="$TPU_ACCELERATOR_TYPE" --runtime-version="$TPU_RUNTIME_VERSION" "${spot[@]}"
    if ((wait)); then tpu_wait_queued; fi
  else
    tpu_retry_capacity gcloud compute tpus tpu-vm create "$TPU_NAME" \
      --project="$GCP_PROJECT" --zone="$GCP_ZONE" \
      --accelerator-type="$TPU_ACCELERATOR_TYPE" --version="$TPU_RUNTIME_VERSION" "${spot[@]}"
  fi
}

tpu_setup() {  # tpu_setup: clone or update the repo on every worker, install gajax with its pinned jax[tpu]
  [[ -n "${REPO_URL:-}" ]] || tpu_die "setup: REPO_URL is not set"
  local dir branch url
  dir=$(printf '%q' "$REPO_DIR")
  branch=$(printf '%q' "$REPO_BRANCH")
  url=$(printf '%q' "$REPO_URL")
  tpu_ssh_all "set -e; if [ -d $dir/.git ]; then git -C $dir fetch --quiet origin $branch && \
git -C $dir checkout --quiet -B $branch FETCH_HEAD; else git clone --quiet --branch $branch $url $dir; fi; \
cd $dir; python3 -c 'import ensurepip' 2>/dev/null || \
{ sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv; }; ./run setup; \
.venv/bin/pip install -q -e '.[tpu]'; echo \"\$(hostname): gajax ready\""
}

tpu_launch() {  # tpu_launch [--name RUN] -- GAJAX_ARGS...: start gajax detached on every worker
  local name
  name=gajax-$(date -u +%Y%m%d-%H%M%S)
  while (($#)); do
    case "$1" in
      --name) name=${2:?launch: --name needs a value}; shift ;;
      --) shift; break ;;
      *) break ;;
    esac
    shift
  done
  (($#)) || tpu_die "launch: give the gajax arguments, e.g. launch -- sft --config recipes/labrador_13b_v5e64"
  [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || tpu_die "launch: --name $name: use letters, digits, '.', '_' and '-'"
  local shape workers devices distributed=0 args dir logs
  shape=$(tpu_slice_shape)
  read -r workers devices <<<"$shape"
  ((workers > 1)) && distributed=1
  args=$(printf ' %q' "$@")
  dir=$(printf '%q' "$REPO_DIR")
  logs=$(printf '%q' "$REMOTE_LOG_DIR")
  echo "tpu.sh: launching '$name' on $workers workers, $devices devices; logs in ~/$REMOTE_LOG_DIR" >&2
  # The worker number comes from the TPU VM metadata (hostname as a fallback); one log and pid file per worker.
  tpu_ssh_all "set -e; mkdir -p $logs; \
w=\$(curl -sf --max-time 10 -H Metadata-Flavor:Google \
http://metadata.google.internal/computeMetadata/v1/instance/attributes/agent-worker-number || hostname); \
log=\$HOME/$logs/$name-worker\$w.log; cd $dir; \
GAJAX_DISTRIBUTED=$distributed GAJAX_EXPECT_PROCESSES=$workers GAJAX_EXPECT_DEVICES=$devices \
GAJAX_INIT_TIMEOUT=$GAJAX_INIT_TIMEOUT nohup setsid .venv/bin/gajax$args > \"\$log\" 2>&1 < /dev/null & \
echo \$! > \$HOME/$logs/$name-worker\$w.pid; echo \"worker \$w: started $name (pid \$!), log \$log\""
}

tpu_exec() {  # tpu_exec [--] COMMAND...: run a command in the repo directory on every worker, in the foreground
  [[ "${1:-}" == -- ]] && shift
  (($#)) || tpu_die "exec: give a command"
  tpu_ssh_all "cd $(printf '%q' "$REPO_DIR") &&$(printf ' %q' "$@")"
}

tpu_status() {  # tpu_status: the slice's state, then each worker's running jobs and last log lines
  if [[ "$TPU_QUEUED" == 1 ]]; then
    tpu_gcloud_tpu queued-resources describe "$TPU_QUEUED_RESOURCE_ID" --format='value(state.state)'
  fi
  tpu_gcloud_tpu tpu-vm describe "$TPU_NAME" --format='table(name.basename(),state,health,acceleratorType)'
  local logs
  logs=$(printf '%q' "$REMOTE_LOG_DIR")
  tpu_ssh_all "for p in $logs/*.pid; do [ -e \"\$p\" ] || continue; \
if kill -0 \"\$(cat \"\$p\")\" 2>/dev/null; then s=running; else s=exited; fi; \
echo \"\$(hostname) \${p%.pid}: \$s\"; tail -n 3 \"\${p%.pid}.log\"; done"
}

tpu_logs() {  # tpu_logs [DEST]: copy every worker's job logs into DEST/worker-N (default DEST: logs/TPU_NAME)
  local dest=${1:-logs/$TPU_NAME} shape workers worker
  shape=$(tpu_slice_shape)
  workers=${shape% *}
  for ((worker = 0; worker < workers; worker++)); do
    tpu_run mkdir -p "$dest/worker-$worker"
    tpu_gcloud_tpu tpu-vm scp "$TPU_NAME:$REMOTE_LOG_DIR/*.log" "$dest/worker-$worker/" --worker="$worker"
  done
}

tpu_fetch_checkpoints() {  # tpu_fetch_checkpoints SOURCE [DEST]: copy a run's output directory here
  # SOURCE: gs://BUCKET/RUN, RUN (under GCS_BUCKET), or worker:PATH (under REPO_DIR on worker 0, for single-host runs)
  local source=${1:?fetch-checkpoints: give gs://BUCKET/RUN, RUN (under GCS_BUCKET) or worker:PATH}
  local dest=${2:-runs/$(basename "${source#worker:}")}
  if [[ "$source" == worker:* ]]; then  # scp creates DEST (it would nest the copy in an existing one)
    [[ ! -e "$dest" ]] || tpu_die "fetch-checkpoints: $dest exists; remove it or name another DEST"
    tpu_run mkdir -p "$(dirname "$dest")"
    tpu_gcloud_tpu tpu-vm scp --recurse "$TPU_NAME:$REPO_DIR/${source#worker:}" "$dest" --worker=0
    return
  fi
  tpu_run mkdir -p "$dest"
  if [[ "$source" != gs://* ]]; then
    [[ -n "${GCS_BUCKET:-}" ]] || tpu_die "fetch-checkpoints: $source is not gs://... and GCS_BUCKET is not set"
    source=${GCS_BUCKET%/}/$source
  fi
  tpu_run gcloud storage rsync --recursive "$source" "$dest"
}

tpu_stop() {  # tpu_stop [RUN]: SIGTERM the jobs (all, or RUN) on every worker; they save a checkpoint and exit
  local pattern='*'
  [[ -n "${1:-}" ]] && pattern=$(printf '%q' "$1")
  local logs
  logs=$(printf '%q' "$REMOTE_LOG_DIR")
  tpu_ssh_all "for p in $logs/$pattern-worker*.pid; do [ -e \"\$p\" ] || continue; \
kill -TERM \"\$(cat \"\$p\")\" 2>/dev/null && echo \"\$(hostname): stopping \${p%.pid}\"; rm -f \"\$p\"; done; true"
}

tpu_delete() {  # tpu_delete [--queued]: delete the slice (and its queued resource)
  [[ "${1:-}" == --queued ]] && TPU_QUEUED=1
  if [[ "$TPU_QUEUED" == 1 ]]; then
    tpu_gcloud_tpu queued-resources delete "$TPU_QUEUED_RESOURCE_ID" --force --quiet
  else
    tpu_gcloud_tpu tpu-vm delete "$TPU_NAME" --quiet
  fi
}

tpu_usage() {
  cat <<'EOF'
usage: tpu_scripts/tpu.sh [--env FILE] [--dry-run] VERB [ARGS]
  create [--queued] [--spot] [--no-wait]   create the slice (retries with backoff on capacity errors)
  setup                                     clone/update the repo on every worker, ./run setup, gajax[tpu]
  launch [--name RUN] -- GAJAX_ARGS...      run `gajax GAJAX_ARGS` detached on every worker, one log each
  exec -- COMMAND...                        run COMMAND in the repo directory on every worker
  status                                    slice state, each worker's jobs and last log lines
  logs [DEST]                               copy each worker's logs to DEST/worker-N (DEST: logs/TPU_NAME)
  fetch-checkpoints SOURCE [DEST]           copy gs://B/RUN, RUN (in GCS_BUCKET) or worker:PATH to DEST
  stop [RUN]                                SIGTERM the jobs on every worker (they checkpoint and exit)
  delete [--queued]                         delete the slice
  shape                                     print the slice's worker and device counts
EOF
}

tpu_main() {
  local env_file=""
  while (($#)); do
    case "$1" in
      --env) env_file=${2:?--env needs a file}; shift ;;
      --dry-run) export DRY_RUN=1 ;;
      -h | --help | help) tpu_usage; return 0 ;;
      *) break ;;
    esac
    shift
  done
  (($#)) || { tpu_usage >&2; return 2; }
  local verb=$1
  shift
  tpu_load_env "$env_file"
  case "$verb" in
    create) tpu_create "$@" ;;
    setup) tpu_setup "$@" ;;
    launch) tpu_launch "$@" ;;
    exec) tpu_exec "$@" ;;
    status) tpu_status "$@" ;;
    logs) tpu_logs "$@" ;;
    fetch-checkpoints) tpu_fetch_checkpoints "$@" ;;
    stop) tpu_stop "$@" ;;
    delete) tpu_delete "$@" ;;
    shape) tpu_slice_shape ;;
    *) tpu_usage >&2; return 2 ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  tpu_main "$@"
fi
