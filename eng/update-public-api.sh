#!/usr/bin/env bash
# Updates the public API baseline of every shipped library (each packable project under src/, the ones the build
# checks) after an intended API change: PublicAPI.Unshipped.txt becomes exactly what the code declares beyond
# PublicAPI.Shipped.txt, that is every public symbol the Shipped file lacks (RS0016) and, marked *REMOVED*, every
# Shipped line the code no longer declares (RS0017). PublicAPI.Shipped.txt is never changed here: it changes only at a
# release, when the Unshipped lines are moved into it.
#
# It builds the libraries once (Release, warnings not as errors, so every API difference is reported, not the first
# project's only) and writes the files from the analyzer's diagnostics, whose text is the line the file needs. The
# analyzer's own code fix (dotnet format analyzers --diagnostics RS0016) adds lines but removes none, since RS0017 has
# no code fix, and takes a minute per project.
#
# Usage: eng/update-public-api.sh        then review `git diff -- '*PublicAPI*'` and commit it with the change.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en

header='#nullable enable'
log=$(mktemp)
saved=$(mktemp -d)
trap 'rm -rf "$log" "$saved"' EXIT

# The projects the build checks: src/Directory.Build.props adds the analyzer to every packable one.
projects=()
for csproj in src/*/*.csproj; do
  if [ "$(dotnet msbuild "$csproj" -getProperty:IsPackable)" = "true" ]; then
    projects+=("$csproj")
  fi
done
if [ ${#projects[@]} -eq 0 ]; then
  echo "No packable project under src/." >&2
  exit 1
fi

# Start every Unshipped file from its header. Rewriting it also makes the next build recompile the project, so the
# build below reports each project's differences (a project's compile runs once, in whichever build reaches it first).
for i in "${!projects[@]}"; do
  dir=$(dirname "${projects[$i]}")
  if [ ! -f "$dir/PublicAPI.Shipped.txt" ]; then echo "$header" > "$dir/PublicAPI.Shipped.txt"; fi
  if [ -f "$dir/PublicAPI.Unshipped.txt" ]; then cp "$dir/PublicAPI.Unshipped.txt" "$saved/$i"; fi
  echo "$header" > "$dir/PublicAPI.Unshipped.txt"
done

for csproj in "${projects[@]}"; do
  echo "Building $csproj" >&2
  # An API difference is only a warning here; any other failure (a compile error) stops the script.
  if ! dotnet build "$csproj" -c Release -tl:off -clp:NoSummary -p:TreatWarningsAsErrors=false >>"$log" 2>&1; then
    grep -E ': error ' "$log" | sort -u >&2 || tail -n 30 "$log" >&2
    for i in "${!projects[@]}"; do
      if [ -f "$saved/$i" ]; then cp "$saved/$i" "$(dirname "${projects[$i]}")/PublicAPI.Unshipped.txt"; fi
    done
    echo "The build failed, so the baseline was left as it was; fix the errors above and run this again." >&2
    exit 1
  fi
done

status=0
for csproj in "${projects[@]}"; do
  dir=$(dirname "$csproj")
  project_path="$(cd "$dir" && pwd)/$(basename "$csproj")"
  # Each diagnostic line ends with " [<project path>]"; a project's lines may appear in a dependant's build too.
  mine=$(grep -F "[$project_path]" "$log" | sort -u || true)
  # A symbol declared in several places (a partial type) is reported once per place.
  added=$(sed -nE "s/.* warning RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/p" <<<"$mine" | LC_ALL=C sort -u)
  removed=$(sed -nE "s/.* warning RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found.*/*REMOVED*\1/p" <<<"$mine" | LC_ALL=C sort -u)
  # Ordered as the analyzer's code fix orders them (ordinal, ignoring case), so an IDE's fix and this script agree.
  {
    echo "$header"
    printf '%s\n%s\n' "$added" "$removed" | sed '/^$/d' | LC_ALL=C sort -f
  } > "$dir/PublicAPI.Unshipped.txt"

  # Anything else the analyzer reports (RS0041 oblivious types, RS0025 duplicates, RS0026 optional-parameter
  # overloads on new API, ...) is not fixed by updating the files: show it, so it is fixed in the code.
  other=$(grep -E ' warning RS00[0-9]+:' <<<"$mine" | grep -vE ' warning RS001[67]:' || true)
  if [ -n "$other" ]; then
    echo "$other" >&2
    status=1
  fi
  echo "$dir/PublicAPI.Unshipped.txt: $(grep -c . <<<"$added" || true) added, $(grep -c . <<<"$removed" || true) removed" >&2
done

if [ $status -ne 0 ]; then
  echo "The baseline was updated, but the API has the problems above, which the build will report as errors." >&2
fi
exit $status
