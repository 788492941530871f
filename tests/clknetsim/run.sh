#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs clknetsim worlds (world.sh) with bftimed and chronyd as clients of the
# same chronyd servers, each world in a network namespace of its own with
# CAP_SYS_TIME dropped from every capability set (../shared/tools/clknetsim/
# README: a call the simulator misses must never reach this machine's clock
# or network). clknetsim is built here from ../shared/tools/clknetsim, a test
# instrument only; it is never linked into bftime.
#
#   tests/clknetsim/run.sh WORLD ATTACK SEED POLL [LIMIT]   one world, one result line
#   tests/clknetsim/run.sh --matrix quick|full               many, one line each
#   tests/clknetsim/run.sh --netclock [SEED [LIMIT]]          4 bftimed without references,
#                                                            adjtimex source: network (netclock.sh)
#
# Exit 77 (skip) when ../shared/tools/clknetsim or g++ is missing.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tarball=$(ls "$top"/../shared/tools/clknetsim/clknetsim-*.tar.gz 2>/dev/null | head -n 1)
if [ -z "$tarball" ]; then echo "clknetsim: ../shared/tools/clknetsim not found: skipped" >&2; exit 77; fi
if ! command -v g++ > /dev/null || ! command -v chronyd > /dev/null; then
	echo "clknetsim: g++ or chronyd missing: skipped" >&2; exit 77
fi
CNS=$top/build/clknetsim
if [ ! -x "$CNS/clknetsim" ] || [ ! -f "$CNS/clknetsim.so" ] || [ "$tarball" -nt "$CNS/clknetsim" ]; then
	rm -rf "$CNS" && mkdir -p "$CNS"
	tar xzf "$tarball" -C "$CNS" --strip-components=1 || exit 2
	make -C "$CNS" -j2 > "$CNS/build.log" 2>&1 || { echo "clknetsim: build failed, see $CNS/build.log" >&2; exit 2; }
fi
export CNS BFTIME=${BFTIME:-$top/build}
[ -x "$BFTIME/bftimed" ] || { echo "clknetsim: build/bftimed missing (make first)" >&2; exit 2; }
work=${CLKNETSIM_WORK:-$top/build/clknetsim-worlds}
mkdir -p "$work"

one() { # WORLD ATTACK SEED POLL LIMIT
	local dir="$work/$1-${2//:/}-s$3-p$4"
	WORLD=$1 ATTACK=$2 SEED=$3 POLL=$4 LIMIT=${5:-20000} DIR=$dir \
		unshare -n setpriv --bounding-set=-sys_time --inh-caps=-sys_time -- "$top/tests/clknetsim/world.sh"
}

matrix() {
	case $1 in
	quick)
		echo "internet none 1 default 6000"
		echo "lan none 1 default 6000"
		echo "internet offset:20 1 default 6000"
		echo "internet walk:10 1 default 6000"
		echo "internet nomajority 1 default 6000"
		echo "internet heal:3000 1 default 6000"
		;;
	full)
		for w in internet lan; do for p in default 64 1024; do for s in 1 2 3 4 5; do
			echo "$w none $s $p 20000"; done; done; done
		for a in offset:2 offset:5 offset:10 offset:20 offset:50; do for s in 1 2 3; do
			echo "internet $a $s default 20000"; done; done
		for a in walk:1 walk:10 walk:100 nomajority heal:5000 split:10 split:100; do for s in 1 2 3 4 5; do
			echo "internet $a $s default 20000"; done; done
		;;
	esac
}

# exports.adjtimex.source: network: 4 bftimed without references (netclock.sh).
netclock() { # SEED LIMIT
	DIR="$work/netclock-s$1" SEED=$1 LIMIT=${2:-3000} \
		unshare -n setpriv --bounding-set=-sys_time --inh-caps=-sys_time -- "$top/tests/clknetsim/netclock.sh"
}

if [ "${1:-}" = --netclock ]; then
	netclock "${2:-1}" "${3:-3000}"
elif [ "${1:-}" = --matrix ]; then
	matrix "${2:-quick}" | while read -r w a s p l; do one "$w" "$a" "$s" "$p" "$l"; done
else
	one "$@"
fi
