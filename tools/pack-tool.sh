#!/usr/bin/env bash
# Packs the bitonnx command line (src/BitOnnx.Cli) as a dotnet tool into artifacts/packages, the local package
# source named in nuget.config, so that `dotnet tool restore` installs it from this checkout:
#
#   ./tools/pack-tool.sh && dotnet tool restore && dotnet tool run bitonnx --help
#
# Safe to rerun. The tool's version is the repository's (Directory.Build.props) and .config/dotnet-tools.json pins
# that same version, so every pack of a given checkout produces the same id and version. NuGet treats an id+version
# as immutable: `dotnet tool restore` skips a version already extracted in the global packages folder
# (~/.nuget/packages, or $NUGET_PACKAGES), so a repack would silently be ignored. This script therefore deletes
# that one extracted version (bitonnx.cli/<version>, nothing else) after packing; the next restore extracts the
# fresh package. A version suffix per pack would avoid the delete but would force an edit of the committed manifest
# on every pack, which is worse.
set -euo pipefail
cd "$(dirname "$0")/.."

project=src/BitOnnx.Cli
packages=artifacts/packages
manifest=.config/dotnet-tools.json
tool_id=bitonnx.cli # NuGet ids are case-insensitive; the global packages folder uses lower case

version=$(dotnet msbuild "$project" -getProperty:Version)
if [ -z "$version" ]; then
  echo "tools/pack-tool.sh: could not read the Version property of $project (see Directory.Build.props)." >&2
  exit 1
fi

# The manifest pins the version that `dotnet tool restore` installs; a mismatch would restore nothing useful.
manifest_version=$(sed -n "/\"$tool_id\"/,/}/ s/.*\"version\": *\"\([^\"]*\)\".*/\1/p" "$manifest" | head -n 1)
if [ "$manifest_version" != "$version" ]; then
  echo "tools/pack-tool.sh: $manifest pins $tool_id version '${manifest_version}', but the repository version is" \
       "'$version' (Directory.Build.props). Set the manifest's version to $version." >&2
  exit 1
fi

# The local source must exist before any restore reads nuget.config; old packages are dropped so the folder only
# ever holds this checkout's tool.
mkdir -p "$packages"
rm -f "$packages"/BitOnnx.Cli.*.nupkg
dotnet pack "$project" -c Release -o "$packages" -nologo

global_packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
global_packages=${global_packages%/}
if [ -n "$global_packages" ] && [ -d "$global_packages/$tool_id/$version" ]; then
  rm -rf "${global_packages:?}/$tool_id/$version"
  echo "tools/pack-tool.sh: removed the previously restored $tool_id $version from $global_packages"
fi
echo "tools/pack-tool.sh: packed $packages/BitOnnx.Cli.$version.nupkg; now run: dotnet tool restore"
