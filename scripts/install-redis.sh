#!/usr/bin/env bash
# Installs Debian's redis-server into .redis/ (no system service, no root needed to run it):
# `apt-get download` the packages, `dpkg -x` them into the folder. Prints the folder holding
# redis-server. Idempotent: does nothing when .redis/bin/redis-server already runs.
# Tests and `pnpm test:scale` find the binary through REDIS_SERVER_BIN or this folder.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$PWD/.redis"
wrapper="$target/bin/redis-server"
if [ -x "$wrapper" ] && "$wrapper" --version >/dev/null 2>&1; then
  echo "$target/bin"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  if ! apt-get download redis-server redis-tools libjemalloc2 liblzf1 >/dev/null 2>&1; then
    # The package lists may be missing on a fresh machine.
    if [ "$(id -u)" = 0 ]; then apt-get update >/dev/null; else sudo apt-get update >/dev/null; fi
    apt-get download redis-server redis-tools libjemalloc2 liblzf1 >/dev/null
  fi
  mkdir -p root
  for deb in ./*.deb; do dpkg -x "$deb" root; done
)
rm -rf "$target"
mkdir -p "$target/bin"
cp -a "$work/root/usr" "$target/usr"
libs="$target/usr/lib/x86_64-linux-gnu:$target/usr/lib/aarch64-linux-gnu:$target/usr/lib"
for tool in redis-server redis-cli; do
  cat >"$target/bin/$tool" <<WRAP
#!/usr/bin/env bash
LD_LIBRARY_PATH="$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$target/usr/bin/$tool" "\$@"
WRAP
  chmod +x "$target/bin/$tool"
done
"$wrapper" --version >/dev/null
echo "$target/bin"
