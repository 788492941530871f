#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages bftime needs to build and test, only those that
# are missing, so a second run is instant. Services shipped by packages are
# kept from starting (policy-rc.d exits 101): tests start their own.
set -eu

PKGS="gcc g++ make pkg-config clang libcmocka-dev libssl-dev libyaml-dev libsqlite3-dev libmicrohttpd-dev libjson-c-dev libfftw3-dev libsoapysdr-dev libcurl4-openssl-dev libsystemd-dev man-db systemd debhelper lintian iproute2 iptables libnetfilter-queue-dev libp11-kit-dev softhsm2 procps strace chrony gpsd gpsd-clients pps-tools ntpsec-ntpdate ntpsec-ntpdig sntp chromium prometheus libseccomp-dev openssl jq libfaketime"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
