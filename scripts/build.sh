#!/bin/bash
# Configure and build vz in ./build (out of tree).  Extra arguments go to
# configure.  Prints the build directory.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${VZ_BUILD_DIR:-$src/build}
cd "$src"
[ -x configure ] && [ configure -nt configure.ac ] && [ configure -nt Makefile.am ] || autoreconf -fi >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$src/configure" -q --prefix=/usr/local --sysconfdir=/etc "$@"
make -s -j"$(nproc)" >/dev/null
echo "$build"
