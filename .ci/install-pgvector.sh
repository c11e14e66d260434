#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL when it is missing (the store's vector
# tests need `CREATE EXTENSION vector`). No Debian binary package matches PostgreSQL 15, so this builds
# Debian's own source package (trixie's pgvector) against the server's headers, using only Debian's
# registry: a private apt configuration adds the deb-src line without touching the system's sources.
# About 1.5 minutes on 2 cores. Run as root; a no-op when the extension is already available.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -1)}
if [ -z "$PG_CONFIG" ] || ! [ -x "$PG_CONFIG" ]; then
  echo "install-pgvector: no PostgreSQL server installation found (pg_config)" >&2
  exit 1
fi
SHAREDIR=$("$PG_CONFIG" --sharedir)
if [ -f "$SHAREDIR/extension/vector.control" ]; then
  exit 0
fi
MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "postgresql-server-dev-$MAJOR" build-essential dpkg-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/src"
cat >"$work/sources.list" <<'EOF'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
EOF
apt_private=(-o "APT::Sandbox::User=root" -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$work/lists")
apt-get "${apt_private[@]}" update -qq
(cd "$work/src" && apt-get "${apt_private[@]}" source -qq --download-only pgvector && dpkg-source -x --no-check ./pgvector_*.dsc pgvector >/dev/null)
make -s -C "$work/src/pgvector" PG_CONFIG="$PG_CONFIG" >/dev/null
make -s -C "$work/src/pgvector" PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "install-pgvector: installed pgvector $(sed -nE "s/^default_version = '([^']+)'/\1/p" "$SHAREDIR/extension/vector.control") for PostgreSQL $MAJOR"
