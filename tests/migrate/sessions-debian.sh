#!/bin/bash
# sessions.sh with a Debian container (bash, sysvinit, coreutils' stty).
VZ_SESSIONS_TEMPLATE=debian
. "$(dirname "$0")/sessions.sh"
