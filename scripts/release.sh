#!/usr/bin/env bash
# Tags a release: vX.Y.Z (annotated) and the major tag vX moved to it, which is what workflows pin
# (`uses: capgo/capgo-release@v1`). Pushes nothing: it prints the push commands.
#
#   scripts/release.sh [--dry-run] X.Y.Z
#
# Checks, in order: X.Y.Z is a semver version; the branch is main; the tree is clean; package.json
# and src/version.ts hold X.Y.Z (if not, sets both, rebuilds dist/ and stops so that the bump can be
# committed); dist/ is the build of src/; CHANGELOG.md has a "## [X.Y.Z]" section; the tag is new.
# A pre-release (X.Y.Z-rc.1) gets its own tag but does not move vX. --dry-run checks only.
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=false
if [ "${1:-}" = "--dry-run" ]; then
  dry_run=true
  shift
fi
version="${1:-}"
if [ $# -ne 1 ] || [ -z "$version" ]; then
  echo "usage: scripts/release.sh [--dry-run] X.Y.Z" >&2
  exit 2
fi
version="${version#v}"

fail() {
  echo "release: $*" >&2
  exit 1
}

semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$'
[[ "$version" =~ $semver ]] || fail "\"$version\" is not a version such as 1.2.3 or 2.0.0-rc.1"
major="v${BASH_REMATCH[1]}"
prerelease="${BASH_REMATCH[4]}"
tag="v$version"

branch="$(git rev-parse --abbrev-ref HEAD)"
[ "$branch" = main ] || fail "releases are tagged on main; this is \"$branch\""

if [ -n "$(git status --porcelain)" ]; then
  git status --short >&2
  fail "the work tree is not clean: commit or stash first"
fi

package_version="$(node -p 'require("./package.json").version')"
source_version="$(sed -n "s/^export const ACTION_VERSION = '\(.*\)'$/\1/p" src/version.ts)"
[ -n "$source_version" ] || fail "src/version.ts: no line \"export const ACTION_VERSION = '...'\""
if [ "$package_version" != "$version" ] || [ "$source_version" != "$version" ]; then
  if $dry_run; then
    fail "package.json holds $package_version and src/version.ts $source_version, not $version"
  fi
  echo "== bumping package.json ($package_version) and src/version.ts ($source_version) to $version"
  # Sets package.json and package-lock.json; no commit, no tag.
  npm version "$version" --no-git-tag-version --allow-same-version >/dev/null
  sed -i "s/^export const ACTION_VERSION = '.*'$/export const ACTION_VERSION = '$version'/" src/version.ts
  npm run build
  git status --short
  echo
  echo "Bumped to $version and rebuilt dist/. Review, commit, then run this again:"
  echo "  git commit -am \"Release $tag\" && scripts/release.sh $version"
  exit 0
fi

echo "== dist/ is the build of src/"
npm run build >/dev/null
if [ -n "$(git status --porcelain dist/)" ]; then
  git status --porcelain dist/ >&2
  git checkout -- dist/ 2>/dev/null || true
  fail "dist/ is not the build of src/: run 'npm run build' and commit dist/"
fi

echo "== CHANGELOG.md has a section for $version"
[ -f CHANGELOG.md ] || fail "CHANGELOG.md is missing"
grep -Eq "^## \[${version//./\\.}\]" CHANGELOG.md ||
  fail "CHANGELOG.md has no \"## [$version]\" section: add one and commit it"

if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
  fail "tag $tag already exists"
fi

if $dry_run; then
  echo "Ready: would tag $tag$([ -z "$prerelease" ] && echo " and move $major") at $(git rev-parse --short HEAD)."
  exit 0
fi

git tag -a "$tag" -m "$tag"
echo "Tagged $tag at $(git rev-parse --short HEAD)."
if [ -z "$prerelease" ]; then
  git tag -f "$major" "$tag^{}" >/dev/null
  echo "Moved $major to $tag."
  echo
  echo "Push them with:"
  echo "  git push origin $tag && git push -f origin $major"
else
  echo "A pre-release: $major stays where it is."
  echo
  echo "Push it with:"
  echo "  git push origin $tag"
fi
