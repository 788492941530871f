#!/bin/sh
# SPDX-License-Identifier: MIT
# Every scenario (make bench): the summary of each, non-zero exit if any
# promised guarantee was violated.
cd "$(dirname "$0")/../.." || exit 1
rc=0
for s in scenarios/*.yaml; do
	build/bftime-sim "$s" || rc=1
done
exit $rc
