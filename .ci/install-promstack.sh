#!/usr/bin/env bash
# Install Debian's real Prometheus (2.42) and Alertmanager (0.25) binaries for
# opsbot's end-to-end tests, WITHOUT installing the packages system-wide.
#
#   .ci/install-promstack.sh            # installs into ~/.cache/opsbot/promstack
#   OPSBOT_PROMSTACK_DIR=/opt/ps .ci/install-promstack.sh
#   .ci/install-promstack.sh --force    # re-download and re-extract
#
# Why not `apt-get install prometheus`? The Debian package pulls ~223 MB of
# JavaScript for its web UI and starts systemd services. `apt-get download` +
# `dpkg-deb -x` gives the same binaries (Go, linked only against libc6) in a
# private folder, runs nothing, and needs no cleanup.
#
# Result: $OPSBOT_PROMSTACK_DIR/bin/{prometheus,promtool,alertmanager,amtool}
# (tests/e2e/promstack.py looks there). Idempotent: when the binaries are
# present and run, it exits immediately. Runs on Debian 12 (bookworm) as root.
#
# One folder outside it: Debian's Alertmanager is patched to read its
# notification templates from the hard-coded /usr/share/prometheus/alertmanager
# (no flag changes it) and refuses to load any config without default.tmpl.
# So the package's usr/share/prometheus/alertmanager (48 KB: default.tmpl,
# email.tmpl, a placeholder UI) is also copied there. Those paths belong to
# no package while prometheus-alertmanager is not installed; installing the
# package later simply overwrites them.
set -euo pipefail

PREFIX="${OPSBOT_PROMSTACK_DIR:-$HOME/.cache/opsbot/promstack}"
BIN="$PREFIX/bin"
PACKAGES=(prometheus prometheus-alertmanager)
REQUIRED=(prometheus alertmanager)
OPTIONAL=(promtool amtool)
AM_SHARE=/usr/share/prometheus/alertmanager # hard-coded in Debian's binary
FORCE=0

for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h | --help)
            sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install-promstack: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

log() { echo "install-promstack: $*" >&2; }

# True when every required binary exists and answers --version.
installed_ok() {
    local b
    for b in "${REQUIRED[@]}"; do
        [[ -x "$BIN/$b" ]] || return 1
        "$BIN/$b" --version >/dev/null 2>&1 || return 1
    done
    [[ -f "$AM_SHARE/default.tmpl" && -f "$AM_SHARE/email.tmpl" ]]
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    else
        sudo -n "$@"
    fi
}

report() {
    local b
    echo "promstack binaries in $BIN:"
    for b in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
        if [[ -x "$BIN/$b" ]]; then
            printf '  %-13s %s\n' "$b" "$("$BIN/$b" --version 2>&1 | head -n1)"
        fi
    done
    echo "alertmanager templates in $AM_SHARE"
    echo "export OPSBOT_PROMSTACK_DIR=$PREFIX"
}

if [[ $FORCE -eq 0 ]] && installed_ok; then
    report
    exit 0
fi

command -v apt-get >/dev/null || {
    log "apt-get not found: this script needs Debian 12 (bookworm)"
    exit 1
}
command -v dpkg-deb >/dev/null || {
    log "dpkg-deb not found"
    exit 1
}

mkdir -p "$PREFIX"
WORK="$(mktemp -d "$PREFIX/.install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

apt_update() {
    log "running apt-get update"
    as_root apt-get update -qq
}

# Package lists are empty on fresh containers (e.g. debian:12 images).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt_update
fi

download() {
    # apt-get download writes into the current directory. As root it would
    # drop to the _apt sandbox user, which cannot write under /root, so keep
    # the download as root (the .debs are still verified against the signed
    # package lists).
    local opts=(-qq)
    [[ $(id -u) -eq 0 ]] && opts+=(-o APT::Sandbox::User=root)
    (cd "$WORK/debs" && apt-get download "${opts[@]}" "${PACKAGES[@]}")
}

mkdir -p "$WORK/debs"
if ! download; then
    log "apt-get download failed; refreshing package lists and retrying"
    apt_update
    download
fi

mkdir -p "$WORK/root"
for deb in "$WORK"/debs/*.deb; do
    log "extracting $(basename "$deb")"
    dpkg-deb -x "$deb" "$WORK/root"
done

# Stage the new bin/ next to the old one, then swap, so a concurrent reader
# never sees a half-written directory.
mkdir -p "$WORK/bin"
# Debian names the Alertmanager binary prometheus-alertmanager; install it
# under its upstream name.
for b in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
    src="$WORK/root/usr/bin/$b"
    [[ $b == alertmanager ]] && src="$WORK/root/usr/bin/prometheus-alertmanager"
    if [[ -x "$src" ]]; then
        install -m 0755 "$src" "$WORK/bin/$b"
    elif [[ " ${REQUIRED[*]} " == *" $b "* ]]; then
        log "package did not contain usr/bin/$b"
        exit 1
    fi
done

# The binaries are Go programs linked against libc only; fail loudly if the
# dynamic loader cannot resolve something.
for b in "$WORK"/bin/*; do
    if command -v ldd >/dev/null && ldd "$b" 2>&1 | grep -q 'not found'; then
        log "$(basename "$b") is missing shared libraries:"
        ldd "$b" >&2
        exit 1
    fi
    if ! "$b" --version >/dev/null 2>&1; then
        log "$(basename "$b") --version failed:"
        "$b" --version >&2 || true
        exit 1
    fi
done

# Record the package versions for debugging.
for deb in "$WORK"/debs/*.deb; do
    dpkg-deb -f "$deb" Package Version | paste -sd' '
done >"$WORK/bin/VERSIONS"

# Alertmanager's templates: keep a copy in $PREFIX/share and put them where
# the binary looks (see the header).
SHARE_SRC="$WORK/root$AM_SHARE"
[[ -f "$SHARE_SRC/default.tmpl" ]] || {
    log "package did not contain $AM_SHARE/default.tmpl"
    exit 1
}
rm -rf "$PREFIX/share"
mkdir -p "$PREFIX/share"
cp -R "$SHARE_SRC" "$PREFIX/share/alertmanager"
if ! diff -r "$SHARE_SRC" "$AM_SHARE" >/dev/null 2>&1; then
    log "copying Alertmanager templates to $AM_SHARE"
    if ! as_root mkdir -p "$AM_SHARE" || ! as_root cp -R "$SHARE_SRC/." "$AM_SHARE/"; then
        log "cannot write $AM_SHARE; as root run: mkdir -p $AM_SHARE && cp -R $PREFIX/share/alertmanager/. $AM_SHARE/"
        exit 1
    fi
fi

rm -rf "$PREFIX/bin.old"
if [[ -d "$BIN" ]]; then
    mv "$BIN" "$PREFIX/bin.old"
fi
mv "$WORK/bin" "$BIN"
rm -rf "$PREFIX/bin.old"

rm -rf "$WORK"
log "installed $(du -sh "$PREFIX" | cut -f1) into $PREFIX"
report
