#!/usr/bin/env bash
# Checks out the exact llama.cpp that node-llama-cpp runs (shipped as a git bundle inside the npm
# package) so the GGUF converters and the runtime agree on the format. Idempotent: a finished
# checkout is marked with .hallmark-complete and reused; an unfinished one is replaced.
# Usage: llama-source.sh [DEST]   (default ~/.cache/hallmark/llama.cpp-<hash16 of the bundle>)
# Prints the checkout's path on stdout. Env: HALLMARK_LLAMA_BUNDLE overrides the bundle's path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bundle="${HALLMARK_LLAMA_BUNDLE:-$repo/node_modules/node-llama-cpp/llama/gitRelease.bundle}"
if [[ ! -f "$bundle" ]]; then
  echo "llama-source: no llama.cpp bundle at $bundle (is node-llama-cpp installed? run npm ci)" >&2
  exit 2
fi
hash="$(sha256sum "$bundle" | cut -c1-16)"
dest="${1:-${HOME}/.cache/hallmark/llama.cpp-$hash}"
if [[ -f "$dest/.hallmark-complete" ]] && [[ "$(cat "$dest/.hallmark-complete")" == "$hash" ]]; then
  echo "$dest"
  exit 0
fi
mkdir -p "$(dirname "$dest")"
tmp="$dest.partial-$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
# The bundle holds one tagged release; clone checks out its HEAD (quietly: stdout is the path).
git -c advice.detachedHead=false clone --quiet "$bundle" "$tmp" >&2
test -f "$tmp/convert_hf_to_gguf.py" -a -f "$tmp/convert_lora_to_gguf.py" -a -d "$tmp/gguf-py/gguf" || {
  echo "llama-source: $bundle does not hold llama.cpp's converters (convert_hf_to_gguf.py, gguf-py)" >&2
  exit 2
}
echo "$hash" > "$tmp/.hallmark-complete"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$dest"
