# Settings for tpu_scripts/tpu.sh. Copy to tpu_scripts/env.sh (the default) or pass --env FILE / TPU_ENV=FILE.
# This file is sourced by bash: plain assignments, no spaces around '='.
# shellcheck shell=bash disable=SC2034

GCP_PROJECT=my-gcp-project
GCP_ZONE=us-west4-a

TPU_NAME=gajax-v5e-64
# Accelerator type and runtime version, as gcloud spells them:
#   v5e-64 (16 hosts x 4 chips): TPU_ACCELERATOR_TYPE=v5litepod-64 TPU_RUNTIME_VERSION=v2-alpha-tpuv5-lite
#   v5e-8  (1 host x 8 chips):   TPU_ACCELERATOR_TYPE=v5litepod-8  TPU_RUNTIME_VERSION=v2-alpha-tpuv5-lite
#   v5p-32 (4 hosts x 4 chips):  TPU_ACCELERATOR_TYPE=v5p-32       TPU_RUNTIME_VERSION=v2-alpha-tpuv5
TPU_ACCELERATOR_TYPE=v5litepod-64
TPU_RUNTIME_VERSION=v2-alpha-tpuv5-lite
# 1: request spot capacity (cheaper, preemptible; the trainers checkpoint on SIGTERM and resume).
TPU_SPOT=0
# 1: create through a queued resource (waits in Google's queue for capacity instead of failing).
TPU_QUEUED=0
TPU_QUEUED_RESOURCE_ID=gajax-v5e-64-qr

# Where checkpoints go (trainer.output_dir=$GCS_BUCKET/RUN) and where `fetch-checkpoints RUN` copies them from.
GCS_BUCKET=gs://my-gajax-bucket

# The gajax repository every worker clones, and where (relative to the home directory on each worker).
REPO_URL=https://github.com/YOUR_ORG/gajax.git
REPO_BRANCH=main
REPO_DIR=gajax
# Per-worker job logs (relative to the home directory on each worker).
REMOTE_LOG_DIR=gajax-logs

# Retries of `create` on capacity errors: attempts, first wait and longest wait (seconds, doubling).
TPU_CREATE_ATTEMPTS=20
TPU_CREATE_BACKOFF_S=60
TPU_CREATE_BACKOFF_MAX_S=900
# Seconds a job waits for every worker to join before it fails (GAJAX_INIT_TIMEOUT on the workers).
GAJAX_INIT_TIMEOUT=300
# Uncomment for an accelerator type tpu.sh does not know (hosts and JAX devices of the slice):
# TPU_NUM_WORKERS=16
# TPU_NUM_DEVICES=64
