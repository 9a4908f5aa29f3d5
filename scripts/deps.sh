#!/bin/sh
# deps.sh - install the Debian packages rnnbow needs, only when missing.
#
#   scripts/deps.sh build   compiler, HDF5, OpenBLAS, pkg-config
#   scripts/deps.sh run     + hdf5-tools and gnuplot (demo, figures)
#   scripts/deps.sh test    + python3-h5py, python3-numpy (interop tests),
#                           poppler-utils (pdfinfo), chromium, chromium-driver
#                           and python3-selenium (the report's browser test),
#                           python3-torch (runs checked against PyTorch itself),
#                           clang (the tree built by a second compiler),
#                           python3-yaml (lstm.yml read back as LSTMVis does)
#
# Says what it installs on stderr; exits 1 with a clear message when it
# cannot (not root, no apt-get).
set -eu
level=${1:-build}

need=""
have_pkgconfig() { pkg-config --exists "$1" 2>/dev/null; }
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
have_pkgconfig hdf5 || need="$need libhdf5-dev"
have_pkgconfig openblas || need="$need libopenblas-dev"
if [ "$level" = run ] || [ "$level" = test ]; then
	command -v h5dump >/dev/null 2>&1 || need="$need hdf5-tools"
	command -v gnuplot >/dev/null 2>&1 || need="$need gnuplot-nox"
	command -v pdfinfo >/dev/null 2>&1 || need="$need poppler-utils"
fi
if [ "$level" = test ]; then
	/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1 || need="$need python3-h5py"
	/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need="$need python3-numpy"
	command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
	command -v clang >/dev/null 2>&1 || need="$need clang"
	# the report's browser test: Debian's Chromium driven by Selenium
	command -v chromium >/dev/null 2>&1 || need="$need chromium"
	command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
	/usr/bin/python3 -c 'import selenium' >/dev/null 2>&1 || need="$need python3-selenium"
	# PyTorch's own nn.LSTM/GRU and autograd as the oracle of tests/test_torch.py
	/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need="$need python3-torch"
	# export lstmvis's test reads lstm.yml as LSTMVis does, with PyYAML
	/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || need="$need python3-yaml"
fi
[ -z "$need" ] && exit 0

echo "rnnbow: installing missing Debian packages:$need" >&2
if ! command -v apt-get >/dev/null 2>&1; then
	echo "rnnbow: cannot install$need: no apt-get (not Debian); install them by hand" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		echo "rnnbow: cannot install$need: not root; run: sudo apt-get install$need" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need >&2
