#!/usr/bin/env bash
# The Debian package: built by CPack from this build tree, unpacked into a temporary root, its
# units verified, its conffile and maintainer script present, and its binary serving pages.
source "$(dirname "$0")/common.sh"
build=${MW_BUILD_DIR:?}
work=$(mktemp -d)
trap 'stop_serve; rm -rf "$work"' EXIT
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; exit 1; }
deb=$(ls "$work"/out/mailwright_*.deb)
root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/mailwright lib/systemd/system/mailwright.service \
  lib/systemd/system/mailwright-worker@.service etc/mailwright/mailwright.env \
  usr/share/doc/mailwright/nginx.conf; do
  [[ -f $root/$f ]] || { echo "FAIL: $f is not in the package" >&2; exit 1; }
done
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/mailwright/mailwright.env "$work/control/conffiles"
grep -q adduser "$work/control/postinst"
grep -qE '^Depends:.*libpoco' "$work/control/control" ||
  { echo "FAIL: no shared-library dependencies in control" >&2; cat "$work/control/control"; exit 1; }
for unit in mailwright.service mailwright-worker@.service; do
  for key in User=mailwright ProtectSystem=strict NoNewPrivileges=yes StateDirectory=mailwright; do
    grep -qx "$key" "$root/lib/systemd/system/$unit" ||
      { echo "FAIL: $unit lacks $key" >&2; exit 1; }
  done
done
if command -v systemd-analyze >/dev/null; then
  # Verified with the unpacked binary in place of /usr/bin/mailwright (the host's units are used
  # for dependencies, so --root cannot be used: it has no sysinit.target).
  for unit in mailwright.service mailwright-worker@.service; do
    sed "s#/usr/bin/mailwright#$root/usr/bin/mailwright#g" "$root/lib/systemd/system/$unit" \
      >"$work/${unit/@/@1}"
  done
  systemd-analyze verify "$work/mailwright.service" "$work/mailwright-worker@1.service" 2>&1 |
    grep -v -e 'Failed to resolve user' -e 'ignoring' | tee "$work/verify.log" || true
  ! grep -qiE 'error|fail|not executable' "$work/verify.log"
fi
mkdir -p "$work/run"
start_serve "$root/usr/bin/mailwright" "$work/run"
walk_pages
echo "deb: ok ($(basename "$deb"), $(stat -c %s "$deb") bytes)"
