#!/bin/bash
# Full lifecycle of a Debian 12 container (sysvinit) against the real kernel.
# Building the template needs the Debian mirror (debootstrap, ~30 s).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lifecycle-common.sh"
require_root
command -v debootstrap >/dev/null || skip_all "debootstrap is not installed (apt-get install debootstrap)"
ensure_template debian || skip_all "cannot build the debian template: $(tail -n 1 "$TEMPLATE_CACHE/debian.log")"
plan $LIFECYCLE_CHECKS
instance_up main
run_lifecycle debian 102
finish
