#!/usr/bin/env bash
# Adds one EF Core migration with the same name for BOTH database providers, so the SQLite set
# (src/SaeWorkbench.Data/Migrations/Sqlite) and the PostgreSQL set (src/SaeWorkbench.Data.Postgres/Migrations, model snapshot included)
# stay in step. Run it after any change to the model (entities, configurations, WorkbenchDbContext).
# Usage: scripts/add-migration.sh <MigrationName>
#        scripts/add-migration.sh --remove      (removes the last migration of both sets)
set -euo pipefail
cd "$(dirname "$0")/.."
die() { printf '[add-migration] ERROR: %s\n' "$*" >&2; exit 1; }
[ $# = 1 ] || die "usage: scripts/add-migration.sh <MigrationName> | --remove"
name=$1
dotnet tool restore >/dev/null
ef() { dotnet tool run dotnet-ef "$@"; }
sqlite=(--project src/SaeWorkbench.Data --startup-project src/SaeWorkbench.Data)
postgres=(--project src/SaeWorkbench.Data.Postgres --startup-project src/SaeWorkbench.Data.Postgres)
if [ "$name" = --remove ]; then
  ef migrations remove "${sqlite[@]}" --force
  ef migrations remove "${postgres[@]}" --force
  exit 0
fi
[[ "$name" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || die "'$name' is not a valid migration name (letters, digits, underscores; starts with a letter)"
for dir in src/SaeWorkbench.Data/Migrations/Sqlite src/SaeWorkbench.Data.Postgres/Migrations; do
  if ls "$dir"/*_"$name".cs >/dev/null 2>&1; then die "a migration named $name already exists in $dir"; fi
done
# One build of the Postgres project builds the Data project too; both ef calls then skip their own build.
dotnet build src/SaeWorkbench.Data.Postgres --nologo -v quiet -clp:ErrorsOnly
ef migrations add "$name" "${sqlite[@]}" -o Migrations/Sqlite --namespace SaeWorkbench.Data.Migrations.Sqlite --no-build
if ! ef migrations add "$name" "${postgres[@]}" -o Migrations --namespace SaeWorkbench.Data.Postgres.Migrations; then
  # Never leave the two sets out of step: undo the SQLite half.
  ef migrations remove "${sqlite[@]}" --force || true
  die "adding the PostgreSQL migration failed; the SQLite one was removed again"
fi
# The build proves the generated code compiles; then each set must describe the current model.
dotnet build src/SaeWorkbench.Data.Postgres --nologo -v quiet -clp:ErrorsOnly
ef migrations has-pending-model-changes "${sqlite[@]}" --no-build
ef migrations has-pending-model-changes "${postgres[@]}" --no-build
printf '[add-migration] added %s for SQLite and PostgreSQL\n' "$name"
