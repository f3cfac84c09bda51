#!/usr/bin/env bash
# Checks the layer table of ../shared/DESIGN.md (and docs/architecture.md): no module imports
# from a layer above its own, and internal code names the defining module (`crate::dtype::
# DType`), never a root re-export (`crate::DType`). Unit tests (from a file's first
# `#[cfg(test)]` on) may reach up: they build plans from arrays. Fails, listing the
# offending lines.
set -euo pipefail
cd "$(dirname "$0")/.."

# layer number: the modules in it (a directory under src/ or a file src/NAME.rs)
layers=(
  "1:error dtype"
  "2:geometry graph"
  "3:kernel scheduler"
  "4:plan diagnostics"
  "5:optimize lower"
  "6:options"
  "7:array bag"
  "8:io random distributed"
)

layer_of() {
  local module=$1 entry m
  for entry in "${layers[@]}"; do
    for m in ${entry#*:}; do
      [ "$m" = "$module" ] && { echo "${entry%%:*}"; return; }
    done
  done
  echo 0
}

# The `crate::` paths of a file's non-test code, as FILE:LINE:PATH, comments skipped.
crate_paths() {
  awk '/^#\[cfg\(test\)\]/ { exit }
       /^[[:space:]]*\/\// { next }
       { line = $0
         while (match(line, /crate::[A-Za-z_]+/)) {
           print FILENAME ":" FNR ":" substr(line, RSTART, RLENGTH)
           line = substr(line, RSTART + RLENGTH)
         } }' "$1"
}

status=0
for entry in "${layers[@]}"; do
  level=${entry%%:*}
  for module in ${entry#*:}; do
    files=$( { ls "src/$module.rs" 2>/dev/null; find "src/$module" -name '*.rs' 2>/dev/null; } || true)
    [ -n "$files" ] || { echo "layers: no source for module '$module'"; status=1; continue; }
    for file in $files; do
      while IFS= read -r hit; do
        target=${hit##*crate::}
        case $target in
          [A-Z]*)
            echo "root re-export used inside the crate (import the defining module): $hit"
            status=1
            continue ;;
        esac
        target_level=$(layer_of "$target")
        if [ "$target_level" -gt "$level" ]; then
          echo "upward import (layer $level '$module' -> layer $target_level '$target'): $hit"
          status=1
        fi
      done < <(crate_paths "$file")
    done
  done
done
[ "$status" -eq 0 ] && echo "layers: no upward imports"
exit "$status"
