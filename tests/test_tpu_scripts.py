"""tpu_scripts/tpu.sh (dry run, a fake gcloud, its remote scripts run locally) and the trainers' pod fail-fast."""

import contextlib
import dataclasses
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gajax.distributed import IncompletePodError, Topology, check_expected, initialize, wants_distributed

ROOT = Path(__file__).resolve().parents[1]
TPU_SH = ROOT / "tpu_scripts" / "tpu.sh"
CAPACITY_ERROR = "ERROR: (gcloud.compute.tpus.tpu-vm.create) RESOURCE_EXHAUSTED: There is no more capacity in the zone"
RECIPE_ARGS = ["sft", "--config", "recipes/labrador_13b_v5e64", "data.path=my data/guided.jsonl"]


def write_env(tmp_path: Path, **changes: str) -> Path:
    settings = {
        "GCP_PROJECT": "proj-x",
        "GCP_ZONE": "us-west4-a",
        "TPU_NAME": "tpu-z",
        "TPU_ACCELERATOR_TYPE": "v5litepod-64",
        "TPU_RUNTIME_VERSION": "v2-alpha-tpuv5-lite",
        "TPU_QUEUED_RESOURCE_ID": "tpu-z-qr",
        "GCS_BUCKET": "gs://bkt",
        "REPO_URL": "https://example.com/org/gajax.git",
        "REPO_BRANCH": "dev",
        "TPU_CREATE_ATTEMPTS": "4",
        "TPU_CREATE_BACKOFF_S": "0",
        "TPU_POLL_S": "0",
    } | changes
    path = tmp_path / "env.sh"
    path.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in settings.items() if v))
    return path


def tpu(env_file: Path, *args: str, dry_run: bool = True, path: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DRY_RUN"}
    if dry_run:
        env["DRY_RUN"] = "1"
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", str(TPU_SH), "--env", str(env_file), *args], capture_output=True, text=True, env=env, timeout=60
    )


def printed(result: subprocess.CompletedProcess) -> list[list[str]]:
    """The commands a dry run printed, as argument lists."""
    assert result.returncode == 0, result.stderr
    return [shlex.split(line.removeprefix("[dry-run] ")) for line in result.stdout.splitlines()]


def flag(argv: list[str], name: str) -> str | None:
    values = [a.split("=", 1)[1] for a in argv if a.startswith(f"--{name}=")]
    assert len(values) <= 1, argv
    return values[0] if values else None


def gcloud_calls(result: subprocess.CompletedProcess) -> list[list[str]]:
    return [argv for argv in printed(result) if argv[0] == "gcloud"]


def fake_gcloud(tmp_path: Path, body: str) -> Path:
    """A ``gcloud`` that logs its arguments (one call per line) and then runs ``body``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "gcloud"
    calls = tmp_path / "calls.txt"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f"printf '%q ' \"$@\" >> {shlex.quote(str(calls))}\n"
        f"echo >> {shlex.quote(str(calls))}\n"
        f"n=$(wc -l < {shlex.quote(str(calls))})\n" + body
    )
    script.chmod(0o755)
    return bin_dir


def logged_calls(tmp_path: Path) -> list[list[str]]:
    return [shlex.split(line) for line in (tmp_path / "calls.txt").read_text().splitlines()]


# ---------------------------------------------------------------------------------------------- dry runs


def test_create_tpu_vm(tmp_path):
    [argv] = gcloud_calls(tpu(write_env(tmp_path), "create"))
    assert argv[:6] == ["gcloud", "compute", "tpus", "tpu-vm", "create", "tpu-z"]
    assert flag(argv, "project") == "proj-x"
    assert flag(argv, "zone") == "us-west4-a"
    assert flag(argv, "accelerator-type") == "v5litepod-64"
    assert flag(argv, "version") == "v2-alpha-tpuv5-lite"
    assert "--spot" not in argv


def test_create_queued_resource_then_wait(tmp_path):
    create, describe = gcloud_calls(tpu(write_env(tmp_path), "create", "--queued", "--spot"))
    assert create[:6] == ["gcloud", "compute", "tpus", "queued-resources", "create", "tpu-z-qr"]
    assert flag(create, "node-id") == "tpu-z"
    assert flag(create, "accelerator-type") == "v5litepod-64"
    assert flag(create, "runtime-version") == "v2-alpha-tpuv5-lite"
    assert (flag(create, "project"), flag(create, "zone")) == ("proj-x", "us-west4-a")
    assert "--spot" in create
    assert describe[:6] == ["gcloud", "compute", "tpus", "queued-resources", "describe", "tpu-z-qr"]


@pytest.mark.parametrize(
    "verb",
    [("setup",), ("launch", "--name", "r1", "--", *RECIPE_ARGS), ("exec", "--", "ls"), ("status",), ("stop",)],
)
def test_every_ssh_targets_every_worker(tmp_path, verb):
    ssh = [argv for argv in gcloud_calls(tpu(write_env(tmp_path), *verb)) if "ssh" in argv]
    assert ssh, "no ssh command printed"
    for argv in ssh:
        assert argv[:6] == ["gcloud", "compute", "tpus", "tpu-vm", "ssh", "tpu-z"]
        assert flag(argv, "worker") == "all"
        assert (flag(argv, "project"), flag(argv, "zone")) == ("proj-x", "us-west4-a")
        syntax = subprocess.run(["bash", "-n", "-c", flag(argv, "command")], capture_output=True, text=True)
        assert syntax.returncode == 0, syntax.stderr


def test_setup_clones_the_configured_branch(tmp_path):
    [argv] = gcloud_calls(tpu(write_env(tmp_path), "setup"))
    words = shlex.split(flag(argv, "command"))
    assert "https://example.com/org/gajax.git" in words
    assert words[words.index("--branch") + 1] == "dev"
    assert "./run" in words and "setup;" in words


# Hosts and chips of each slice, from the Cloud TPU documentation (v5e: 4 chips per host beyond 8 chips; v5p:
# the size counts TensorCores, two per chip, 4 chips per host).
@pytest.mark.parametrize(
    ("accelerator", "processes", "devices"),
    [("v5litepod-64", 16, 64), ("v5p-32", 4, 16), ("v5litepod-8", 1, 8), ("v4-32", 4, 16)],
)
def test_launch_passes_the_recipe_and_the_expected_pod(tmp_path, accelerator, processes, devices):
    env_file = write_env(tmp_path, TPU_ACCELERATOR_TYPE=accelerator)
    [argv] = gcloud_calls(tpu(env_file, "launch", "--name", "r1", "--", *RECIPE_ARGS))
    words = shlex.split(flag(argv, "command"))
    start = words.index(".venv/bin/gajax")
    assert words[start + 1 : start + 1 + len(RECIPE_ARGS)] == RECIPE_ARGS
    assert f"GAJAX_EXPECT_PROCESSES={processes}" in words
    assert f"GAJAX_EXPECT_DEVICES={devices}" in words
    assert f"GAJAX_DISTRIBUTED={int(processes > 1)}" in words
    assert "nohup" in words


def test_launch_needs_arguments(tmp_path):
    result = tpu(write_env(tmp_path), "launch", "--name", "r1", "--")
    assert result.returncode != 0 and "give the gajax arguments" in result.stderr


def test_logs_are_copied_from_every_worker(tmp_path):
    scp = [argv for argv in gcloud_calls(tpu(write_env(tmp_path, TPU_ACCELERATOR_TYPE="v5p-32"), "logs", "out"))]
    assert sorted(flag(argv, "worker") for argv in scp) == ["0", "1", "2", "3"]
    for argv in scp:
        assert argv[4] == "scp" and argv[5] == "tpu-z:gajax-logs/*.log"
        assert argv[6] == f"out/worker-{flag(argv, 'worker')}/"


def test_fetch_checkpoints_from_the_bucket_or_worker_0(tmp_path):
    env_file = write_env(tmp_path)
    [rsync] = gcloud_calls(tpu(env_file, "fetch-checkpoints", "labrador-13b-sft"))
    assert rsync == ["gcloud", "storage", "rsync", "--recursive", "gs://bkt/labrador-13b-sft", "runs/labrador-13b-sft"]
    [scp] = gcloud_calls(tpu(env_file, "fetch-checkpoints", "worker:checkpoints/retriever-dpr-v5e8", "out/here"))
    assert scp[4:7] == ["scp", "--recurse", "tpu-z:gajax/checkpoints/retriever-dpr-v5e8"]
    assert scp[7] == "out/here" and flag(scp, "worker") == "0"
    (tmp_path / "taken").mkdir()
    result = tpu(env_file, "fetch-checkpoints", "worker:checkpoints/x", str(tmp_path / "taken"))
    assert result.returncode != 0 and "exists" in result.stderr


def test_delete(tmp_path):
    env_file = write_env(tmp_path)
    [vm] = gcloud_calls(tpu(env_file, "delete"))
    assert vm[:6] == ["gcloud", "compute", "tpus", "tpu-vm", "delete", "tpu-z"] and "--quiet" in vm
    [queued] = gcloud_calls(tpu(env_file, "delete", "--queued"))
    assert queued[3:6] == ["queued-resources", "delete", "tpu-z-qr"] and "--force" in queued


def test_dry_run_flag_runs_nothing(tmp_path):
    bin_dir = fake_gcloud(tmp_path, "exit 0\n")
    result = tpu(write_env(tmp_path), "--dry-run", "create", dry_run=False, path=bin_dir)
    assert result.returncode == 0 and result.stdout.startswith("[dry-run] gcloud compute tpus tpu-vm create")
    assert not (tmp_path / "calls.txt").exists()


def test_missing_setting_and_unknown_accelerator_are_named(tmp_path):
    result = tpu(write_env(tmp_path, GCP_ZONE=""), "create")
    assert result.returncode != 0 and "GCP_ZONE is not set" in result.stderr
    result = tpu(write_env(tmp_path, TPU_ACCELERATOR_TYPE="x9-16"), "launch", "--", "sft")
    assert result.returncode != 0 and "x9-16" in result.stderr and "TPU_NUM_WORKERS" in result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_clean():
    result = subprocess.run(
        ["shellcheck", "-x", str(TPU_SH), str(TPU_SH.parent / "env.example.sh")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


# ------------------------------------------------------------------------------------ retries (fake gcloud)


def test_create_retries_capacity_errors_then_succeeds(tmp_path):
    bin_dir = fake_gcloud(tmp_path, f'if [ "$n" -le 2 ]; then echo {shlex.quote(CAPACITY_ERROR)} >&2; exit 1; fi\n')
    result = tpu(write_env(tmp_path), "create", dry_run=False, path=bin_dir)
    assert result.returncode == 0, result.stderr
    calls = logged_calls(tmp_path)
    assert len(calls) == 3
    assert all(c[:5] == ["compute", "tpus", "tpu-vm", "create", "tpu-z"] for c in calls)
    assert result.stderr.count("retrying") == 2


def test_create_gives_up_after_the_attempts(tmp_path):
    bin_dir = fake_gcloud(tmp_path, f"echo {shlex.quote(CAPACITY_ERROR)} >&2; exit 1\n")
    result = tpu(write_env(tmp_path, TPU_CREATE_ATTEMPTS="3"), "create", dry_run=False, path=bin_dir)
    assert result.returncode != 0 and "no capacity after 3 attempts" in result.stderr
    assert len(logged_calls(tmp_path)) == 3


def test_create_does_not_retry_other_errors(tmp_path):
    bin_dir = fake_gcloud(tmp_path, "echo 'ERROR: PERMISSION_DENIED: tpu.nodes.create' >&2; exit 1\n")
    result = tpu(write_env(tmp_path), "create", dry_run=False, path=bin_dir)
    assert result.returncode != 0 and "not retrying" in result.stderr
    assert len(logged_calls(tmp_path)) == 1


def test_queued_create_polls_until_active(tmp_path):
    body = (
        'case "$*" in *describe*) if [ "$n" -le 3 ]; then echo WAITING_FOR_RESOURCES; else echo ACTIVE; fi ;; esac\n'
        f'if [ "$n" -eq 1 ]; then echo {shlex.quote(CAPACITY_ERROR)} >&2; exit 1; fi\n'
    )
    bin_dir = fake_gcloud(tmp_path, body)
    result = tpu(write_env(tmp_path), "create", "--queued", dry_run=False, path=bin_dir)
    assert result.returncode == 0, result.stderr
    verbs = [c[3] for c in logged_calls(tmp_path)]
    assert verbs == ["create", "create", "describe", "describe"]


# ------------------------------------------------------------------- the remote scripts, run on this machine


def _remote_command(tmp_path: Path, *verb: str) -> str:
    [argv] = [a for a in gcloud_calls(tpu(write_env(tmp_path), *verb)) if "ssh" in a]
    return flag(argv, "command")


def _wait_for(path: Path, text: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and text in (content := path.read_text()):
            return content
        time.sleep(0.05)
    raise AssertionError(f"{path} never showed {text!r}")


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_setup_script_clones_then_updates_the_repo(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "run").write_text(  # stands in for ./run setup: makes the venv's pip, which records its arguments
        "#!/usr/bin/env bash\nmkdir -p .venv/bin\n"
        "printf '#!/bin/sh\\necho \"$*\" >> \"$HOME/pip-calls\"\\n' > .venv/bin/pip\nchmod +x .venv/bin/pip\n"
    )
    (source / "run").chmod(0o755)
    (source / "version").write_text("1\n")
    _git("init", "-q", "-b", "dev", cwd=source)
    _git("add", ".", cwd=source)
    _git("commit", "-q", "-m", "one", cwd=source)
    home = tmp_path / "home"
    home.mkdir()
    [argv] = gcloud_calls(tpu(write_env(tmp_path, REPO_URL=str(source)), "setup"))
    env = os.environ | {"HOME": str(home)}

    def setup() -> None:
        result = subprocess.run(["bash", "-c", flag(argv, "command")], cwd=home, env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "gajax ready" in result.stdout

    setup()
    assert (home / "gajax" / "version").read_text() == "1\n"
    (source / "version").write_text("2\n")
    _git("commit", "-q", "-am", "two", cwd=source)
    setup()
    assert (home / "gajax" / "version").read_text() == "2\n"
    assert (home / "pip-calls").read_text().splitlines() == ["install -q -e .[tpu]"] * 2


def test_launch_status_and_stop_scripts_on_a_fake_worker(tmp_path):
    """The launch script starts gajax detached with the recipe and pod size; stop delivers SIGTERM to it."""
    home = tmp_path / "home"
    gajax = home / "gajax" / ".venv" / "bin" / "gajax"
    gajax.parent.mkdir(parents=True)
    gajax.write_text(
        "#!/usr/bin/env bash\n"
        "printf 'arg=%s\\n' \"$@\"\n"
        'echo "devices=$GAJAX_EXPECT_DEVICES processes=$GAJAX_EXPECT_PROCESSES"\n'
        "sleep 30 & child=$!\n"
        "trap 'kill $child; echo got-TERM; exit 0' TERM\n"
        "echo ready\n"
        "wait\n"
    )
    gajax.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text("#!/bin/sh\necho 3\n")  # the metadata server's agent-worker-number
    (bin_dir / "curl").chmod(0o755)
    env = os.environ | {"HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def remote(command: str) -> str:
        result = subprocess.run(["bash", "-c", command], cwd=home, env=env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout

    launched = remote(_remote_command(tmp_path, "launch", "--name", "r1", "--", *RECIPE_ARGS))
    log, pid_file = home / "gajax-logs" / "r1-worker3.log", home / "gajax-logs" / "r1-worker3.pid"
    assert "worker 3: started r1" in launched
    pid = int(pid_file.read_text())
    try:
        content = _wait_for(log, "ready")
        assert [line.removeprefix("arg=") for line in content.splitlines() if line.startswith("arg=")] == RECIPE_ARGS
        assert "devices=64 processes=16" in content
        assert "r1-worker3: running" in remote(_remote_command(tmp_path, "status"))
        assert "stopping" in remote(_remote_command(tmp_path, "stop", "r1"))
        _wait_for(log, "got-TERM")
        assert not pid_file.exists()
    finally:  # a failure before the stop leaves the fake job running: end it
        if "got-TERM" not in log.read_text():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


# ------------------------------------------------------------------------------- fail fast on a short pod


def test_expected_counts_that_match_pass():
    topology = initialize({"GAJAX_EXPECT_DEVICES": "8", "GAJAX_EXPECT_PROCESSES": "1"})  # conftest: 8 CPU devices
    assert (topology.device_count, topology.process_count, topology.process_index) == (8, 1, 0)


def test_missing_devices_fail_fast():
    with pytest.raises(IncompletePodError, match=r"GAJAX_EXPECT_DEVICES=64 but the job sees 8 devices"):
        initialize({"GAJAX_EXPECT_DEVICES": "64"})
    with pytest.raises(IncompletePodError, match=r"GAJAX_EXPECT_PROCESSES=16 but the job sees 1 processes"):
        initialize({"GAJAX_EXPECT_PROCESSES": "16"})


def test_expected_counts_are_checked_against_the_topology():
    short = Topology(process_index=2, process_count=15, local_device_count=4, device_count=60, device_kind="TPU v5e")
    with pytest.raises(IncompletePodError, match=r"process 2: .*DEVICES=64 .* 60 devices; .*PROCESSES=16 .* 15"):
        check_expected(short, {"GAJAX_EXPECT_DEVICES": "64", "GAJAX_EXPECT_PROCESSES": "16"})
    check_expected(short, {})
    with pytest.raises(ValueError, match="GAJAX_EXPECT_DEVICES='sixty' is not an integer"):
        check_expected(short, {"GAJAX_EXPECT_DEVICES": "sixty"})


def test_when_to_join_a_multi_host_job():
    assert not wants_distributed({})
    assert not wants_distributed({"TPU_WORKER_HOSTNAMES": "localhost"})
    assert wants_distributed({"TPU_WORKER_HOSTNAMES": "10.0.0.2,10.0.0.3"})
    assert wants_distributed({"MEGASCALE_COORDINATOR_ADDRESS": "10.0.0.2:8080"})
    assert wants_distributed({"JAX_COORDINATOR_ADDRESS": "10.0.0.2:1234"})
    assert wants_distributed({"GAJAX_DISTRIBUTED": "1"})
    assert not wants_distributed({"GAJAX_DISTRIBUTED": "0", "JAX_COORDINATOR_ADDRESS": "10.0.0.2:1234"})
    with pytest.raises(ValueError, match="GAJAX_DISTRIBUTED='maybe'"):
        wants_distributed({"GAJAX_DISTRIBUTED": "maybe"})


def test_both_trainers_check_the_pod_first(monkeypatch, tmp_path):
    from gajax.finetune.train import FinetuneConfig, run_finetune
    from gajax.retriever.train import TrainRetrieverConfig, run_train_retriever

    monkeypatch.setenv("GAJAX_EXPECT_DEVICES", "64")
    missing = str(tmp_path / "missing.jsonl")  # never read: the pod check comes first
    with pytest.raises(IncompletePodError):
        run_finetune(FinetuneConfig(), "sft")
    with pytest.raises(IncompletePodError):
        loop = dataclasses.replace(TrainRetrieverConfig().trainer, output_dir=str(tmp_path))
        run_train_retriever(TrainRetrieverConfig(pairs=missing, guidelines=missing, trainer=loop))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _start_process(tmp_path: Path, process_id: int, num_processes: int, port: int, **env: str) -> subprocess.Popen:
    script = tmp_path / "join.py"
    script.write_text(
        "import logging\nlogging.basicConfig()\nfrom gajax.distributed import initialize\ninitialize()\n"
    )
    child_env = os.environ | {
        "JAX_PLATFORMS": "cpu",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "GAJAX_DISTRIBUTED": "1",
        "JAX_COORDINATOR_ADDRESS": f"localhost:{port}",
        "JAX_NUM_PROCESSES": str(num_processes),
        "JAX_PROCESS_ID": str(process_id),
    } | env
    return subprocess.Popen(
        [sys.executable, str(script)], env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_two_processes_join_and_see_the_whole_pod(tmp_path):
    port = _free_port()
    expect = {"GAJAX_EXPECT_DEVICES": "4", "GAJAX_EXPECT_PROCESSES": "2", "GAJAX_INIT_TIMEOUT": "60"}
    procs = [_start_process(tmp_path, i, 2, port, **expect) for i in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    for i, (proc, out) in enumerate(zip(procs, outputs, strict=True)):
        assert proc.returncode == 0, out
        assert f"process {i}/2: 2 local devices, 4 global devices" in out


def test_a_missing_worker_stops_the_job_at_the_timeout(tmp_path):
    proc = _start_process(tmp_path, 0, 2, _free_port(), GAJAX_INIT_TIMEOUT="2")  # process 1 never starts
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode != 0
    assert "within 2 s" in out and "DEADLINE_EXCEEDED" in out
    assert "global devices" not in out

