#!/bin/bash
# Builds swift-cluster_<version>_<arch>.deb from a release binary (`make deb` calls this).
#
#   packaging/build-deb.sh BINARY OUTDIR [VERSION]
#
# BINARY: a release build of swift-cluster with the Swift runtime linked statically. VERSION defaults to what
# `BINARY version` prints; a different one (an upgrade test) gets its own changelog entry. The package is
# staged under OUTDIR/stage and written to OUTDIR/swift-cluster_<version>_<arch>.deb; its path is printed last.
set -euo pipefail

die() { echo "build-deb: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 BINARY OUTDIR [VERSION]"
binary=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
[ -x "$binary" ] || die "$binary: no such executable (build it first: make deb)"

version=${3:-}
binary_version=$("$binary" version | awk '{print $2}')
[ -n "$version" ] || version=$binary_version
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "$version: not a native Debian version"
arch=$(dpkg --print-architecture)

# The target host has no Swift toolchain: nothing may come from one.
toolchain_libs=$(ldd "$binary" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|/usr/share/swift|toolchain' || true)
[ -z "$toolchain_libs" ] || die "$binary links toolchain libraries (build with --static-swift-stdlib):"$'\n'"$toolchain_libs"

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$out/stage
rm -rf "$stage"
umask 022
install -d "$stage/DEBIAN"

# The program, stripped (lintian: unstripped-binary-or-object).
install -D -m 0755 "$binary" "$stage/usr/sbin/swift-cluster"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$stage/usr/sbin/swift-cluster"
bin=$stage/usr/sbin/swift-cluster

# Units where bookworm's lintian and debhelper put them.
install -D -m 0644 "$here/systemd/swift-cluster.service" "$stage/lib/systemd/system/swift-cluster.service"
install -D -m 0644 "$here/systemd/swift-cluster@.service" "$stage/lib/systemd/system/swift-cluster@.service"

# The conffile; postinst makes it root:swift-cluster 0640 (dpkg-statoverride) once the group exists.
"$bin" check-config -c "$root/etc/cluster.json" >/dev/null || die "etc/cluster.json does not pass check-config"
install -D -m 0644 "$root/etc/cluster.json" "$stage/etc/swift-cluster/cluster.json"

# Completions, generated from the binary itself.
install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d"
# bash completions are sourced, not run (lintian: bash-completion-with-hashbang).
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' > "$stage/usr/share/bash-completion/completions/swift-cluster"
"$bin" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_swift-cluster"
"$bin" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/swift-cluster.fish"
chmod 0644 "$stage"/usr/share/*/completions/* "$stage"/usr/share/zsh/vendor-completions/* \
    "$stage"/usr/share/fish/vendor_completions.d/*

# Man pages, gzipped without names or time stamps (reproducible).
for page in "$root"/man/*.[0-9]; do
    name=$(basename "$page")
    section=${name##*.}
    install -d "$stage/usr/share/man/man$section"
    gzip -9n < "$page" > "$stage/usr/share/man/man$section/$name.gz"
    chmod 0644 "$stage/usr/share/man/man$section/$name.gz"
done

# Documentation: copyright, changelog (native package: changelog.gz), examples, lintian overrides.
doc=$stage/usr/share/doc/swift-cluster
install -D -m 0644 "$here/debian/copyright" "$doc/copyright"
changelog=$(mktemp)
trap 'rm -f "$changelog"' EXIT
top=$(sed -n '1s/^swift-cluster (\([^)]*\)).*/\1/p' "$here/debian/changelog")
if [ "$top" != "$version" ]; then
    # A local build with another version (the upgrade test): an entry of its own on top.
    {
        printf 'swift-cluster (%s) unstable; urgency=medium\n\n  * Local build of %s.\n\n' "$version" "$version"
        printf ' -- %s  %s\n\n' "$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$here/debian/changelog" | head -1)" \
            "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")"
        cat "$here/debian/changelog"
    } > "$changelog"
else
    cp "$here/debian/changelog" "$changelog"
fi
gzip -9n < "$changelog" > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -D -m 0644 "$here/README.md" "$doc/README.md"
install -D -m 0755 "$here/examples/notify.sh" "$doc/examples/notify.sh"
install -D -m 0755 "$here/examples/health-check.sh" "$doc/examples/health-check.sh"
install -D -m 0644 "$here/examples/cluster-full.json" "$doc/examples/cluster-full.json"
# Overrides, each with the comment that justifies it, shipped only when there are any (none are needed now).
if grep -qv '^[[:space:]]*\(#\|$\)' "$here/debian/lintian-overrides"; then
    install -D -m 0644 "$here/debian/lintian-overrides" "$stage/usr/share/lintian/overrides/swift-cluster"
fi

# Maintainer scripts and conffiles.
install -m 0755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$stage/DEBIAN/"
install -m 0644 "$here/debian/conffiles" "$stage/DEBIAN/conffiles"

# Depends: the shared libraries the binary needs (dpkg-shlibdeps), plus adduser for postinst.
shlib_dir=$(mktemp -d)
trap 'rm -f "$changelog"; rm -rf "$shlib_dir"' EXIT
mkdir -p "$shlib_dir/debian"
printf 'Source: swift-cluster\n\nPackage: swift-cluster\nArchitecture: any\n' > "$shlib_dir/debian/control"
shlibs=$(cd "$shlib_dir" && dpkg-shlibdeps -O -e"$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies for $bin"
depends="adduser, $shlibs"

# md5sums of every file outside DEBIAN (lintian: no-md5sums-control-file).
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

maintainer=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$here/debian/changelog" | head -1)
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
    "$here/debian/control.in" > "$stage/DEBIAN/control"

deb=$out/swift-cluster_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
