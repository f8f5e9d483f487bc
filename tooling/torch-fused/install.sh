#!/bin/bash
# A PyTorch with fused=True CPU optimizers (2.4+) for `npm run bench`, from Debian packages only:
# Debian 13 (trixie) ships python3-torch 2.6, bookworm 1.13. This puts a minimal trixie root at
# $TORCH_FUSED_ROOT (default /opt/trixie, about 1.6 GB) with python3-torch in it, and installs
# tooling/torch-fused/python3-torch-fused (runs a host script with that Python, through chroot)
# as /usr/local/bin/python3-torch-fused. The host's Python and apt sources are not touched.
# Needs root. Then:
#   STEPSIZE_BENCH_TORCH_PYTHON=/usr/local/bin/python3-torch-fused npm run bench
set -euo pipefail
ROOT=${TORCH_FUSED_ROOT:-/opt/trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: needs root (debootstrap, chroot)" >&2
  exit 1
fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
if [ ! -x "$ROOT/usr/bin/python3" ]; then
  debootstrap --variant=minbase trixie "$ROOT" "$MIRROR"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc" || true
chroot "$ROOT" apt-get update -qq
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch python3-numpy
install -m 0755 "$here/python3-torch-fused" /usr/local/bin/python3-torch-fused
/usr/local/bin/python3-torch-fused -c 'import torch; p = torch.zeros(4, requires_grad=True); p.grad = torch.ones(4); torch.optim.Adam([p], fused=True).step(); print("torch", torch.__version__, "fused Adam on CPU: ok")'
