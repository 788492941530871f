#!/bin/sh
# SPDX-License-Identifier: MIT
# test_isync.sh (internal synchronization: 12 bftimed on a sparse ring, with
# two reference holders, with none, with a liar) with each node in a network
# namespace of its own, joined to a bridge by a veth pair: the issue's
# network-namespace test. Skipped where namespaces cannot be made. About 3
# minutes.
cd "$(dirname "$0")/../.." || exit 1
ISYNC_NETNS=1 exec sh tests/system/test_isync.sh
