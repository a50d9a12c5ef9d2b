#!/bin/bash
# Full lifecycle of a busybox container against the real kernel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lifecycle-common.sh"
require_root
ensure_template busybox || skip_all "cannot build the busybox template (see $TEMPLATE_CACHE/busybox.log)"
plan $LIFECYCLE_CHECKS
instance_up main
run_lifecycle busybox 101
finish
